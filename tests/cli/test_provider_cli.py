"""`gpuchain tx|query provider` and `tx|query audit` against a real node: a provider is
registered from an Akash-style PROVIDER.yaml with its gateway certificate, read back,
vouched for by an auditor, then deleted, and its collateral comes back once the unbonding
period is over."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from chain.keyring import Keyring

if TYPE_CHECKING:
    from conftest import Chain

DATA = Path(__file__).resolve().parents[1] / "data" / "provider"
# `openssl x509 -in gateway.pem -noout -fingerprint -sha256`
GATEWAY_FINGERPRINT = "58B7B0172383401D8D8540EE46D7985DE636CD7AECEB501DDA722B73F26F13AA".lower()
COLLATERAL = 2_000_000
FEES = "400ugpc"  # 300000 gas at the node's 0.001ugpc


def tx(chain: Chain, *argv: str) -> dict[str, Any]:
    response: dict[str, Any] = chain.json("tx", *argv, "--fees", FEES, "--yes")
    assert response["code"] == 0, response
    return response


def funded_key(chain: Chain, name: str, amount: str) -> str:
    address = Keyring(chain.home, "test").add(name).address
    chain.send("alice", address, amount)
    return address


def test_a_provider_registers_is_audited_and_leaves_with_its_collateral(
    chain: Chain, tmp_path: Path
) -> None:
    owner = funded_key(chain, "gpu-provider", "10000000ugpc")
    auditor = funded_key(chain, "gpu-auditor", "100000ugpc")
    tx(
        chain, "provider", "create", str(DATA / "provider.yaml"),
        "--collateral", f"{COLLATERAL}ugpc", "--cert", str(DATA / "gateway.pem"),
        "--from", "gpu-provider",
    )  # fmt: skip
    shown = chain.json("query", "provider", "get", "gpu-provider")["provider"]
    assert shown == {
        "owner": owner,
        "host_uri": "https://gpu.example.com:8443",
        "attributes": [{"key": "region", "value": "us-west"}, {"key": "gpu", "value": "h100"}],
        "info": {"email": "ops@example.com", "website": "https://example.com"},
        "cert_fingerprint": GATEWAY_FINGERPRINT,
        "collateral": {"denom": "ugpc", "amount": str(COLLATERAL)},
    }
    reputation = chain.json("query", "provider", "reputation", "gpu-provider")
    assert reputation["reputation"]["provider"] == owner
    assert (reputation["reputation"]["leases_won"], reputation["score"]) == ("0", "0")
    listed = chain.json("query", "provider", "list", "--attribute", "gpu=h100")["providers"]
    assert [found["owner"] for found in listed] == [owner]

    tx(chain, "audit", "sign-attributes", owner, "tier=gold", "--from", "gpu-auditor")
    audited = chain.json("query", "audit", "attributes", owner)["attributes"]
    assert audited == [
        {"owner": owner, "auditor": auditor, "attributes": [{"key": "tier", "value": "gold"}]}
    ]

    before = chain.balance(owner)
    deleted = tx(chain, "provider", "delete", "--from", "gpu-provider")
    pending = chain.json("query", "provider", "get", owner)
    assert pending["provider"] is None
    (release,) = pending["releases"]
    unbonding = int(chain.json("query", "staking", "params")["unbonding_blocks"])
    assert int(release["completion_height"]) == int(deleted["height"]) + unbonding
    assert chain.balance(owner) == before - 400  # the fee; the collateral is still locked
    chain.node.wait_for_app_height(int(release["completion_height"]), timeout=120)
    assert chain.balance(owner) == before - 400 + COLLATERAL
    gone = chain.run("query", "provider", "get", owner)
    assert gone.returncode != 0 and "is not a provider" in gone.stderr


def test_bad_provider_input_gets_a_one_line_error(chain: Chain, tmp_path: Path) -> None:
    plain_http = tmp_path / "provider.yaml"
    plain_http.write_text("host: http://gpu.example.com\n")
    not_a_cert = tmp_path / "cert.pem"
    not_a_cert.write_text("hello\n")
    good = str(DATA / "provider.yaml")
    cases = {
        ("provider", "create", str(plain_http), "--collateral", "1000000ugpc"): "https URL",
        ("provider", "create", good, "--collateral", "lots"): "amount",
        ("provider", "create", good, "--collateral", "1000000ugpc", "--cert", str(not_a_cert)): (
            "not a PEM certificate"
        ),
        ("provider", "create", str(tmp_path / "missing.yaml"), "--collateral", "1ugpc"): (
            "cannot read"
        ),
        ("audit", "sign-attributes", chain.addresses["alice"], "tier"): "KEY=VALUE",
    }
    results = chain.run_all(*(("tx", *argv, "--from", "alice", "--yes") for argv in cases))
    for (argv, fragment), done in zip(cases.items(), results, strict=True):
        assert done.returncode != 0, argv
        assert fragment in done.stderr, (argv, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
