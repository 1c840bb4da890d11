"""MsgReportUsage: ordered checks against state, then one keeper call."""

from __future__ import annotations

from chain.context import Context
from chain.pb.gpuchain.market.v1 import usage_pb2
from x.market.types import BidRef
from x.market.usage_errors import PERIOD_IN_FUTURE, PERIOD_OUT_OF_ORDER
from x.market.usage_keeper import UsageKeeper


def handle_report(
    ctx: Context, keeper: UsageKeeper, msg: usage_pb2.MsgReportUsage
) -> usage_pb2.MsgReportUsageResponse:
    """Raises the market's LEASE_NOT_FOUND and LEASE_CLOSED, PERIOD_IN_FUTURE (ends after
    this block) and PERIOD_OUT_OF_ORDER (overlaps an earlier period, repeats one or leaves
    a gap: it must start right after the last reported block)."""
    ref = BidRef.of(msg.lease_id)
    keeper.market.require_active_lease(ctx.store, ref)
    tracker = keeper.require_tracker(ctx.store, ref)
    if msg.end_height > ctx.height:
        raise PERIOD_IN_FUTURE(
            f"end_height {msg.end_height} is after the current height {ctx.height}"
        )
    expected = tracker.reported_until + 1
    if msg.start_height != expected:
        fault = "overlaps an earlier period" if msg.start_height < expected else "leaves a gap"
        raise PERIOD_OUT_OF_ORDER(
            f"start_height {msg.start_height} {fault}: the next report of lease {ref} "
            f"starts at height {expected}"
        )
    keeper.record_report(ctx, tracker, msg)
    return usage_pb2.MsgReportUsageResponse()
