"""The escrow keeper, driven directly as deployment and (later) the market drive it, over
a funded chain's real LevelDB state: deposits from anyone, lazy settlement of per-block
payments, the dry-height index, close with the exact refund. After every step the escrow
invariants hold (conservation: deposits = balances + paid + taken + refunded)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from chain_fixtures import ALICE, BOB, CAROL, Chain

from chain.context import Context, ExecMode, infinite_gas
from chain.crypto import module_address
from chain.errors import AppError
from chain.pb.gpuchain.escrow.v1 import query_pb2
from chain.store import Overlay
from chain.testing import TestNode
from x.bank.module import BankModule
from x.escrow import genesis, queries
from x.escrow.invariants import invariants
from x.escrow.keeper import MODULE_ADDRESS, EscrowKeeper
from x.escrow.module import EscrowModule
from x.escrow.types import Params

PROVIDER = CAROL.address
DISTRIBUTION = module_address("distribution")
DSEQ = 5


@dataclass
class Escrow:
    """The escrow keeper over an uncommitted layer of the chain's state, at a chosen height."""

    keeper: EscrowKeeper
    chain: Chain
    store: Overlay

    def at(self, height: int) -> Context:
        return Context(self.store, "gpuchain-test", height, 0, ExecMode.FINALIZE, infinite_gas())

    def balance(self, address: bytes) -> int:
        amount: int = self.chain.node.modules.get(BankModule).keeper.balance(
            self.store, address, "ugpc"
        )
        return amount

    def broken(self) -> list[str]:
        return [
            f"{check.name}: {message}"
            for check in invariants(self.keeper)
            if (message := check.check(self.store)) is not None
        ]


@pytest.fixture
def escrow(chain: Chain) -> Escrow:
    keeper = chain.node.modules.get(EscrowModule).keeper
    return Escrow(keeper, chain, Overlay(chain.node.app.store.committed()))


def code_of(error: pytest.ExceptionInfo[AppError]) -> tuple[str, int]:
    return error.value.kind.codespace, error.value.kind.code


def test_anyone_tops_up_an_open_account(escrow: Escrow) -> None:
    escrow.keeper.open_account(escrow.at(10), ALICE.address, DSEQ, ALICE.address, 1000)
    escrow.keeper.deposit(escrow.at(11), ALICE.address, DSEQ, BOB.address, 234)
    account = escrow.keeper.account(escrow.store, ALICE.address, DSEQ)
    assert account is not None and (account.balance, account.deposited) == (1234, 1234)
    assert escrow.balance(MODULE_ADDRESS) == 1234
    assert escrow.broken() == []


def test_an_account_opens_once(escrow: Escrow) -> None:
    escrow.keeper.open_account(escrow.at(10), ALICE.address, DSEQ, ALICE.address, 1000)
    with pytest.raises(AppError) as error:
        escrow.keeper.open_account(escrow.at(11), ALICE.address, DSEQ, ALICE.address, 1000)
    assert code_of(error) == ("escrow", 2)


def test_a_deposit_needs_an_open_account_and_a_positive_amount(escrow: Escrow) -> None:
    with pytest.raises(AppError) as missing:
        escrow.keeper.deposit(escrow.at(10), ALICE.address, DSEQ, BOB.address, 10)
    assert code_of(missing) == ("escrow", 3)
    escrow.keeper.open_account(escrow.at(10), ALICE.address, DSEQ, ALICE.address, 1000)
    with pytest.raises(AppError) as zero:
        escrow.keeper.deposit(escrow.at(11), ALICE.address, DSEQ, BOB.address, 0)
    assert code_of(zero) == ("escrow", 5)
    with pytest.raises(AppError, match="insufficient funds"):
        escrow.keeper.deposit(escrow.at(11), ALICE.address, DSEQ, BOB.address, 10**12)
    escrow.keeper.close_account(escrow.at(12), ALICE.address, DSEQ)
    with pytest.raises(AppError) as closed:
        escrow.keeper.deposit(escrow.at(13), ALICE.address, DSEQ, BOB.address, 10)
    assert code_of(closed) == ("escrow", 4)


def test_payments_settle_lazily_and_the_index_names_the_dry_height(escrow: Escrow) -> None:
    keeper = escrow.keeper
    keeper.open_account(escrow.at(10), ALICE.address, DSEQ, ALICE.address, 1000)
    keeper.open_payment(escrow.at(10), ALICE.address, DSEQ, "1/1/lease", PROVIDER, 30)
    # 1000 covers 33 blocks at 30: heights 11..43; at 44 it no longer covers one.
    assert keeper.dry_at(escrow.store, 44) == [(ALICE.address, DSEQ)]
    settled = keeper.settle(escrow.at(20), ALICE.address, DSEQ)
    # Settlement accrues: the provider is owed 300, which stays in escrow until a payout.
    assert (settled.balance, settled.accrued, settled.transferred) == (700, 300, 0)
    assert settled.settled_at == 20 and escrow.balance(PROVIDER) == 0
    assert escrow.balance(MODULE_ADDRESS) == 1000
    assert settled.blocks_paid_after_settlement() == 23 and settled.dry_height() == 44
    assert keeper.dry_at(escrow.store, 44) == [(ALICE.address, DSEQ)]
    # A top-up moves the dry height; the old index entry goes.
    keeper.deposit(escrow.at(20), ALICE.address, DSEQ, BOB.address, 300)
    assert keeper.dry_at(escrow.store, 44) == []
    assert keeper.dry_at(escrow.store, 54) == [(ALICE.address, DSEQ)]
    assert escrow.broken() == []


def test_a_withdraw_pays_the_accrued_amount_less_the_take_rate_rounded_down(
    escrow: Escrow,
) -> None:
    keeper = escrow.keeper
    pool = escrow.balance(DISTRIBUTION)
    keeper.open_account(escrow.at(10), ALICE.address, DSEQ, ALICE.address, 10_000)
    keeper.open_payment(escrow.at(10), ALICE.address, DSEQ, "a", PROVIDER, 333)
    paid, taken = keeper.withdraw_payment(escrow.at(13), ALICE.address, DSEQ, "a")
    # 3 blocks x 333 = 999 accrued; 2% of it is 19.98, rounded down to 19.
    assert (paid, taken) == (980, 19)
    assert escrow.balance(PROVIDER) == 980 and escrow.balance(DISTRIBUTION) == pool + 19
    account = keeper.account(escrow.store, ALICE.address, DSEQ)
    assert account is not None
    assert (account.accrued, account.transferred, account.taken) == (0, 980, 19)
    assert escrow.balance(MODULE_ADDRESS) == 10_000 - 999
    assert escrow.broken() == []


def test_a_late_settlement_pays_only_the_blocks_the_balance_covers(escrow: Escrow) -> None:
    keeper = escrow.keeper
    keeper.set_params(escrow.store, Params(take_rate_bps=0))
    keeper.open_account(escrow.at(10), ALICE.address, DSEQ, ALICE.address, 100)
    keeper.open_payment(escrow.at(10), ALICE.address, DSEQ, "a", PROVIDER, 7)
    keeper.open_payment(escrow.at(10), ALICE.address, DSEQ, "b", BOB.address, 3)
    bob = escrow.balance(BOB.address)
    settled = keeper.settle(escrow.at(1000), ALICE.address, DSEQ)
    assert (settled.balance, settled.accrued, settled.settled_at) == (0, 100, 20)
    # The account is dry, and still settles and pays out what it covered.
    assert keeper.withdraw_payment(escrow.at(1001), ALICE.address, DSEQ, "a") == (70, 0)
    assert keeper.withdraw_payment(escrow.at(1002), ALICE.address, DSEQ, "b") == (30, 0)
    assert escrow.balance(PROVIDER) == 70 and escrow.balance(BOB.address) == bob + 30
    assert escrow.broken() == []


def test_closing_a_payment_stops_it_and_closing_the_account_refunds_exactly(
    escrow: Escrow,
) -> None:
    keeper = escrow.keeper
    keeper.set_params(escrow.store, Params(take_rate_bps=0))
    alice = escrow.balance(ALICE.address)
    keeper.open_account(escrow.at(10), ALICE.address, DSEQ, ALICE.address, 1000)
    keeper.deposit(escrow.at(10), ALICE.address, DSEQ, BOB.address, 501)
    keeper.open_payment(escrow.at(10), ALICE.address, DSEQ, "a", PROVIDER, 11)
    keeper.open_payment(escrow.at(12), ALICE.address, DSEQ, "b", PROVIDER, 5)
    # Closing a pays out everything it accrued: 5 x 11.
    assert keeper.close_payment(escrow.at(15), ALICE.address, DSEQ, "a") == (55, 0)
    with pytest.raises(AppError) as again:
        keeper.close_payment(escrow.at(16), ALICE.address, DSEQ, "a")
    assert code_of(again) == ("escrow", 8)
    with pytest.raises(AppError) as twice:
        keeper.open_payment(escrow.at(16), ALICE.address, DSEQ, "b", PROVIDER, 5)
    assert code_of(twice) == ("escrow", 6)
    refund = keeper.close_account(escrow.at(20), ALICE.address, DSEQ)  # b: 8 x 5 paid out
    paid = 5 * 11 + 8 * 5
    assert escrow.balance(PROVIDER) == paid
    assert refund == 1501 - paid
    assert escrow.balance(ALICE.address) == alice - 1000 + refund
    assert escrow.balance(MODULE_ADDRESS) == 0
    account = keeper.account(escrow.store, ALICE.address, DSEQ)
    assert account is not None and account.rate == 0 and account.dry_height() == 0
    assert all(
        not payment.is_open for payment in keeper.payments(escrow.store, ALICE.address, DSEQ)
    )
    assert escrow.broken() == []


def test_the_invariant_catches_a_leak(escrow: Escrow) -> None:
    keeper = escrow.keeper
    keeper.open_account(escrow.at(10), ALICE.address, DSEQ, ALICE.address, 1000)
    account = keeper.account(escrow.store, ALICE.address, DSEQ)
    assert account is not None
    keeper.set_account(escrow.store, account.with_(balance=999), account)
    assert any(message.startswith("escrow/conservation") for message in escrow.broken())


def test_the_balance_query_says_how_many_blocks_remain(escrow: Escrow) -> None:
    keeper = escrow.keeper
    keeper.open_account(escrow.at(10), ALICE.address, DSEQ, ALICE.address, 1000)
    keeper.open_payment(escrow.at(10), ALICE.address, DSEQ, "a", PROVIDER, 30)
    (route,) = [r for r in queries.query_routes(keeper) if r.path == queries.BALANCE_PATH]
    request = query_pb2.QueryBalanceRequest(owner=ALICE.bech32_address, dseq=DSEQ)
    answer = route.handler(escrow.store, request)
    assert isinstance(answer, query_pb2.QueryBalanceResponse)
    assert (answer.account.balance, answer.account.rate) == ("1000", "30")
    # The balance pays blocks 11..43; from the committed height on, what is left of them.
    now = escrow.chain.node.height
    assert (answer.account.blocks_remaining, answer.account.dry_height) == (43 - now, 44)
    with pytest.raises(AppError) as unknown:
        route.handler(escrow.store, query_pb2.QueryBalanceRequest(owner=BOB.bech32_address, dseq=1))
    assert code_of(unknown) == ("escrow", 3)


def test_accounts_and_payments_export_and_import_and_a_leak_is_refused(
    escrow: Escrow, tmp_path: Path
) -> None:
    keeper = escrow.keeper
    keeper.open_account(escrow.at(10), ALICE.address, DSEQ, ALICE.address, 1000)
    keeper.open_payment(escrow.at(10), ALICE.address, DSEQ, "a", PROVIDER, 30)
    keeper.open_payment(escrow.at(10), ALICE.address, DSEQ, "b", PROVIDER, 5)
    keeper.close_payment(escrow.at(14), ALICE.address, DSEQ, "b")
    exported = genesis.export_genesis(escrow.store, keeper)
    assert [p["payment_id"] for p in exported["payments"]] == ["a", "b"]

    copy = TestNode(tmp_path / "copy")
    try:
        store = Overlay(copy.app.store.committed())
        ctx = Context(store, "gpuchain-test", 0, 0, ExecMode.FINALIZE, infinite_gas())
        copy_keeper = copy.modules.get(EscrowModule).keeper
        genesis.init_genesis(ctx, copy_keeper, exported)
        assert genesis.export_genesis(store, copy_keeper) == exported
        assert copy_keeper.dry_at(store, 14 + 860 // 30 + 1) == [(ALICE.address, DSEQ)]
    finally:
        copy.close()

    leaking = copy_of(exported)
    leaking["payments"][0]["paid"] = "1"
    with pytest.raises(AppError, match="payments do not add up"):
        genesis.validate_genesis(leaking)


def copy_of(state: dict[str, Any]) -> dict[str, Any]:
    copied: dict[str, Any] = json.loads(json.dumps(state))
    return copied
