"""Shared by the provider daemon's tests: a real node with the daemon's keys, and waiting."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from google.protobuf.message import Message

from chain.coins import Coin, Coins
from chain.crypto import PrivateKey
from chain.keyring import Keyring
from chain.pb.gpuchain.deployment.v1 import deployment_pb2 as dp
from chain.pb.gpuchain.market.v1 import query_pb2 as market_query_pb2
from chain.testing import LocalNode
from chain.tx import build_and_sign
from provider import config as provider_config
from provider.daemon import Daemon, Runtime, open_daemon
from x.audit.msgs import sign_attributes_msg
from x.bank.msgs import send_msg
from x.deployment.msgs import create_msg
from x.provider.cli import cert_fingerprint
from x.provider.msgs import create_provider_msg

MIB = 2**20
REPOSITORY = Path(__file__).resolve().parents[2]

FUNDED = {
    "provider": "1000000000ugpc",  # bids, reports and withdraws
    "tenant": "1000000000ugpc",  # deploys
    "auditor": "10000000ugpc",  # signs provider attributes
    "bystander": "10000000ugpc",  # sends with the provider's key behind the daemon's back
    "rival": "1000000000ugpc",  # a second provider, bidding lower
}


@dataclass
class Chain:
    node: LocalNode
    addresses: dict[str, str]

    def key(self, name: str) -> PrivateKey:
        return Keyring(self.node.home, "test").private_key(name)


def deliver(chain: Chain, key: str, messages: list[Message], gas: int = 600_000) -> None:
    """messages signed by key here (not by the code under test); they must land and succeed."""
    rpc = chain.node.rpc
    number, sequence = chain.node.account(chain.addresses[key])
    raw = build_and_sign(
        chain.key(key),
        messages,
        chain_id=chain.node.chain_id,
        account_number=number,
        sequence=sequence,
        fee=Coins((Coin("ugpc", gas // 1000),)),
        gas_limit=gas,
    )
    answer = rpc.broadcast_tx_sync(raw)
    assert int(answer.get("code") or 0) == 0, answer
    included = rpc.wait_for_tx(answer["hash"])
    assert int(included["tx_result"].get("code") or 0) == 0, included["tx_result"]


def transfer_from(chain: Chain, key: str, recipient: str, amount: int) -> None:
    """A bank send from key, signed here (not by the code under test), that must land."""
    coins = Coins((Coin("ugpc", amount),))
    deliver(chain, key, [send_msg(chain.addresses[key], recipient, coins)], gas=200_000)


# Blocks come every 200 ms here: the chain's default report deadline (20 blocks) would fault
# a lease whenever a restarted daemon takes 4 s to come back on a busy machine.
REPORT_DEADLINE_BLOCKS = 300


def start_chain(base: Path, report_interval_blocks: int = REPORT_DEADLINE_BLOCKS) -> Chain:
    node = LocalNode(base)
    addresses = node.init(FUNDED)
    node.set_genesis_params("market", report_interval_blocks=report_interval_blocks)
    node.start()
    return Chain(node, addresses)


def bids_of(chain: Chain) -> list[tuple[int, int, str]]:
    """The provider's bids on chain: (dseq, gseq, price)."""
    answer = chain.node.rpc.query_message(
        "/gpuchain.market.v1.Query/Bids",
        market_query_pb2.QueryBidsRequest(provider=chain.addresses["provider"]),
        market_query_pb2.QueryBidsResponse(),
    )
    return [(bid.bid_id.dseq, bid.bid_id.gseq, bid.price.amount) for bid in answer.bids]


def make_certificate(home: Path, name: str = "provider") -> None:
    """A throwaway self-signed certificate as the gateway's (openssl, as an operator might)."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-subj", f"/CN={name}", "-days", "1",
         "-keyout", str(home / "gateway.key"), "-out", str(home / "gateway.crt")],
        check=True,
        capture_output=True,
    )  # fmt: skip


def group(
    name: str,
    max_price: str,
    attributes: dict[str, str] | None = None,
    signed_by: dp.SignedBy | None = None,
    gpus: int = 0,
) -> dp.GroupSpec:
    resources = dp.Resources(
        id=1,
        cpu_millis=100,
        memory=128 * MIB,
        storage=[dp.Storage(name="default", size=128 * MIB)],
        gpu_units=gpus,
        gpu_attributes=[dp.Attribute(key="vendor/nvidia/model/a100", value="true")] if gpus else [],
    )
    return dp.GroupSpec(
        name=name,
        requirements=dp.PlacementRequirements(
            signed_by=signed_by or dp.SignedBy(),
            attributes=[dp.Attribute(key=k, value=v) for k, v in (attributes or {}).items()],
        ),
        resources=[
            dp.ResourceUnit(
                resource=resources, count=1, price=dp.DecCoin(denom="ugpc", amount=max_price)
            )
        ],
    )


def deploy(chain: Chain, dseq: int, groups: list[dp.GroupSpec]) -> None:
    owner = chain.addresses["tenant"]
    deliver(chain, "tenant", [create_msg(owner, dseq, groups, b"\1" * 32, Coin("ugpc", 5_000_000))])


def provider_home(chain: Chain, base: Path, key: str = "provider", cpu_milli: str = "0.01") -> Path:
    """A provider directory for key: provider.yaml for this node, a certificate registered
    on chain with region=west, signed by the auditor."""
    home = base / key
    home.mkdir()
    text = provider_config.render(
        key, [chain.node.rpc_address], chain.node.chain_id, "test", chain.node.home
    )
    data = yaml.safe_load(text)
    data["attributes"] = {"region": "west"}
    data["pricing"] = {
        "cpu_milli": cpu_milli,  # 0.01: 100m for 1ugpc
        "memory_gib": "8",  # 128MiB: 1ugpc
        "storage_gib": "8",  # 128MiB: 1ugpc
        "gpu": {"default": "100"},
    }
    data["metrics_listen"] = ""
    (home / provider_config.CONFIG_FILE).write_text(yaml.safe_dump(data))
    make_certificate(home)
    provider = chain.addresses[key]
    fingerprint = cert_fingerprint(str(home / "gateway.crt"))
    deliver(
        chain,
        key,
        [
            create_provider_msg(
                provider,
                "https://provider.example:8443",
                [("region", "west")],
                Coin("ugpc", 1_000_000),
                cert_fingerprint=fingerprint,
            )
        ],
    )
    deliver(
        chain,
        "auditor",
        [sign_attributes_msg(provider, chain.addresses["auditor"], [("region", "west")])],
    )
    return home


class Running:
    """A daemon in a thread of this process (bidding alone needs no Docker runtime)."""

    def __init__(self, home: Path, runtime: Runtime | None = None) -> None:
        configuration = provider_config.load(home)
        self.daemon: Daemon = open_daemon(configuration, runtime=runtime, poll_seconds=0.5)
        self.daemon.check_chain(cert_fingerprint(str(configuration.cert_path)))
        self.thread = threading.Thread(target=self.daemon.run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.daemon.stop.set()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()
        self.daemon.state.close()


def provider_cli(*argv: str) -> subprocess.CompletedProcess[str]:
    """`gpuchain-provider ARGV` in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "provider.cli", *argv],
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        timeout=60,
        check=False,
    )


def provider_output(*argv: str) -> str:
    """The stdout of a `gpuchain-provider ARGV` that must succeed."""
    done = provider_cli(*argv)
    assert done.returncode == 0, done.stderr
    return done.stdout


def wait_until(condition: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    """Poll condition until it is true; fail naming what was awaited after timeout."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f}s waiting for {what}"
        time.sleep(0.05)
