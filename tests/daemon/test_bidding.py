"""The daemon on a real node: it bids only where it should, `explain` gives the exact reason
for every group it skipped, a restarted daemon makes no second bid but misses no order, and
neither does one whose node is killed and restarted."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest
import yaml
from daemon_helpers import (
    Chain,
    Running,
    bids_of,
    deliver,
    deploy,
    group,
    make_certificate,
    provider_home,
    provider_output,
    wait_until,
)

from chain.pb.gpuchain.deployment.v1 import deployment_pb2 as dp
from chain.pb.gpuchain.market.v1 import market_pb2, usage_pb2
from chain.pb.gpuchain.market.v1 import query_pb2 as market_query_pb2
from chain.rpc import RpcError
from provider import config as provider_config
from provider import metrics
from provider.daemon import StartError, lease_id_of, open_daemon
from x.deployment.msgs import close_msg
from x.provider.cli import cert_fingerprint

pytestmark = pytest.mark.timeout(240)
MIB = 2**20


def counted() -> Counter[str]:
    """The daemon's Prometheus counters: bids, and skips by reason."""
    counts: Counter[str] = Counter()
    counts["bids"] = int(metrics.REGISTRY.get_sample_value("gpuchain_provider_bids_total") or 0)
    for reason in ("price_too_low", "missing_attribute", "wrong_auditor", "not_enough_gpus"):
        value = metrics.REGISTRY.get_sample_value(
            "gpuchain_provider_skips_total", {"reason": reason}
        )
        counts[reason] = int(value or 0)
    return counts


def test_the_daemon_bids_where_it_can_explains_every_skip_and_never_bids_twice(
    chain: Chain, tmp_path: Path
) -> None:
    home = provider_home(chain, tmp_path)
    auditor, stranger = chain.addresses["auditor"], chain.addresses["bystander"]
    counted_before = counted()
    running = Running(home)
    deploy(
        chain,
        100,
        [
            group("fits", "10", {"region": "west"}, dp.SignedBy(any_of=[auditor])),
            group("cheap", "2"),
            group("gold", "10", {"tier": "gold"}),
            group("audited", "10", signed_by=dp.SignedBy(all_of=[stranger])),
            group("gpu", "1000", gpus=1),
        ],
    )
    state = running.daemon.state
    wait_until(lambda: len(state.decisions_for_deployment(100)) == 5, "five decisions")
    wait_until(lambda: (100, 1, "3") in bids_of(chain), "the bid on group 1 on chain")

    expected = Counter(
        {"bids": 1, "price_too_low": 1, "missing_attribute": 1, "wrong_auditor": 1,
         "not_enough_gpus": 1}
    )  # fmt: skip
    # At least: a skipped order re-opens when nobody bids, and is decided (and counted) again.
    wait_until(lambda: counted() - counted_before >= expected, "the Prometheus counts")
    lines = provider_output("explain", "100", "--home", str(home)).splitlines()
    assert lines[0].startswith("group 1 (order 1") and ": bid 3ugpc per block" in lines[0]
    assert "no bid: price_too_low: max price 2ugpc per block is below the provider's price " \
        "3ugpc per block" in lines[1]  # fmt: skip
    assert "no bid: missing_attribute: the order requires attribute tier=gold; the provider " \
        "declares no tier" in lines[2]  # fmt: skip
    assert f"no bid: wrong_auditor: signed_by.all_of: auditor {stranger} has not signed the " \
        "provider" in lines[3]  # fmt: skip
    assert "no bid: not_enough_gpus: needs 1 GPU(s) matching vendor/nvidia/model/a100; 0 free" \
        in lines[4]  # fmt: skip

    # Restart: the stored decisions and the sent bid stand; an order made while the
    # daemon was down is found at start.
    bid = state.decisions_for_deployment(100)[0]
    running.stop()
    deploy(chain, 101, [group("later", "10")])
    running = Running(home)
    wait_until(lambda: (101, 1, "3") in bids_of(chain), "the bid on the order made while down")
    height = chain.node.last_height()
    wait_until(lambda: running.daemon.state.processed_height() > height + 2, "a few more blocks")
    assert running.daemon.state.decisions_for_deployment(100)[0] == bid  # not decided anew

    # The node it follows is killed and comes back: an order made right after is bid on.
    chain.node.kill()
    chain.node.start()
    deploy(chain, 102, [group("after the node's restart", "10")])
    wait_until(lambda: (102, 1, "3") in bids_of(chain), "the bid after the node's restart")
    running.stop()
    assert sorted(bids_of(chain)) == [(100, 1, "3"), (101, 1, "3"), (102, 1, "3")]
    _, sequence = chain.node.account(chain.addresses["provider"])
    assert sequence == 4  # registration and three bids: nothing was signed twice


def test_the_daemon_refuses_to_start_with_another_certificate(chain: Chain, tmp_path: Path) -> None:
    home = provider_home(chain, tmp_path)
    make_certificate(home, "another")
    daemon = open_daemon(provider_config.load(home), runtime=None)
    with pytest.raises(StartError, match=r"gpuchain tx provider update .* --cert "):
        daemon.check_chain(cert_fingerprint(str(home / "gateway.crt")))


def usage_of(chain: Chain, dseq: int) -> tuple[list[tuple[int, int]], int]:
    """The usage reports of the provider's lease on (tenant, dseq, 1, 1): periods, and the
    last block they cover."""
    answer = chain.node.rpc.query_message(
        "/gpuchain.market.v1.Query/Usage",
        usage_pb2.QueryUsageRequest(
            owner=chain.addresses["tenant"],
            dseq=dseq,
            gseq=1,
            oseq=1,
            provider=chain.addresses["provider"],
        ),
        usage_pb2.QueryUsageResponse(),
    )
    periods = [(report.start_height, report.end_height) for report in answer.reports]
    return periods, answer.reported_until


def paid_out(chain: Chain, dseq: int) -> int:
    """What the provider's withdrawals of the deployment's lease paid it, from tx events."""
    found = chain.node.rpc.tx_search(f"lease_withdrawn.dseq='{dseq}'", per_page=100)
    return sum(
        int(attribute["value"])
        for tx in found["txs"]
        for event in tx["tx_result"]["events"]
        if event["type"] == "lease_withdrawn"
        for attribute in event["attributes"]
        if attribute["key"] == "paid"
    )


def test_a_won_lease_is_reported_withdrawn_and_let_go_when_the_tenant_closes(
    chain: Chain, tmp_path: Path
) -> None:
    home = provider_home(chain, tmp_path)
    configuration = home / provider_config.CONFIG_FILE
    data = yaml.safe_load(configuration.read_text())
    data.update(report_interval_blocks=4, withdraw_interval_blocks=3)
    configuration.write_text(yaml.safe_dump(data))
    provider = chain.addresses["provider"]
    running = Running(home)
    deploy(chain, 300, [group("web", "10")])
    state = running.daemon.state
    name = f"{chain.addresses['tenant']}/300/1/1/{provider}"
    wait_until(lambda: state.lease(name) is not None, "the lease won", timeout=60)

    wait_until(lambda: len(usage_of(chain, 300)[0]) >= 3, "three usage reports", timeout=60)
    periods, _ = usage_of(chain, 300)
    assert all(later[0] == earlier[1] + 1 for earlier, later in pairwise(periods))
    wait_until(lambda: paid_out(chain, 300) > 0, "a withdrawal paying the provider")

    deliver(chain, "tenant", [close_msg(chain.addresses["tenant"], 300)])
    wait_until(lambda: getattr(state.lease(name), "state", "") == "closed", "the lease closed")
    assert all(r.order_key != name.rsplit("/", 1)[0] for r in state.reservations())
    running.stop()


def test_a_lease_whose_manifest_never_comes_is_closed_by_the_provider(
    chain: Chain, tmp_path: Path
) -> None:
    home = provider_home(chain, tmp_path)
    configuration = home / provider_config.CONFIG_FILE
    data = yaml.safe_load(configuration.read_text())
    data.update(manifest_timeout_seconds=1)
    configuration.write_text(yaml.safe_dump(data))
    running = Running(home)
    deploy(chain, 400, [group("web", "10")])
    name = f"{chain.addresses['tenant']}/400/1/1/{chain.addresses['provider']}"
    lease_id = lease_id_of(name)
    request = market_query_pb2.QueryLeaseRequest(
        owner=lease_id.owner, dseq=400, gseq=1, oseq=1, provider=lease_id.provider
    )

    def closed_as() -> str:
        try:
            lease = chain.node.rpc.query_message(
                "/gpuchain.market.v1.Query/Lease", request, market_query_pb2.QueryLeaseResponse()
            ).lease
        except RpcError:
            return ""  # not won yet
        return (
            market_pb2.LeaseClosedReason.Name(lease.reason)
            if lease.state == market_pb2.LEASE_STATE_CLOSED
            else ""
        )

    wait_until(lambda: closed_as() != "", "the lease closed", timeout=60)
    assert closed_as() == "LEASE_CLOSED_REASON_MANIFEST_TIMEOUT"
    wait_until(lambda: getattr(running.daemon.state.lease(name), "state", "") == "closed", "closed")
    running.stop()


def test_a_lost_bid_frees_what_it_held(chain: Chain, tmp_path: Path) -> None:
    running = Running(provider_home(chain, tmp_path))
    rival = Running(provider_home(chain, tmp_path, key="rival", cpu_milli="0"))  # 2ugpc
    losses = metrics.REGISTRY.get_sample_value("gpuchain_provider_losses_total") or 0
    deploy(chain, 600, [group("web", "10")])
    state = running.daemon.state
    wait_until(lambda: state.reserved().cpu_millis == 100, "the bid's reservation")

    name = f"{chain.addresses['tenant']}/600/1/1/{chain.addresses['rival']}"
    wait_until(lambda: rival.daemon.state.lease(name) is not None, "the rival's lease", 60)
    wait_until(lambda: state.reserved().cpu_millis == 0, "the lost bid's reservation freed")
    lost = metrics.REGISTRY.get_sample_value("gpuchain_provider_losses_total") or 0
    assert lost == losses + 1
    assert state.leases() == []
    rival.stop()
    running.stop()
