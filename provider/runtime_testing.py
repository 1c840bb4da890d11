"""Test and bench harness for the runtime: the Docker engine and image of provider/engine.py,
a node with a market, an NVML stand-in.

`docker_engine()`, `httpd_image()` and `engine_url()` come from provider/engine.py (the
localnet starts its providers' engine with them too); tests skip with the reason they give.

`Marketplace` is a real node with a tenant, a provider and a stranger, and the txs that get a
lease going (provider registered with its gateway's fingerprint, deployment from SDL, a bid
that matching turns into the lease).

`nvml_standin(build_dir)` compiles tests/data/nvml_standin/ into a `libnvidia-ml.so.1` with
the system C compiler, for the real pynvml to load through LD_LIBRARY_PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from google.protobuf.message import Message

import sdl
from chain.coins import Coin, Coins
from chain.crypto import PrivateKey
from chain.keyring import Keyring
from chain.pb.gpuchain.market.v1 import market_pb2
from chain.testing import LocalNode
from chain.tx import build_and_sign, tx_hash
from provider.engine import docker_engine, engine_url, httpd_image  # noqa: F401  (harness API)
from provider.gateway import NodeChainView
from x.deployment import msgs as deployment_msgs
from x.deployment.cli import group_spec
from x.market import msgs as market_msgs
from x.provider import msgs as provider_msgs

REPOSITORY = Path(__file__).resolve().parents[1]
NVML_STANDIN_SOURCE = REPOSITORY / "tests" / "data" / "nvml_standin"


def nvml_standin(build_dir: Path) -> tuple[Path | None, str]:
    """Build the stand-in libnvidia-ml.so.1 into build_dir; its folder, or None and why not."""
    compiler = shutil.which(os.environ.get("CC", "cc"))
    if compiler is None:
        return None, "no C compiler (cc) to build the NVML stand-in"
    build_dir.mkdir(parents=True, exist_ok=True)
    library = build_dir / "libnvidia-ml.so.1"
    done = subprocess.run(
        [compiler, "-shared", "-fPIC", "-O1", "-o", str(library),
         str(NVML_STANDIN_SOURCE / "nvml_standin.c")],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    if done.returncode != 0:
        return None, f"the NVML stand-in did not compile: {done.stderr.strip()[-400:]}"
    return build_dir, ""


MARKET_FEE = "3000ugpc"
MARKET_GAS = 3_000_000
MARKET_FUNDS = {
    "tenant": "1000000000ugpc",
    "provider": "1000000000ugpc",
    "stranger": "1000000000ugpc",
}


@dataclass
class Marketplace:
    node: LocalNode
    keys: dict[str, PrivateKey]

    @classmethod
    def start(cls, home: Path) -> Marketplace:
        node = LocalNode(home)
        node.init(MARKET_FUNDS)
        # Nobody reports usage on these leases: none may fault while the tests use it.
        node.set_genesis_params("market", report_interval_blocks=100_000)
        node.start()
        keyring = Keyring(home, "test")
        return cls(node, {name: keyring.private_key(name) for name in MARKET_FUNDS})

    def address(self, name: str) -> str:
        return self.keys[name].bech32_address

    def send(self, signer: str, *messages: Message) -> None:
        key = self.keys[signer]
        number, sequence = self.node.account(key.bech32_address)
        raw = build_and_sign(
            key,
            list(messages),
            chain_id=self.node.chain_id,
            account_number=number,
            sequence=sequence,
            fee=Coins.parse(MARKET_FEE),
            gas_limit=MARKET_GAS,
        )
        sent = self.node.rpc.broadcast_tx_sync(raw)
        assert sent["code"] == 0, sent
        result = self.node.rpc.wait_for_tx(tx_hash(raw))["tx_result"]
        assert int(result.get("code") or 0) == 0, result

    def register_provider(self, host_uri: str, fingerprint: str) -> None:
        self.send(
            "provider",
            provider_msgs.create_provider_msg(
                self.address("provider"), host_uri, (("region", "test"),),
                Coin("ugpc", 1_000_000), "ops@example.com", "https://example.com", fingerprint,
            ),
        )  # fmt: skip

    def deploy(self, sdl_file: Path, dseq: int, owner: str = "tenant") -> None:
        parsed = sdl.parse_sdl_file(sdl_file)
        groups = [group_spec(group.to_dict()) for group in parsed.groups()]
        manifest_hash = bytes.fromhex(parsed.manifest().hash())
        self.send(
            owner,
            deployment_msgs.create_msg(
                self.address(owner), dseq, groups, manifest_hash, Coin("ugpc", 5_000_000)
            ),
        )

    def lease(self, dseq: int, owner: str = "tenant", timeout: float = 60) -> market_pb2.LeaseID:
        """Bid 1ugpc a block on the deployment's first order and wait for matching's lease."""
        order = market_msgs.order_id(self.address(owner), dseq, 1, 1)
        self.send(
            "provider",
            market_msgs.create_bid_msg(
                order, self.address("provider"), Coin("ugpc", 1), Coin("ugpc", 500_000)
            ),
        )
        lease_id = market_msgs.lease_id(self.address(owner), dseq, 1, 1, self.address("provider"))
        view = NodeChainView([self.node.rpc_address])
        deadline = time.monotonic() + timeout
        while view.lease(lease_id) is None:
            assert time.monotonic() < deadline, f"no lease for deployment {dseq} in {timeout}s"
            time.sleep(0.2)
        return lease_id
