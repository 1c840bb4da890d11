"""Market state: orders (one open at a time per deployment group), bids on them, and the
leases bids win, each with its state and provider indexes (keys.py), plus the window
index the end-block reads to match exactly the orders whose bid window ends.

Every transition goes through here: the handlers, the deployment hooks (groups created,
paused, started, closed) and the end-block (matching, escrow running dry) only decide
which one. A lease opens an escrow payment at its bid's price per block; closing it pays
out what it accrued and refunds its bid's deposit.
"""

from __future__ import annotations

from collections.abc import Iterator

from chain.coins import Coin, Coins
from chain.context import Context
from chain.crypto import decode_address
from chain.errors import INTERNAL
from chain.module import ModuleAccount
from chain.params import get_params, set_params
from chain.pb.cosmos.base.v1beta1 import coin_pb2
from chain.pb.gpuchain.deployment.v1 import deployment_pb2
from chain.pb.gpuchain.market.v1 import market_pb2
from chain.store import KVStore, decode_uint, encode_uint, iterate_prefix, prefix_end
from x.market import errors, events, keys
from x.market.expected import (
    AuditKeeper,
    BankKeeper,
    DeploymentKeeper,
    EscrowKeeper,
    LeaseHooks,
    ProviderKeeper,
)
from x.market.types import (
    BID_ACTIVE,
    BID_CLOSED,
    BID_LOST,
    BID_OPEN,
    DENOM,
    LEASE_ACTIVE,
    LEASE_CLOSED,
    ORDER_ACTIVE,
    ORDER_CLOSED,
    ORDER_OPEN,
    REASON_DEPLOYMENT_CLOSED,
    REASON_INSUFFICIENT_FUNDS,
    REASON_OWNER,
    BidRef,
    OrderRef,
    Params,
    state_byte,
)

DEPOSITS_ACCOUNT = ModuleAccount("market")
GROUP_OPEN = "open"
GROUP_PAUSED = "paused"
GROUP_CLOSED = "closed"
DEPLOYMENT_CLOSED = "closed"


def _encode(message: market_pb2.Order | market_pb2.Bid | market_pb2.Lease) -> bytes:
    return message.SerializeToString(deterministic=True)


def _amount(coin: coin_pb2.Coin) -> int:
    """A stored coin's amount (checked when the bid was made)."""
    return int(coin.amount or "0")


def group_order(group: deployment_pb2.Group, oseq: int) -> OrderRef:
    return OrderRef(decode_address(group.owner), group.dseq, group.gseq, oseq)


class MarketKeeper:
    def __init__(
        self,
        bank: BankKeeper,
        escrow: EscrowKeeper,
        deployments: DeploymentKeeper,
        providers: ProviderKeeper,
        audit: AuditKeeper,
    ) -> None:
        self._bank = bank
        self._escrow = escrow
        self._deployments = deployments
        self._providers = providers
        self._audit = audit
        self.lease_hooks: list[LeaseHooks] = []

    # --- views ---------------------------------------------------------------------

    @property
    def bank(self) -> BankKeeper:
        return self._bank

    @property
    def providers(self) -> ProviderKeeper:
        return self._providers

    @property
    def audit(self) -> AuditKeeper:
        return self._audit

    @property
    def deployments(self) -> DeploymentKeeper:
        return self._deployments

    @property
    def escrow(self) -> EscrowKeeper:
        return self._escrow

    def params(self, store: KVStore) -> Params:
        return get_params(store, keys.PARAMS_KEY, Params)

    def order(
        self, store: KVStore, order_id: market_pb2.OrderID | OrderRef
    ) -> market_pb2.Order | None:
        ref = order_id if isinstance(order_id, OrderRef) else OrderRef.of(order_id)
        raw = store.get(keys.ORDER_PREFIX + ref.key)
        return market_pb2.Order.FromString(raw) if raw is not None else None

    def bid(self, store: KVStore, bid_id: market_pb2.BidID | BidRef) -> market_pb2.Bid | None:
        ref = bid_id if isinstance(bid_id, BidRef) else BidRef.of(bid_id)
        raw = store.get(keys.BID_PREFIX + ref.key)
        return market_pb2.Bid.FromString(raw) if raw is not None else None

    def lease(
        self, store: KVStore, lease_id: market_pb2.LeaseID | BidRef
    ) -> market_pb2.Lease | None:
        ref = lease_id if isinstance(lease_id, BidRef) else BidRef.of(lease_id)
        raw = store.get(keys.LEASE_PREFIX + ref.key)
        return market_pb2.Lease.FromString(raw) if raw is not None else None

    def bids_of(self, store: KVStore, order: OrderRef) -> list[tuple[BidRef, market_pb2.Bid]]:
        """Every bid on order, in provider order (at most order_max_bids)."""
        prefix = keys.BID_PREFIX + order.key
        return [
            (order.bid(key[len(prefix) :]), market_pb2.Bid.FromString(raw))
            for key, raw in iterate_prefix(store, prefix)
        ]

    def latest_order(
        self, store: KVStore, owner: bytes, dseq: int, gseq: int
    ) -> tuple[OrderRef, market_pb2.Order] | None:
        """The group's order with the highest oseq (the only one that may be open)."""
        prefix = keys.ORDER_PREFIX + keys.group_id(owner, dseq, gseq)
        for key, raw in self._reverse(store, prefix):
            return OrderRef.decode(key[len(keys.ORDER_PREFIX) :]), market_pb2.Order.FromString(raw)
        return None

    @staticmethod
    def _reverse(store: KVStore, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        return store.iterate(prefix, prefix_end(prefix), reverse=True)

    def active_leases_of(self, store: KVStore, owner: bytes, dseq: int) -> list[BidRef]:
        """The deployment's active leases, read through the state index (only its own)."""
        prefix = (
            keys.LEASE_STATE_PREFIX + state_byte(LEASE_ACTIVE) + keys.deployment_id(owner, dseq)
        )
        skip = len(keys.LEASE_STATE_PREFIX) + 1
        return [BidRef.decode(key[skip:]) for key, _ in iterate_prefix(store, prefix)]

    def orders_ending(self, store: KVStore, height: int) -> list[OrderRef]:
        """Open orders whose bid window ends at height: one prefix read."""
        prefix = keys.window_prefix(height)
        return [OrderRef.decode(key[len(prefix) :]) for key, _ in iterate_prefix(store, prefix)]

    def has_obligations(self, store: KVStore, provider: bytes) -> str | None:
        """provider.expected.ProviderObligations: open or winning bids, active leases."""
        for state, what in ((BID_OPEN, "open bids"), (BID_ACTIVE, "winning bids")):
            prefix = keys.BID_PROVIDER_PREFIX + provider + state_byte(state)
            if next(iterate_prefix(store, prefix), None) is not None:
                return f"it has {what}"
        prefix = keys.LEASE_PROVIDER_PREFIX + provider + state_byte(LEASE_ACTIVE)
        if next(iterate_prefix(store, prefix), None) is not None:
            return "it has active leases"
        return None

    def next_bid_sequence(self, store: KVStore) -> int:
        return decode_uint(store.get(keys.BID_SEQUENCE_KEY)) or 1

    # --- writes: records and their indexes -----------------------------------------

    def set_params(self, store: KVStore, params: Params) -> None:
        set_params(store, keys.PARAMS_KEY, params)

    def set_bid_sequence(self, store: KVStore, sequence: int) -> None:
        store.set(keys.BID_SEQUENCE_KEY, encode_uint(sequence))

    def set_order(
        self,
        store: KVStore,
        ref: OrderRef,
        order: market_pb2.Order,
        before: market_pb2.Order | None,
    ) -> None:
        """Store order, moving its state index entry and keeping a window index entry
        exactly while it is open."""
        if before is not None:
            store.delete(keys.ORDER_STATE_PREFIX + state_byte(before.state) + ref.key)
            if before.state == ORDER_OPEN:
                store.delete(keys.window_prefix(before.window_end) + ref.key)
        store.set(keys.ORDER_STATE_PREFIX + state_byte(order.state) + ref.key, b"")
        if order.state == ORDER_OPEN:
            store.set(keys.window_prefix(order.window_end) + ref.key, b"")
        store.set(keys.ORDER_PREFIX + ref.key, _encode(order))

    def set_bid(
        self, store: KVStore, ref: BidRef, bid: market_pb2.Bid, before: market_pb2.Bid | None
    ) -> None:
        if before is not None:
            self._unindex(store, keys.BID_STATE_PREFIX, keys.BID_PROVIDER_PREFIX, ref, before.state)
        self._index(store, keys.BID_STATE_PREFIX, keys.BID_PROVIDER_PREFIX, ref, bid.state)
        store.set(keys.BID_PREFIX + ref.key, _encode(bid))

    def set_lease(
        self,
        store: KVStore,
        ref: BidRef,
        lease: market_pb2.Lease,
        before: market_pb2.Lease | None,
    ) -> None:
        if before is not None:
            self._unindex(
                store, keys.LEASE_STATE_PREFIX, keys.LEASE_PROVIDER_PREFIX, ref, before.state
            )
        self._index(store, keys.LEASE_STATE_PREFIX, keys.LEASE_PROVIDER_PREFIX, ref, lease.state)
        store.set(keys.LEASE_PREFIX + ref.key, _encode(lease))

    @staticmethod
    def _index(
        store: KVStore, by_state: bytes, by_provider: bytes, ref: BidRef, state: int
    ) -> None:
        store.set(by_state + state_byte(state) + ref.key, b"")
        store.set(by_provider + ref.provider + state_byte(state) + ref.order.key, b"")

    @staticmethod
    def _unindex(
        store: KVStore, by_state: bytes, by_provider: bytes, ref: BidRef, state: int
    ) -> None:
        store.delete(by_state + state_byte(state) + ref.key)
        store.delete(by_provider + ref.provider + state_byte(state) + ref.order.key)

    # --- orders --------------------------------------------------------------------

    def open_order(self, ctx: Context, group: deployment_pb2.Group, oseq: int) -> OrderRef:
        """A new order for group, taking bids until the end of block now + bid_window."""
        ref = group_order(group, oseq)
        window_end = ctx.height + self.params(ctx.store).bid_window_blocks
        order = market_pb2.Order(
            order_id=ref.to_proto(),
            state=ORDER_OPEN,
            spec=group.spec,
            created_at=ctx.height,
            window_end=window_end,
        )
        self.set_order(ctx.store, ref, order, None)
        events.emit_order(ctx, "created", ref, window_end)
        return ref

    def reopen_order(self, ctx: Context, ref: OrderRef, order: market_pb2.Order) -> None:
        """An order nobody bid on takes bids for another window."""
        reopened = market_pb2.Order()
        reopened.CopyFrom(order)
        reopened.window_end = ctx.height + self.params(ctx.store).bid_window_blocks
        self.set_order(ctx.store, ref, reopened, order)
        events.emit_order(ctx, "reopened", ref, reopened.window_end)

    def close_order(
        self, ctx: Context, ref: OrderRef, reason: market_pb2.LeaseClosedReason
    ) -> None:
        """Close order (if not closed yet): its lease with reason, its open bids refunded."""
        order = self.order(ctx.store, ref)
        if order is None or order.state == ORDER_CLOSED:
            return
        for bid_ref, bid in self.bids_of(ctx.store, ref):
            if bid.state == BID_ACTIVE:
                self._close_lease(ctx, bid_ref, reason)
            elif bid.state == BID_OPEN:
                self._end_bid(ctx, bid_ref, bid, BID_CLOSED)
        self._mark_order_closed(ctx, ref)

    def _mark_order_closed(self, ctx: Context, ref: OrderRef) -> None:
        order = self.order(ctx.store, ref)
        if order is not None and order.state != ORDER_CLOSED:
            self._set_order_state(ctx, ref, order, ORDER_CLOSED)
            events.emit_order(ctx, "closed", ref)

    def _set_order_state(
        self, ctx: Context, ref: OrderRef, order: market_pb2.Order, state: market_pb2.OrderState
    ) -> None:
        changed = market_pb2.Order()
        changed.CopyFrom(order)
        changed.state = state
        self.set_order(ctx.store, ref, changed, order)

    # --- bids ----------------------------------------------------------------------

    def create_bid(self, ctx: Context, ref: BidRef, price: int, deposit: int) -> market_pb2.Bid:
        """Lock the provider's deposit (raises INSUFFICIENT_FUNDS) and store an open bid."""
        self._bank.send(ctx, ref.provider, DEPOSITS_ACCOUNT.address, Coins.single(DENOM, deposit))
        sequence = self.next_bid_sequence(ctx.store)
        self.set_bid_sequence(ctx.store, sequence + 1)
        bid = market_pb2.Bid(
            bid_id=ref.bid_proto(),
            state=BID_OPEN,
            price=Coin(DENOM, price).to_pb(),
            deposit=Coin(DENOM, deposit).to_pb(),
            created_at=ctx.height,
            sequence=sequence,
        )
        self.set_bid(ctx.store, ref, bid, None)
        events.emit_bid_created(ctx, ref, price, deposit)
        return bid

    def _end_bid(
        self, ctx: Context, ref: BidRef, bid: market_pb2.Bid, state: market_pb2.BidState
    ) -> None:
        """Move bid to LOST or CLOSED and refund its deposit."""
        deposit = _amount(bid.deposit)
        if deposit:
            self._bank.send(
                ctx, DEPOSITS_ACCOUNT.address, ref.provider, Coins.single(DENOM, deposit)
            )
        ended = market_pb2.Bid()
        ended.CopyFrom(bid)
        ended.state = state
        self.set_bid(ctx.store, ref, ended, bid)
        transition = "lost" if state == BID_LOST else "closed"
        events.emit_bid(ctx, transition, ref, _amount(bid.price), deposit)

    def close_bid(self, ctx: Context, ref: BidRef, bid: market_pb2.Bid) -> None:
        """The provider withdraws its bid: an open one is refunded; a winning one closes
        its lease (reason PROVIDER) as close_lease does."""
        if bid.state == BID_ACTIVE:
            self.close_lease(ctx, ref, market_pb2.LEASE_CLOSED_REASON_PROVIDER)
        else:
            self._end_bid(ctx, ref, bid, BID_CLOSED)

    # --- leases --------------------------------------------------------------------

    def create_lease(self, ctx: Context, ref: BidRef) -> market_pb2.Lease:
        """The bid wins: its order turns active, every other open bid is lost (refunded),
        and the lease opens an escrow payment at the bid's price per block."""
        order_ref = ref.order
        order = self.order(ctx.store, order_ref)
        if order is None:
            raise INTERNAL(f"bid {ref} has no order")
        winner: market_pb2.Bid | None = None
        for bid_ref, bid in self.bids_of(ctx.store, order_ref):
            if bid_ref == ref:
                winner = bid
            elif bid.state == BID_OPEN:
                self._end_bid(ctx, bid_ref, bid, BID_LOST)
        if winner is None:
            raise INTERNAL(f"bid {ref} is not stored")
        won = market_pb2.Bid()
        won.CopyFrom(winner)
        won.state = BID_ACTIVE
        self.set_bid(ctx.store, ref, won, winner)
        self._set_order_state(ctx, order_ref, order, ORDER_ACTIVE)
        lease = market_pb2.Lease(
            lease_id=ref.lease_proto(),
            state=LEASE_ACTIVE,
            price=winner.price,
            created_at=ctx.height,
        )
        self.set_lease(ctx.store, ref, lease, None)
        price = _amount(winner.price)
        self._escrow.open_payment(
            ctx, order_ref.owner, order_ref.dseq, ref.name, ref.provider, price
        )
        events.emit_lease_created(ctx, ref, price)
        for hook in self.lease_hooks:
            hook.on_lease_created(ctx, lease)
        return lease

    def require_active_lease(self, store: KVStore, ref: BidRef) -> market_pb2.Lease:
        """Raises LEASE_NOT_FOUND or LEASE_CLOSED."""
        lease = self.lease(store, ref)
        if lease is None:
            raise errors.LEASE_NOT_FOUND(f"no lease {ref}")
        if lease.state != LEASE_ACTIVE:
            raise errors.LEASE_CLOSED(f"lease {ref} is closed")
        return lease

    def withdraw_lease(self, ctx: Context, ref: BidRef) -> tuple[int, int]:
        """Pay the provider what the lease accrued so far, less the take rate; returns
        (paid, taken). Raises LEASE_NOT_FOUND, LEASE_CLOSED."""
        self.require_active_lease(ctx.store, ref)
        paid, taken = self._escrow.withdraw_payment(ctx, ref.order.owner, ref.order.dseq, ref.name)
        events.emit_lease_withdrawn(ctx, ref, paid, taken)
        return paid, taken

    def close_lease(
        self,
        ctx: Context,
        lease_id: market_pb2.LeaseID | BidRef,
        reason: market_pb2.LeaseClosedReason,
    ) -> market_pb2.Lease:
        """Close an active lease: settle and pay out its escrow payment and stop it, refund
        its bid's deposit, close its order, emit `lease_closed`; then act on the group by
        reason (owner: the group closes; insufficient funds: it pauses; the provider's
        side: the group gets a new order). Raises LEASE_NOT_FOUND, LEASE_CLOSED."""
        ref = lease_id if isinstance(lease_id, BidRef) else BidRef.of(lease_id)
        self.require_active_lease(ctx.store, ref)
        closed = self._close_lease(ctx, ref, reason)
        order = ref.order
        group = self._deployments.group(ctx.store, order.owner, order.dseq, order.gseq)
        if group is None or group.state != GROUP_OPEN or reason == REASON_DEPLOYMENT_CLOSED:
            return closed
        if reason == REASON_OWNER:
            self._deployments.set_group_state(ctx, group, GROUP_CLOSED, "closed")
        elif reason == REASON_INSUFFICIENT_FUNDS:
            self._deployments.set_group_state(ctx, group, GROUP_PAUSED, "paused")
        else:
            self.open_order(ctx, group, order.oseq + 1)
        return closed

    def _close_lease(
        self, ctx: Context, ref: BidRef, reason: market_pb2.LeaseClosedReason
    ) -> market_pb2.Lease:
        """close_lease without acting on the group (the group hooks call this)."""
        lease = self.require_active_lease(ctx.store, ref)
        order_ref = ref.order
        paid, taken = self._escrow.close_payment(ctx, order_ref.owner, order_ref.dseq, ref.name)
        closed = market_pb2.Lease()
        closed.CopyFrom(lease)
        closed.state = LEASE_CLOSED
        closed.closed_at = ctx.height
        closed.reason = reason
        self.set_lease(ctx.store, ref, closed, lease)
        if paid or taken:
            events.emit_lease_withdrawn(ctx, ref, paid, taken)
        bid = self.bid(ctx.store, ref)
        if bid is not None and bid.state == BID_ACTIVE:
            self._end_bid(ctx, ref, bid, BID_CLOSED)
        self._mark_order_closed(ctx, order_ref)
        events.emit_lease_closed(ctx, ref, _amount(lease.price), reason)
        for hook in self.lease_hooks:
            hook.on_lease_closed(ctx, closed, reason)
        return closed

    # --- deployment hooks ----------------------------------------------------------

    def on_group_created(self, ctx: Context, group: deployment_pb2.Group) -> None:
        self.open_order(ctx, group, 1)

    def on_group_started(self, ctx: Context, group: deployment_pb2.Group) -> None:
        latest = self.latest_order(ctx.store, decode_address(group.owner), group.dseq, group.gseq)
        self.open_order(ctx, group, latest[0].oseq + 1 if latest is not None else 1)

    def on_group_paused(self, ctx: Context, group: deployment_pb2.Group) -> None:
        self._close_group_order(ctx, group, REASON_OWNER)

    def on_group_closed(self, ctx: Context, group: deployment_pb2.Group) -> None:
        owner = decode_address(group.owner)
        deployment = self._deployments.deployment(ctx.store, owner, group.dseq)
        closing = deployment is not None and deployment.state == DEPLOYMENT_CLOSED
        self._close_group_order(ctx, group, REASON_DEPLOYMENT_CLOSED if closing else REASON_OWNER)

    def _close_group_order(
        self, ctx: Context, group: deployment_pb2.Group, reason: market_pb2.LeaseClosedReason
    ) -> None:
        latest = self.latest_order(ctx.store, decode_address(group.owner), group.dseq, group.gseq)
        if latest is not None:
            self.close_order(ctx, latest[0], reason)

    # --- end-block -----------------------------------------------------------------

    def match_order(self, ctx: Context, ref: OrderRef, order: market_pb2.Order) -> BidRef | None:
        """At the end of the bid window: the lowest price wins, then the higher reputation,
        then the earliest bid; no bid re-opens the order. Returns the winner."""
        candidates = [
            (
                _amount(bid.price),
                -self._providers.reputation_score(ctx.store, bid_ref.provider),
                bid.sequence,
                bid_ref,
            )
            for bid_ref, bid in self.bids_of(ctx.store, ref)
            if bid.state == BID_OPEN
        ]
        if not candidates:
            self.reopen_order(ctx, ref, order)
            return None
        winner = min(candidates)[3]
        self.create_lease(ctx, winner)
        return winner

    def end_block(self, ctx: Context) -> None:
        """Match the orders whose window ends now, then close the leases of the deployments
        whose escrow stops paying at this height (reason insufficient funds; their groups
        pause). Reads only those orders and accounts, whatever else is in state."""
        for ref in self.orders_ending(ctx.store, ctx.height):
            order = self.order(ctx.store, ref)
            if order is not None and order.state == ORDER_OPEN:
                self.match_order(ctx, ref, order)
        for owner, dseq in self._escrow.dry_at(ctx.store, ctx.height):
            for lease in self.active_leases_of(ctx.store, owner, dseq):
                self.close_lease(ctx, lease, REASON_INSUFFICIENT_FUNDS)
