"""Usage reports and provider faults: each active lease's report schedule (a tracker and
its entry in the due index), the reports themselves, the escrow payout limit at the
reported blocks, and the end-block that closes the leases whose report is overdue.

It follows leases through the market's lease hooks (on_lease_created/on_lease_closed,
appended in wiring), which also count the provider's reputation, and limits payouts
through escrow's payout limits (also appended in wiring)."""

from __future__ import annotations

from collections.abc import Iterator

from chain.coins import Coin, Coins
from chain.context import Context
from chain.crypto import AddressError, decode_address
from chain.errors import INTERNAL
from chain.pb.gpuchain.market.v1 import market_pb2, usage_pb2
from chain.store import KVStore, iterate_prefix
from x.market import usage_events as events
from x.market import usage_keys as keys
from x.market.keeper import MarketKeeper
from x.market.types import (
    BPS_ONE,
    REASON_PROVIDER,
    REASON_PROVIDER_FAULT,
    BidRef,
    OrderRef,
    Params,
)
from x.market.usage_expected import (
    BankKeeper,
    CommunityPool,
    EscrowKeeper,
    PaymentRecord,
    PaymentView,
    ReputationKeeper,
)
from x.market.usage_types import Tracker

# Closing reasons that count against the provider's reputation; every other close
# completes the lease.
FAILED_REASONS = (REASON_PROVIDER_FAULT, REASON_PROVIDER)


class UsageKeeper:
    def __init__(
        self,
        market: MarketKeeper,
        escrow: EscrowKeeper,
        providers: ReputationKeeper,
        community_pool: CommunityPool,
        bank: BankKeeper,
    ) -> None:
        self._market = market
        self._escrow = escrow
        self._providers = providers
        self._community_pool = community_pool
        self._bank = bank

    # --- views ---------------------------------------------------------------------

    @property
    def market(self) -> MarketKeeper:
        return self._market

    def params(self, store: KVStore) -> Params:
        return self._market.params(store)

    def tracker(self, store: KVStore, ref: BidRef) -> Tracker | None:
        raw = store.get(keys.tracker_key(ref.key))
        return Tracker.decode(raw) if raw is not None else None

    def require_tracker(self, store: KVStore, ref: BidRef) -> Tracker:
        """The tracker of a lease the market says is active (every active lease has one)."""
        tracker = self.tracker(store, ref)
        if tracker is None:
            raise INTERNAL(f"active lease {ref} has no usage tracker")
        return tracker

    def trackers(self, store: KVStore) -> Iterator[Tracker]:
        for _, raw in iterate_prefix(store, keys.TRACKER_PREFIX):
            yield Tracker.decode(raw)

    def due_by(self, store: KVStore, height: int) -> list[Tracker]:
        """The trackers of leases whose report is due at or before height, in (due, lease)
        order: one range read over those entries alone."""
        skip = len(keys.DUE_PREFIX) + keys.HEIGHT_WIDTH
        return [
            self.require_tracker(store, BidRef.decode(key[skip:]))
            for key, _ in store.iterate(keys.DUE_PREFIX, keys.due_until(height))
        ]

    def due_index(self, store: KVStore) -> set[bytes]:
        """Every due index key (invariants)."""
        return {key for key, _ in iterate_prefix(store, keys.DUE_PREFIX)}

    def reports(self, store: KVStore, ref: BidRef) -> list[usage_pb2.UsageReport]:
        return [
            usage_pb2.UsageReport.FromString(raw)
            for _, raw in iterate_prefix(store, keys.reports_prefix(ref.key))
        ]

    def all_reports(self, store: KVStore) -> Iterator[usage_pb2.UsageReport]:
        for _, raw in iterate_prefix(store, keys.REPORT_PREFIX):
            yield usage_pb2.UsageReport.FromString(raw)

    @staticmethod
    def _reported_left(tracker: Tracker, payment: PaymentView) -> int:
        """What the reported blocks still owe the provider: their price less what payouts
        already paid (and took) for the lease."""
        earned = payment.rate * tracker.reported_blocks
        return max(0, earned - payment.paid - payment.taken)

    def payable(self, store: KVStore, payment: PaymentRecord) -> int | None:
        """escrow's payout limit: what a withdraw may pay out of payment now (the reported
        blocks' part), None for a payment that is not an active lease's."""
        ref = _lease_of(payment)
        tracker = self.tracker(store, ref) if ref is not None else None
        if tracker is None:
            return None
        return self._reported_left(tracker, payment)

    # --- writes --------------------------------------------------------------------

    def set_tracker(self, store: KVStore, tracker: Tracker, before: Tracker | None) -> None:
        """Store tracker and move its due index entry."""
        if before is not None:
            store.delete(keys.due_key(before.due, before.lease.key))
        store.set(keys.due_key(tracker.due, tracker.lease.key), b"")
        store.set(keys.tracker_key(tracker.lease.key), tracker.encode())

    def _remove_tracker(self, store: KVStore, tracker: Tracker) -> None:
        store.delete(keys.due_key(tracker.due, tracker.lease.key))
        store.delete(keys.tracker_key(tracker.lease.key))

    def set_report(self, store: KVStore, report: usage_pb2.UsageReport) -> None:
        ref = BidRef.of(report.lease_id)
        store.set(
            keys.report_key(ref.key, report.start_height),
            report.SerializeToString(deterministic=True),
        )

    def on_lease_created(self, ctx: Context, lease: market_pb2.Lease) -> None:
        """market lease hook: the first report is due report_interval_blocks from now;
        the provider has won one more lease."""
        ref = BidRef.of(lease.lease_id)
        interval = self.params(ctx.store).report_interval_blocks
        created = Tracker(ref, lease.created_at, lease.created_at, lease.created_at + interval)
        self.set_tracker(ctx.store, created, None)
        self._providers.record_lease_won(ctx.store, ref.provider)

    def on_lease_closed(self, ctx: Context, lease: market_pb2.Lease, reason: int) -> None:
        """market lease hook: the lease leaves the schedule; it counts as failed when it
        closed by the provider's doing, as completed otherwise."""
        ref = BidRef.of(lease.lease_id)
        tracker = self.tracker(ctx.store, ref)
        if tracker is not None:
            self._remove_tracker(ctx.store, tracker)
        if reason in FAILED_REASONS:
            self._providers.record_lease_failed(ctx.store, ref.provider)
        else:
            self._providers.record_lease_completed(ctx.store, ref.provider)

    def record_report(
        self, ctx: Context, tracker: Tracker, msg: usage_pb2.MsgReportUsage
    ) -> Tracker:
        """Store an accepted report (the handler checked it), move the lease's due height
        past it, and count a report on time for each whole interval it completes."""
        interval = self.params(ctx.store).report_interval_blocks
        moved = tracker.reported(msg.end_height, interval)
        self.set_report(
            ctx.store,
            usage_pb2.UsageReport(
                lease_id=msg.lease_id,
                start_height=msg.start_height,
                end_height=msg.end_height,
                gpus=msg.gpus,
                reported_at=ctx.height,
            ),
        )
        self.set_tracker(ctx.store, moved, tracker)
        # Reputation counts whole intervals reported on time, not reports: a provider
        # reporting every block earns no more than one reporting every interval (a report
        # covers at most one interval, so this is 0 or 1).
        if moved.reported_blocks // interval > tracker.reported_blocks // interval:
            self._providers.record_report_on_time(ctx.store, tracker.lease.provider)
        events.emit_usage_reported(
            ctx, tracker.lease, msg.start_height, msg.end_height, len(msg.gpus), moved.due
        )
        return moved

    def fault(self, ctx: Context, tracker: Tracker) -> None:
        """Close an overdue lease as PROVIDER_FAULT: what it accrued beyond its reported
        blocks goes back to the tenant's escrow balance, the market closes it (paying out
        the reported rest), and the provider's collateral is slashed, the tenant's share
        to the tenant and the rest to the community pool."""
        ref = tracker.lease
        owner, dseq = ref.order.owner, ref.order.dseq
        self._escrow.settle(ctx, owner, dseq)
        payment = self._escrow.payment(ctx.store, owner, dseq, ref.name)
        refunded = 0
        if payment is not None:
            refunded = payment.accrued - min(payment.accrued, self._reported_left(tracker, payment))
            if refunded:
                self._escrow.return_accrued(ctx, owner, dseq, ref.name, refunded)
        self._market.close_lease(ctx, ref, REASON_PROVIDER_FAULT)
        params = self.params(ctx.store)
        pool_denom = self._community_pool.denom(ctx.store)
        shares: list[int] = []

        def pay_out(ctx: Context, source: bytes, coin: Coin) -> None:
            # The community pool takes only the bond denom (funding it with another would
            # raise here, in the end-block, and halt the chain); collateral in another
            # denom (a provider params choice) goes to the tenant whole.
            share = params.fault_tenant_share_bps if coin.denom == pool_denom else BPS_ONE
            to_tenant = coin.amount * share // BPS_ONE
            if to_tenant:
                self._bank.send(ctx, source, owner, Coins.of([Coin(coin.denom, to_tenant)]))
            if coin.amount - to_tenant:
                self._community_pool.fund_community_pool(ctx, source, coin.amount - to_tenant)
            shares.append(to_tenant)

        slashed = self._providers.slash_collateral(
            ctx, ref.provider, params.slash_fraction_lease_fault_bps, pay_out
        )
        events.emit_lease_fault(
            ctx, ref, tracker.reported_until, tracker.due, refunded, slashed, sum(shares)
        )

    def end_block(self, ctx: Context) -> None:
        """Close every lease whose report is overdue: only the due index entries up to
        this height are read, whatever the number of active leases."""
        for tracker in self.due_by(ctx.store, ctx.height):
            self.fault(ctx, tracker)


def _lease_of(payment: PaymentRecord) -> BidRef | None:
    """The lease a payment pays, from its id `gseq/oseq/provider` (None if not a lease's)."""
    parts = payment.payment_id.split("/")
    if len(parts) != 3:
        return None
    try:
        gseq, oseq, provider = int(parts[0]), int(parts[1]), decode_address(parts[2])
    except (ValueError, AddressError):
        return None
    return BidRef(OrderRef(payment.owner, payment.dseq, gseq, oseq), provider)
