"""Provider reputation and collateral slashes, over a funded chain's real LevelDB state:
counters written through the keeper's record_* methods (as the market's lease hooks and
usage reports write them) give the documented integer score, the typed query and genesis
carry them, and a slash lowers the recorded collateral and the provider_collateral account
together, so the collateral-held invariant keeps holding."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from chain_fixtures import ALICE, BOB, CAROL, Chain
from provider_helpers import COLLATERAL, create, deliver, events_of, provider_chain

from chain.coins import Coin, Coins
from chain.context import Context, ExecMode, infinite_gas
from chain.errors import AppError
from chain.pb.gpuchain.provider.v1 import query_pb2
from chain.store import KVStore, Overlay
from chain.testing import InBlock, TestNode
from x.bank.module import BankModule
from x.provider.invariants import invariants
from x.provider.keeper import COLLATERAL_ACCOUNT, PayOut, ProviderKeeper
from x.provider.module import ProviderModule
from x.provider.msgs import delete_provider_msg
from x.provider.queries import REPUTATION_PATH, query_routes


@pytest.fixture
def in_block() -> InBlock:
    return InBlock()


@pytest.fixture
def chain(tmp_path: Path, in_block: InBlock) -> Iterator[Chain]:
    funded = provider_chain(tmp_path / "node", [in_block])
    yield funded
    funded.node.close()


def keeper_of(chain: Chain) -> ProviderKeeper:
    return chain.node.modules.get(ProviderModule).keeper


def context(store: KVStore, height: int = 10) -> Context:
    return Context(store, "gpuchain-test", height, 0, ExecMode.FINALIZE, infinite_gas())


def broken(keeper: ProviderKeeper, store: KVStore) -> list[str]:
    return [
        f"{check.name}: {message}"
        for check in invariants(keeper)
        if (message := check.check(store)) is not None
    ]


def reputation_query(store: KVStore, keeper: ProviderKeeper, provider: str) -> dict[str, str]:
    [route] = [route for route in query_routes(keeper) if route.path == REPUTATION_PATH]
    answer = route.handler(store, query_pb2.QueryReputationRequest(provider=provider))
    counters = answer.reputation
    return {
        "provider": counters.provider,
        "won": str(counters.leases_won),
        "completed": str(counters.leases_completed),
        "failed": str(counters.leases_failed),
        "on_time": str(counters.reports_on_time),
        "slashes": str(counters.slashes),
        "score": str(answer.score),
    }


def to_bob(keeper: ProviderKeeper) -> PayOut:
    bank = keeper.bank

    def pay_out(ctx: Context, source: bytes, amount: Coin) -> None:
        bank.send(ctx, source, BOB.address, Coins.of([amount]))

    return pay_out


def test_an_address_without_a_record_has_zero_counters_and_score(chain: Chain) -> None:
    answer = chain.node.query(
        REPUTATION_PATH,
        query_pb2.QueryReputationRequest(provider=ALICE.bech32_address),
        query_pb2.QueryReputationResponse(),
    )
    assert answer.reputation.provider == ALICE.bech32_address
    assert (answer.reputation.leases_won, answer.score) == (0, 0)


def test_the_query_refuses_a_bad_address(chain: Chain) -> None:
    with pytest.raises(AssertionError, match="sdk/7 provider 'gpu1nothing': address"):
        chain.node.query(
            REPUTATION_PATH,
            query_pb2.QueryReputationRequest(provider="gpu1nothing"),
            query_pb2.QueryReputationResponse(),
        )


def test_counters_give_the_documented_score(chain: Chain) -> None:
    keeper = keeper_of(chain)
    store = Overlay(chain.node.app.store.committed())
    for _ in range(3):
        keeper.record_lease_won(store, ALICE.address)
    keeper.record_lease_completed(store, ALICE.address)
    keeper.record_lease_completed(store, ALICE.address)
    keeper.record_lease_failed(store, ALICE.address)
    for _ in range(7):
        keeper.record_report_on_time(store, ALICE.address)
    keeper.record_slash(store, ALICE.address)
    # 7 reports + 100 x 2 completed - 1000 x 1 failed - 1000 x 1 slash
    assert reputation_query(store, keeper, ALICE.bech32_address) == {
        "provider": ALICE.bech32_address,
        "won": "3",
        "completed": "2",
        "failed": "1",
        "on_time": "7",
        "slashes": "1",
        "score": str(7 + 200 - 1000 - 1000),
    }
    assert keeper.reputation_score(store, ALICE.address) == -1793
    keeper.record_report_on_time(store, CAROL.address)
    keeper.record_lease_won(store, BOB.address)
    ranked = sorted(
        [ALICE.address, BOB.address, CAROL.address],
        key=lambda provider: -keeper.reputation_score(store, provider),
    )
    # a report on time beats winning alone, which beats a failed lease and a slash
    assert ranked == [CAROL.address, BOB.address, ALICE.address]


def test_a_slash_lowers_the_collateral_and_the_module_account_together(chain: Chain) -> None:
    assert deliver(chain, ALICE, create(ALICE)).code == 0
    keeper = keeper_of(chain)
    store = Overlay(chain.node.app.store.committed())
    bank = chain.node.modules.get(BankModule).keeper
    bob_before = bank.balance(store, BOB.address, "ugpc")
    ctx = context(store)
    slashed = keeper.slash_collateral(ctx, ALICE.address, 1234, to_bob(keeper))
    assert slashed == COLLATERAL.amount * 1234 // 10_000 == 123_400
    provider = keeper.provider(store, ALICE.address)
    assert provider is not None and provider.collateral == Coin("ugpc", 876_600)
    assert bank.balance(store, COLLATERAL_ACCOUNT.address, "ugpc") == 876_600
    assert bank.balance(store, BOB.address, "ugpc") == bob_before + 123_400
    assert keeper.reputation(store, ALICE.address).slashes == 1
    [event] = [e for e in ctx.events if e.type == "provider_slashed"]
    assert dict(event.attributes) == {
        "owner": ALICE.bech32_address,
        "amount": "123400ugpc",
        "collateral": "876600ugpc",
        "fraction_bps": "1234",
    }
    assert broken(keeper, store) == []


def test_a_slash_that_moves_no_tokens_is_an_internal_error(chain: Chain) -> None:
    assert deliver(chain, ALICE, create(ALICE)).code == 0
    keeper = keeper_of(chain)
    store = Overlay(chain.node.app.store.committed())
    with pytest.raises(AppError, match="moved 0 out of collateral"):
        keeper.slash_collateral(context(store), ALICE.address, 500, lambda *_: None)
    with pytest.raises(AppError, match=r"outside 0\.\.10000"):
        keeper.slash_collateral(context(store), ALICE.address, 10_001, to_bob(keeper))


def test_slashing_a_non_provider_takes_nothing(chain: Chain) -> None:
    keeper = keeper_of(chain)
    store = Overlay(chain.node.app.store.committed())
    assert keeper.slash_collateral(context(store), BOB.address, 5000, to_bob(keeper)) == 0
    assert keeper.reputation(store, BOB.address).slashes == 0


def test_reputation_and_a_fully_slashed_provider_survive_export_and_import(
    chain: Chain, in_block: InBlock, tmp_path: Path
) -> None:
    assert deliver(chain, ALICE, create(ALICE)).code == 0
    assert deliver(chain, CAROL, create(CAROL)).code == 0
    keeper = keeper_of(chain)

    def record(ctx: Context) -> None:
        keeper.slash_collateral(ctx, ALICE.address, 10_000, to_bob(keeper))
        keeper.record_lease_won(ctx.store, CAROL.address)
        keeper.record_report_on_time(ctx.store, CAROL.address)

    in_block.queued.append(record)
    chain.node.block()
    exported = chain.node.app.export_genesis()
    assert exported["provider"]["reputations"] == [
        {
            "provider": address.bech32_address,
            "leases_won": won,
            "leases_completed": "0",
            "leases_failed": "0",
            "reports_on_time": on_time,
            "slashes": slashes,
        }
        for address, won, on_time, slashes in sorted(
            [(ALICE, "0", "0", "1"), (CAROL, "1", "1", "0")], key=lambda row: row[0].address
        )
    ]
    copy = TestNode(tmp_path / "copy")
    try:
        copy.init_chain(exported)  # invariants are checked on the imported state too
        copy.block()
        assert copy.app.export_genesis()["provider"] == exported["provider"]
        answer = copy.query(
            REPUTATION_PATH,
            query_pb2.QueryReputationRequest(provider=CAROL.bech32_address),
            query_pb2.QueryReputationResponse(),
        )
        assert (answer.reputation.leases_won, answer.score) == (1, 1)
    finally:
        copy.close()


def test_a_fully_slashed_provider_leaves_without_a_release(chain: Chain, in_block: InBlock) -> None:
    assert deliver(chain, ALICE, create(ALICE)).code == 0
    keeper = keeper_of(chain)
    in_block.queued.append(
        lambda ctx: keeper.slash_collateral(ctx, ALICE.address, 10_000, to_bob(keeper))
    )
    result = deliver(chain, ALICE, delete_provider_msg(ALICE.bech32_address))
    assert result.code == 0, result.log
    assert events_of(result, "provider_deleted")[0]["collateral"] == "0ugpc"
    assert chain.node.app.export_genesis()["provider"]["releases"] == []


def test_a_provider_that_leaves_and_comes_back_keeps_its_record(
    chain: Chain, in_block: InBlock
) -> None:
    assert deliver(chain, ALICE, create(ALICE)).code == 0
    keeper = keeper_of(chain)
    in_block.queued.append(lambda ctx: keeper.record_lease_failed(ctx.store, ALICE.address))
    chain.node.block()
    assert deliver(chain, ALICE, delete_provider_msg(ALICE.bech32_address)).code == 0
    assert deliver(chain, ALICE, create(ALICE)).code == 0
    reader, _, _ = chain.node.app.store.query_view()
    assert reputation_query(reader, keeper, ALICE.bech32_address)["failed"] == "1"
    assert keeper.reputation_score(reader, ALICE.address) == -1000
