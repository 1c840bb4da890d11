"""`gpuchain tx|query market` and `query escrow balance` against the session's real node:
a provider bids on a GPU deployment (tests/data/deployment, from ../shared/sdl/public),
wins at the end of a bid window (an order nobody bid on re-opens, so the bid lands in
some window), withdraws its pay, and the tenant closes the lease; lists and gets read it
all back, and closing twice is refused with the market's error."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chain.keyring import Keyring

if TYPE_CHECKING:
    from conftest import Chain

GPU_SDL = str(Path(__file__).resolve().parents[1] / "data" / "deployment" / "gpu_deploy.yaml")
FEES = "400ugpc"  # market txs' default 400000 gas at the node's 0.001ugpc
DSEQ = "5151"


def tx(chain: Chain, *argv: str, fees: str = FEES) -> dict[str, Any]:
    response: dict[str, Any] = chain.json("tx", *argv, "--fees", fees, "--yes")
    assert response["code"] == 0, response
    return response


def wait_for_lease(chain: Chain, provider: str, timeout: float = 60) -> dict[str, Any]:
    """The provider's active lease, once matching created it (bounded wait)."""
    deadline = time.monotonic() + timeout
    while True:
        leases = chain.json(
            "query", "market", "lease", "list", "--provider", provider, "--state", "active"
        )["leases"]
        if leases:
            found: dict[str, Any] = leases[0]
            return found
        assert time.monotonic() < deadline, "no lease was created"
        time.sleep(0.3)


def test_a_provider_bids_wins_withdraws_and_the_tenant_closes(chain: Chain, tmp_path: Path) -> None:
    provider = Keyring(chain.home, "test").add("market-provider").address
    chain.send("alice", provider, "5000000ugpc")
    provider_yaml = tmp_path / "provider.yaml"
    provider_yaml.write_text(
        "host: https://market.example.com:8443\n"
        "attributes:\n  - key: region\n    value: eu-market\n"
        "info:\n  email: ops@example.com\n  website: https://example.com\n"
    )
    tx(chain, "provider", "create", str(provider_yaml), "--collateral", "1000000ugpc",
       "--from", "market-provider")  # fmt: skip
    tx(chain, "deployment", "create", GPU_SDL, "--deposit", "5000000ugpc", "--dseq", DSEQ,
       "--from", "alice", fees="600ugpc")  # fmt: skip
    order = chain.json("query", "market", "order", "get", "--owner", "alice", "--dseq", DSEQ)
    assert order["order_id"]["dseq"] == DSEQ and order["spec"]["resources"][0]["count"] == 1

    tx(chain, "market", "bid", "create", "--owner", "alice", "--dseq", DSEQ,
       "--price", "9000ugpc", "--deposit", "500000ugpc", "--from", "market-provider")  # fmt: skip
    lease = wait_for_lease(chain, provider)
    assert lease["lease_id"]["dseq"] == DSEQ and lease["price"]["amount"] == "9000"
    bids = chain.json("query", "market", "bid", "list", "--owner", "alice", "--dseq", DSEQ)
    assert [bid["state"] for bid in bids["bids"]] == ["BID_STATE_ACTIVE"]
    table = chain.ok("query", "market", "lease", "list", "--provider", provider)
    assert table.startswith("LEASE") and f"/{DSEQ}/1/" in table and "active" in table

    # A withdraw pays only reported blocks: the provider reports them first.
    reported_until = chain.node.last_height()
    tx(chain, "market", "lease", "report", "--owner", "alice", "--dseq", DSEQ,
       "--start", str(int(lease["created_at"]) + 1), "--end", str(reported_until),
       "--gpu", "GPU-8a1f,NVIDIA H100 80GB HBM3,8750,64424509440,123456",
       "--from", "market-provider")  # fmt: skip
    usage = chain.json("query", "market", "usage", "--owner", "alice", "--dseq", DSEQ,
                       "--provider", provider)  # fmt: skip
    [report] = usage["reports"]
    assert (report["end_height"], usage["reported_until"]) == (str(reported_until),) * 2
    assert report["gpus"][0]["avg_utilization_bps"] == 8750
    assert int(usage["next_report_due"]) == reported_until + 100_000
    shown = chain.ok("query", "market", "usage", "--owner", "alice", "--dseq", DSEQ,
                     "--provider", provider)  # fmt: skip
    assert "GPU-8a1f:87.50%" in shown and "next report due by height" in shown
    bad = chain.run("tx", "market", "lease", "report", "--owner", "alice", "--dseq", DSEQ,
                    "--start", "5", "--end", "4", "--from", "market-provider", "--fees", FEES,
                    "--yes")  # fmt: skip
    assert bad.returncode != 0 and "end_height 4 is before start_height 5" in bad.stderr

    before = chain.balance(provider)
    tx(chain, "market", "lease", "withdraw", "--owner", "alice", "--dseq", DSEQ,
       "--from", "market-provider")  # fmt: skip
    escrow = chain.json("query", "escrow", "balance", "--owner", "alice", "--dseq", DSEQ)
    paid = int(escrow["transferred"])
    assert paid > 0 and chain.balance(provider) == before - 400 + paid
    assert int(escrow["blocks_remaining"]) > 0

    tx(chain, "market", "lease", "close", "--dseq", DSEQ, "--provider", provider,
       "--from", "alice")  # fmt: skip
    closed = chain.json("query", "market", "lease", "get", "--owner", "alice", "--dseq", DSEQ,
                        "--provider", provider)  # fmt: skip
    assert (closed["state"], closed["reason"]) == (
        "LEASE_STATE_CLOSED",
        "LEASE_CLOSED_REASON_OWNER",
    )
    again = chain.run(
        "tx", "market", "lease", "close", "--dseq", DSEQ, "--provider", provider,
        "--from", "alice", "--fees", FEES, "--yes", "-o", "json",
    )  # fmt: skip
    # the simulation refuses it before anything is signed: no fee is paid
    assert again.returncode != 0
    error = json.loads(again.stdout)["error"]
    assert error.startswith("simulation failed, nothing was sent")
    assert "(market/16)" in error
    tx(chain, "deployment", "close", "--dseq", DSEQ, "--from", "alice", fees="200ugpc")
