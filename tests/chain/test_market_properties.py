"""Stateful property test of the marketplace: any sequence of deployments, deposits, bids,
manual picks, withdrawals, lease, bid, group and deployment closes, group pauses and
restarts, usage reports (good and bad) and block advances, with escrow running dry and
leases faulting for missed reports along the way, keeps every
token accounted for, never leaves a negative amount, never leaves a lease without its
active bid and order or two active leases on one order, and empties the escrow of every
closed deployment."""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from pathlib import Path

from budget import examples
from chain_fixtures import ALICE, BOB, Chain
from google.protobuf.message import Message
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from market_helpers import PROVIDERS, gpu_group, market_genesis, register_providers, ugpc

from chain.crypto import PrivateKey, decode_address
from chain.pb.gpuchain.market.v1 import market_pb2
from chain.pb.tendermint.abci import types_pb2 as abci
from chain.store import KVStore, iterate_prefix
from chain.testing import TestNode
from x.bank.module import BankModule
from x.deployment import msgs as deployment_msgs
from x.deployment.module import DeploymentModule
from x.escrow.keeper import MODULE_ADDRESS as ESCROW
from x.escrow.module import EscrowModule
from x.market import keys, msgs
from x.market.keeper import DEPOSITS_ACCOUNT
from x.market.module import MarketModule
from x.market.types import BID_ACTIVE, BID_OPEN, LEASE_ACTIVE, ORDER_ACTIVE, BidRef, state_byte
from x.market.usage_module import UsageModule
from x.market.usage_msgs import report_usage_msg
from x.provider.keeper import COLLATERAL_ACCOUNT
from x.provider.module import ProviderModule

TENANTS = [ALICE, BOB]
INTERVAL = 4
BID_WINDOW = 2
GAS = 1_000_000
FEE = "2000ugpc"


class MarketMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp())
        self.node = TestNode(self.directory / "node")
        state = market_genesis(bid_window=BID_WINDOW)
        state["bank"]["balances"] = sorted(
            [
                *state["bank"]["balances"],
                {
                    "address": BOB.bech32_address,
                    "coins": [{"denom": "ugpc", "amount": "1000000000"}],
                },
            ],
            key=lambda entry: str(entry["address"]),
        )
        state["market"]["params"]["report_interval_blocks"] = INTERVAL
        state["deployment"] = {"params": {"min_deposit": "1000"}}
        self.node.init_chain(state)
        self.node.block()
        register_providers(Chain(self.node))
        self.next_dseq = 1

    # --- reading state -------------------------------------------------------------

    def _reader(self) -> KVStore:
        reader: KVStore = self.node.app.store.query_view()[0]
        return reader

    def _refs(self, prefix: bytes) -> list[BidRef]:
        return [
            BidRef.decode(key[len(prefix) :]) for key, _ in iterate_prefix(self._reader(), prefix)
        ]

    def _open_orders(self) -> list[bytes]:
        prefix = keys.ORDER_STATE_PREFIX + state_byte(market_pb2.ORDER_STATE_OPEN)
        return [key[len(prefix) :] for key, _ in iterate_prefix(self._reader(), prefix)]

    def _active_leases(self) -> list[BidRef]:
        return self._refs(keys.LEASE_STATE_PREFIX + state_byte(LEASE_ACTIVE))

    def _open_bids(self) -> list[BidRef]:
        return self._refs(keys.BID_STATE_PREFIX + state_byte(BID_OPEN))

    def _deployments(self) -> list[tuple[PrivateKey, int]]:
        """(owner key, dseq) of every deployment, in store order."""
        deployments = self.node.modules.get(DeploymentModule).keeper.deployments(self._reader())
        return [(_signer(decode_address(d.owner)), d.dseq) for d in deployments]

    def _submit(self, signer: PrivateKey, message: Message) -> None:
        # Refusals (a closed order, a short balance, a bad period) are legitimate here;
        # what must hold is checked by the invariants (and the node's own, every block).
        result = self.node.block([self.node.sign(signer, [message], gas=GAS, fee=FEE)])
        tx = result.tx_results[0]
        event(f"{type(message).__name__} {tx.codespace}/{tx.code}")
        _note_lease_events(result)

    # --- rules ---------------------------------------------------------------------

    @initialize()
    def a_deployment_with_bids(self) -> None:
        """Leases from the first steps on: one deployment, bid on by two providers."""
        self.deploy(ALICE, 1, 20_000)
        for provider, price in zip(PROVIDERS, (900, 800), strict=False):
            self.bid(provider, 0, price)

    @rule(
        tenant=st.sampled_from(TENANTS),
        groups=st.integers(1, 2),
        deposit=st.integers(1_000, 60_000),
    )
    def deploy(self, tenant: PrivateKey, groups: int, deposit: int) -> None:
        specs = [gpu_group(name=f"g{index}") for index in range(groups)]
        message = deployment_msgs.create_msg(
            tenant.bech32_address, self.next_dseq, specs, bytes(32), ugpc(deposit)
        )
        self.next_dseq += 1
        self._submit(tenant, message)

    @rule(pick=st.integers(0, 5), depositor=st.sampled_from(TENANTS), amount=st.integers(1, 50_000))
    def deposit(self, pick: int, depositor: PrivateKey, amount: int) -> None:
        deployments = self._deployments()
        if deployments:
            owner, dseq = deployments[pick % len(deployments)]
            message = deployment_msgs.deposit_msg(
                owner.bech32_address, dseq, ugpc(amount), depositor.bech32_address
            )
            self._submit(depositor, message)

    @rule(provider=st.sampled_from(PROVIDERS), pick=st.integers(0, 5), price=st.integers(1, 12_000))
    def bid(self, provider: PrivateKey, pick: int, price: int) -> None:
        orders = self._open_orders()
        if not orders:
            return
        order = BidRef.decode(orders[pick % len(orders)] + provider.address).order
        order_id = order.to_proto()
        message = msgs.create_bid_msg(order_id, provider.bech32_address, ugpc(price), ugpc(500_000))
        self._submit(provider, message)

    @rule(pick=st.integers(0, 5))
    def tenant_picks(self, pick: int) -> None:
        bids = self._open_bids()
        if bids:
            ref = bids[pick % len(bids)]
            self._submit(_tenant(ref), msgs.create_lease_msg(ref.bid_proto()))

    @rule(pick=st.integers(0, 5))
    def provider_closes_a_bid(self, pick: int) -> None:
        bids = self._open_bids()
        if bids:
            ref = bids[pick % len(bids)]
            self._submit(_provider(ref), msgs.close_bid_msg(ref.bid_proto()))

    @rule(pick=st.integers(0, 5))
    def withdraw(self, pick: int) -> None:
        leases = self._active_leases()
        if leases:
            ref = leases[pick % len(leases)]
            self._submit(_provider(ref), msgs.withdraw_lease_msg(ref.lease_proto()))

    @rule(pick=st.integers(0, 5), by_owner=st.booleans())
    def close_lease(self, pick: int, by_owner: bool) -> None:
        leases = self._active_leases()
        if leases:
            ref = leases[pick % len(leases)]
            if by_owner:
                reason = market_pb2.LEASE_CLOSED_REASON_OWNER
                self._submit(_tenant(ref), msgs.close_lease_msg(ref.lease_proto(), reason))
            else:
                reason = market_pb2.LEASE_CLOSED_REASON_PROVIDER
                self._submit(_provider(ref), msgs.close_lease_msg(ref.lease_proto(), reason))

    @rule(pick=st.integers(0, 5))
    def close_deployment(self, pick: int) -> None:
        deployments = self._deployments()
        if deployments:
            owner, dseq = deployments[pick % len(deployments)]
            self._submit(owner, deployment_msgs.close_msg(owner.bech32_address, dseq))

    @rule(
        pick=st.integers(0, 5),
        gseq=st.integers(1, 2),
        action=st.sampled_from(["pause", "start", "close"]),
    )
    def group(self, pick: int, gseq: int, action: str) -> None:
        deployments = self._deployments()
        if deployments:
            owner, dseq = deployments[pick % len(deployments)]
            message = deployment_msgs.group_msg(action, owner.bech32_address, dseq, gseq)
            self._submit(owner, message)

    @rule(pick=st.integers(0, 5), shift=st.sampled_from((0, 0, 0, -1, 1)), lag=st.integers(0, 2))
    def report(self, pick: int, shift: int, lag: int) -> None:
        """A report of the next period up to (lag blocks before) the block it goes in;
        shift moves its start off the valid one (an overlap or a gap, refused)."""
        leases = self._active_leases()
        if not leases:
            return
        ref = leases[pick % len(leases)]
        tracker = self.node.modules.get(UsageModule).keeper.tracker(self._reader(), ref)
        assert tracker is not None
        start = tracker.reported_until + 1 + shift
        end = max(start, self.node.height + 1 - lag)
        self._submit(_provider(ref), report_usage_msg(ref.lease_proto(), start, end))

    @rule(count=st.integers(1, 6))
    def advance(self, count: int) -> None:
        for _ in range(count):
            _note_lease_events(self.node.block())

    # --- invariants ----------------------------------------------------------------

    @invariant()
    def every_token_is_accounted_for(self) -> None:
        reader = self._reader()
        bank = self.node.modules.get(BankModule).keeper
        balances = bank.all_balances(reader)
        assert all(coin.amount > 0 for _, coin in balances)
        ugpc_total = sum(coin.amount for _, coin in balances if coin.denom == "ugpc")
        assert ugpc_total == bank.supply_of(reader, "ugpc")
        escrow = self.node.modules.get(EscrowModule).keeper
        held = 0
        for account in escrow.accounts(reader):
            amounts = (account.balance, account.accrued, account.transferred, account.taken)
            assert min(*amounts, account.refunded, account.deposited) >= 0
            assert account.deposited == account.spent()
            payments = escrow.payments(reader, account.owner, account.dseq)
            assert all(min(p.paid, p.accrued, p.taken) >= 0 for p in payments)
            assert account.accrued == sum(p.accrued for p in payments)
            held += account.balance + account.accrued
        assert bank.balance(reader, ESCROW, "ugpc") == held
        market = self.node.modules.get(MarketModule).keeper
        locked = 0
        for state in (BID_OPEN, BID_ACTIVE):
            for ref in self._refs(keys.BID_STATE_PREFIX + state_byte(state)):
                found = market.bid(reader, ref)
                assert found is not None
                locked += int(found.deposit.amount)
        assert bank.balance(reader, DEPOSITS_ACCOUNT.address, "ugpc") == locked
        providers = self.node.modules.get(ProviderModule).keeper
        collateral = sum(p.collateral.amount for p in providers.providers(reader))
        collateral += sum(r.amount.amount for r in providers.releases(reader))
        assert bank.balance(reader, COLLATERAL_ACCOUNT.address, "ugpc") == collateral

    @invariant()
    def every_active_lease_has_its_active_bid_and_order_and_a_report_not_yet_overdue(
        self,
    ) -> None:
        reader = self._reader()
        market = self.node.modules.get(MarketModule).keeper
        usage = self.node.modules.get(UsageModule).keeper
        leases = self._active_leases()
        for ref in leases:
            found_bid, order = market.bid(reader, ref), market.order(reader, ref.order)
            assert found_bid is not None and found_bid.state == BID_ACTIVE
            assert order is not None and order.state == ORDER_ACTIVE
            tracker = usage.tracker(reader, ref)
            assert tracker is not None and tracker.due > self.node.height
        per_order = Counter(ref.order for ref in leases)
        assert all(count == 1 for count in per_order.values())

    @invariant()
    def a_closed_deployment_has_an_empty_escrow(self) -> None:
        reader = self._reader()
        escrow = self.node.modules.get(EscrowModule).keeper
        for deployment in self.node.modules.get(DeploymentModule).keeper.deployments(reader):
            if deployment.state != "closed":
                continue
            account = escrow.account(reader, decode_address(deployment.owner), deployment.dseq)
            assert account is not None and not account.is_open
            assert (account.balance, account.accrued) == (0, 0)

    def teardown(self) -> None:
        self.node.close()
        shutil.rmtree(self.directory, ignore_errors=True)


def _note_lease_events(result: abci.ResponseFinalizeBlock) -> None:
    """Tell hypothesis's statistics which lease transitions a step reached."""
    for kind in ("lease_created", "lease_closed", "lease_fault", "lease_withdrawn"):
        if any(found.type == kind for found in result.events):
            event(kind)


def _signer(address: bytes) -> PrivateKey:
    return next(key for key in (*TENANTS, *PROVIDERS) if key.address == address)


def _tenant(ref: BidRef) -> PrivateKey:
    return _signer(ref.order.owner)


def _provider(ref: BidRef) -> PrivateKey:
    return _signer(ref.provider)


MarketMachine.TestCase.settings = settings(max_examples=examples(30), stateful_step_count=40)
TestMarketAccounting = MarketMachine.TestCase
