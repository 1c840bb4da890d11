"""No tx, however hostile, makes an ABCI method raise; every refusal is a registered code or
REJECT, refused txs change nothing, and two nodes fed the same block agree.

The txs come from tests/hostile.py, built from the app's message registry, so a message
type added later is fuzzed too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from budget import examples
from chain_fixtures import ALICE, BOB
from hostile import INT64_EDGES, Envelope, build, corpus, envelopes, messages_of, plausible_strings
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from market_helpers import gpu_group

from chain.coins import Coin
from chain.errors import INTERNAL, is_registered
from chain.pb.gpuchain.market.v1 import market_pb2, usage_pb2
from chain.pb.tendermint.abci import types_pb2 as abci
from chain.testing import TestNode, genesis_state
from x.deployment.msgs import create_msg as deployment_create_msg
from x.market.msgs import create_bid_msg, lease_id, order_id
from x.market.usage_queries import USAGE_PATH
from x.provider.msgs import create_provider_msg

ACCEPT = abci.ResponseProcessProposal.ACCEPT
REJECT = abci.ResponseProcessProposal.REJECT
PLAUSIBLE = plausible_strings(ALICE)


@dataclass
class Twins:
    """Two nodes of one chain, fed the same blocks."""

    first: TestNode
    second: TestNode

    def sign(self, envelope: Envelope, sequence: int | None = None) -> bytes:
        """envelope signed by ALICE at her committed sequence, or at `sequence`."""
        number, committed = self.first.account(ALICE)
        at = committed if sequence is None else sequence
        return build(envelope, ALICE, self.first.chain_id, number, at)


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Twins]:
    state = genesis_state(
        {ALICE.bech32_address: "1000000000000ugpc,500uatom", BOB.bech32_address: "1000000ugpc"}
    )
    # A plausible amount is "1": let it register a provider, so provider and audit
    # handlers run past their first check.
    state["provider"]["params"]["min_provider_collateral"]["amount"] = "1"
    nodes = []
    for name in ("first", "second"):
        node = TestNode(tmp_path_factory.mktemp(name))
        node.init_chain(state)
        node.block()
        nodes.append(node)
    yield Twins(*nodes)
    for node in nodes:
        node.close()


def _assert_registered(code: int, codespace: str, log: str) -> None:
    assert code == 0 or is_registered(codespace, code), (code, codespace, log)
    assert (codespace, code) != (INTERNAL.codespace, INTERNAL.code), log


def _results(response: abci.ResponseFinalizeBlock) -> list[bytes]:
    return [result.SerializeToString() for result in response.tx_results]


def _execute_alike(twins: Twins, raw: bytes) -> abci.ExecTxResult:
    """raw through CheckTx, PrepareProposal, ProcessProposal and a block on both twins: no
    method raises, every refusal is a registered code, both nodes agree, and a tx CheckTx
    refused changes nothing. The block's result for raw."""
    before = twins.first.app.store.last.app_hash

    checked = twins.first.check(raw)
    _assert_registered(checked.code, checked.codespace, checked.log)

    height = twins.first.height + 1
    prepared = twins.first.app.prepare_proposal(
        abci.RequestPrepareProposal(max_tx_bytes=22_020_096, txs=[raw], height=height)
    )
    assert list(prepared.txs) in ([], [raw])
    verdict = twins.first.app.process_proposal(
        abci.RequestProcessProposal(txs=[raw], height=height)
    )
    # PrepareProposal drops exactly what ProcessProposal would refuse.
    assert verdict.status == (ACCEPT if prepared.txs else REJECT)

    # A byzantine proposer's block may carry it anyway: both nodes execute it alike.
    first = twins.first.block([raw])
    second = twins.second.block([raw])
    assert first.app_hash == second.app_hash
    assert _results(first) == _results(second)
    result = first.tx_results[0]
    event(f"CheckTx {checked.codespace}/{checked.code}, block {result.codespace}/{result.code}")
    _assert_registered(result.code, result.codespace, result.log)
    if checked.code:
        assert result.code, "CheckTx refused a tx that FinalizeBlock executed"
        assert first.app_hash == before, "a refused tx changed state"
    return result


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_hostile_txs_pass_every_abci_method_without_an_exception(
    twins: Twins, data: st.DataObject
) -> None:
    registry = twins.first.app.registry
    _execute_alike(twins, twins.sign(data.draw(envelopes(registry, PLAUSIBLE))))


def test_every_field_at_every_edge_is_refused_or_executed_alike_by_two_nodes(twins: Twins) -> None:
    envelopes = corpus(twins.first.app.registry, PLAUSIBLE)
    for start in range(0, len(envelopes), 100):
        # Each tx takes the sequence CheckTx expects next, so every one gets past the
        # sequence check and on to the checks behind it, in CheckTx and in the block.
        _, sequence = twins.first.account(ALICE)
        batch = []
        for envelope in envelopes[start : start + 100]:
            raw = twins.sign(envelope, sequence)
            checked = twins.first.check(raw)
            _assert_registered(checked.code, checked.codespace, checked.log)
            sequence += checked.code == 0
            batch.append(raw)
        height = twins.first.height + 1
        prepared = twins.first.app.prepare_proposal(
            abci.RequestPrepareProposal(max_tx_bytes=22_020_096, txs=batch, height=height)
        )
        verdict = twins.first.app.process_proposal(
            abci.RequestProcessProposal(txs=prepared.txs, height=height)
        )
        assert verdict.status == ACCEPT
        first = twins.first.block(batch)
        second = twins.second.block(batch)
        assert first.app_hash == second.app_hash
        assert _results(first) == _results(second)
        for result in first.tx_results:
            _assert_registered(result.code, result.codespace, result.log)


# --- usage reports on a live lease ---------------------------------------------------


@dataclass
class LeasedTwins:
    """Twins on which ALICE provides an active lease of BOB's deployment: hostile usage
    reports signed by ALICE reach every check of MsgReportUsage, and some pass."""

    twins: Twins
    lease: market_pb2.LeaseID

    def reported_until(self) -> int:
        response: usage_pb2.QueryUsageResponse = self.twins.first.query(
            USAGE_PATH,
            usage_pb2.QueryUsageRequest(
                owner=self.lease.owner, dseq=1, gseq=1, oseq=1, provider=self.lease.provider
            ),
            usage_pb2.QueryUsageResponse(),
        )
        return response.reported_until


@pytest.fixture(scope="module")
def leased_twins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LeasedTwins]:
    state = genesis_state(
        {ALICE.bech32_address: "1000000000000ugpc", BOB.bech32_address: "1000000000ugpc"}
    )
    state["market"]["params"]["report_interval_blocks"] = 100_000  # no fault mid-fuzz
    provider = create_provider_msg(
        ALICE.bech32_address,
        "https://gpu.example.com",
        (("region", "eu"),),
        Coin("ugpc", 1_000_000),
    )
    group = gpu_group()
    deploy = deployment_create_msg(
        BOB.bech32_address, 1, [group], bytes(32), Coin("ugpc", 100_000_000)
    )
    bid = create_bid_msg(
        order_id(BOB.bech32_address, 1, 1, 1),
        ALICE.bech32_address,
        Coin("ugpc", 1000),
        Coin("ugpc", 500_000),
    )
    nodes = []
    for name in ("leased-first", "leased-second"):
        node = TestNode(tmp_path_factory.mktemp(name))
        node.init_chain(state)
        node.block()
        for key, message in ((ALICE, provider), (BOB, deploy), (ALICE, bid)):
            result = node.block([node.sign(key, [message], gas=1_000_000, fee="2000ugpc")])
            assert result.tx_results[0].code == 0, result.tx_results[0].log
        for _ in range(state["market"]["params"]["bid_window_blocks"] + 1):
            node.block()
        nodes.append(node)
    lease = lease_id(BOB.bech32_address, 1, 1, 1, ALICE.bech32_address)
    leased = LeasedTwins(Twins(*nodes), lease)
    assert leased.reported_until() > 0, "the bid did not win its lease"
    yield leased
    for node in nodes:
        node.close()


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_hostile_usage_reports_on_a_live_lease_never_raise_and_change_nothing_when_refused(
    leased_twins: LeasedTwins, data: st.DataObject
) -> None:
    twins = leased_twins.twins
    message = data.draw(messages_of(usage_pb2.MsgReportUsage.DESCRIPTOR, PLAUSIBLE))
    mostly_true = st.sampled_from((True, True, True, False))
    if data.draw(mostly_true):
        message.lease_id.CopyFrom(leased_twins.lease)
    if data.draw(mostly_true):
        message.provider = ALICE.bech32_address
    if data.draw(st.booleans()):
        del message.gpus[:]
        message.gpus.add(uuid="GPU-0", model="NVIDIA H100", avg_utilization_bps=5000)
    next_start = leased_twins.reported_until() + 1
    height = twins.first.height + 1  # the block the report goes in
    message.start_height = data.draw(
        st.one_of(
            st.sampled_from((next_start, next_start, next_start - 1, next_start + 1)),
            st.sampled_from(INT64_EDGES),
        )
    )
    message.end_height = data.draw(
        st.one_of(
            st.sampled_from((height, message.start_height, height + 1)),
            st.sampled_from(INT64_EDGES),
        )
    )
    raw = twins.sign(
        Envelope(
            messages=(("/" + message.DESCRIPTOR.full_name, message.SerializeToString()),),
            gas_limit=1_000_000,
            fee=(("ugpc", "10000"),),
        )
    )
    result = _execute_alike(twins, raw)
    if result.code == 0:
        assert leased_twins.reported_until() == message.end_height
