"""provider.yaml: the file init writes loads back, and every mistake names its field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from chain.coins import DEC_ONE
from provider import config

pytestmark = pytest.mark.timeout(30)


def written(tmp_path: Path) -> dict[str, object]:
    text = config.render("prov", ["tcp://127.0.0.1:26657"], "gpuchain-test", "test", tmp_path)
    data: dict[str, object] = yaml.safe_load(text)
    return data


def test_the_file_init_writes_loads_with_its_defaults(tmp_path: Path) -> None:
    (tmp_path / config.CONFIG_FILE).write_text(
        config.render(
            "prov", ["tcp://127.0.0.1:1", "http://10.0.0.2:26657"], "c-1", "test", tmp_path
        )
    )
    loaded = config.load(tmp_path)
    assert loaded.key == "prov"
    assert loaded.nodes == ("tcp://127.0.0.1:1", "http://10.0.0.2:26657")
    assert loaded.chain_id == "c-1"
    assert loaded.pricing.cpu_milli == DEC_ONE // 100
    assert loaded.pricing.gpu_price("H100") == 100 * DEC_ONE  # unlisted model: the fallback
    assert loaded.data_dir == tmp_path / "data"
    assert loaded.cert_path == tmp_path / "gateway.crt"
    assert "# Per-block prices in ugpc" in (tmp_path / config.CONFIG_FILE).read_text()


def test_a_listed_gpu_model_has_its_own_price(tmp_path: Path) -> None:
    data = written(tmp_path)
    data["pricing"]["gpu"]["A100"] = "250.5"  # type: ignore[index]
    pricing = config.parse(data, tmp_path).pricing
    assert pricing.gpu_price("a100") == 250 * DEC_ONE + DEC_ONE // 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.pop("key"), "key: missing"),
        (lambda d: d.update(key="no spaces allowed"), "key: bad key name"),
        (lambda d: d.update(keyring_backend="os"), "keyring_backend:"),
        (lambda d: d.update(nodes=[]), "nodes:"),
        (lambda d: d.update(nodes=["tcp://127.0.0.1:1", "localhost"]), "nodes[1]:"),
        (lambda d: d.update(chain_id=""), "chain_id:"),
        (lambda d: d.update(gas_price="cheap"), "gas_price:"),
        (lambda d: d["pricing"].update(cpu_milli="ten"), "pricing.cpu_milli:"),
        (lambda d: d["pricing"].update(memory_gib=None), "pricing.memory_gib:"),
        (lambda d: d["pricing"].update(denom="uatom"), "pricing.denom:"),
        (lambda d: d["pricing"]["gpu"].pop("default"), "pricing.gpu.default: missing"),
        (lambda d: d["pricing"]["gpu"].update(a100="-1"), "pricing.gpu.a100:"),
        (lambda d: d["pricing"].update(gpus={}), "pricing.gpus: unknown field"),
        (lambda d: d.update(attributes={"1region": "x"}), "attributes"),
        (lambda d: d.update(docker_host="/var/run/docker.sock"), "docker_host:"),
        (lambda d: d.update(gateway_listen="8443"), "gateway_listen:"),
        (lambda d: d.update(report_interval_blocks=0), "report_interval_blocks:"),
        (lambda d: d.update(withdraw_interval_blocks="often"), "withdraw_interval_blocks:"),
        (lambda d: d.update(manifest_timeout_seconds=True), "manifest_timeout_seconds:"),
        (lambda d: d.update(colour="blue"), "colour: unknown field"),
    ],
)
def test_a_bad_field_is_named_in_the_error(tmp_path: Path, change: object, field: str) -> None:
    data = written(tmp_path)
    change(data)  # type: ignore[operator]
    with pytest.raises(config.ConfigError) as raised:
        config.parse(data, tmp_path)
    assert field in str(raised.value)


def test_a_missing_or_broken_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigError, match="gpuchain-provider init"):
        config.load(tmp_path)
    (tmp_path / config.CONFIG_FILE).write_text("key: [unclosed")
    with pytest.raises(config.ConfigError, match="not valid YAML"):
        config.load(tmp_path)
