"""usage genesis: every active lease's report schedule and every stored report, so an
exported chain imports to exactly the same usage state (the leases are the market's)."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format

from chain.context import Context
from chain.errors import AppError
from chain.pb.gpuchain.market.v1 import usage_pb2
from chain.store import KVStore
from x.market.types import BidRef
from x.market.usage_errors import INVALID_GENESIS
from x.market.usage_keeper import UsageKeeper
from x.market.usage_msgs import validate_report
from x.market.usage_types import Tracker

Parsed = tuple[list[Tracker], list[usage_pb2.UsageReport]]


def default_genesis() -> dict[str, Any]:
    return {"trackers": [], "reports": []}


def _entries(state: dict[str, Any], name: str) -> list[Any]:
    entries = state.get(name, [])
    if not isinstance(entries, list):
        raise INVALID_GENESIS(f"usage.{name} is not a list")
    return entries


def _report(entry: Any) -> usage_pb2.UsageReport:
    """A report checked as its message was; raises AppError, ParseError, TypeError."""
    report = json_format.ParseDict(entry, usage_pb2.UsageReport())
    validate_report(
        usage_pb2.MsgReportUsage(
            lease_id=report.lease_id,
            provider=report.lease_id.provider,
            start_height=report.start_height,
            end_height=report.end_height,
            gpus=report.gpus,
        )
    )
    if report.reported_at < report.end_height:
        raise INVALID_GENESIS("reported_at is before end_height")
    return report


def parse_genesis(state: dict[str, Any]) -> Parsed:
    """Raises INVALID_GENESIS naming the first bad entry."""
    trackers: dict[BidRef, Tracker] = {}
    for index, entry in enumerate(_entries(state, "trackers")):
        where = f"usage.trackers[{index}]"
        try:
            tracker = Tracker.from_json(entry)
        except AppError as error:
            raise INVALID_GENESIS(f"{where}: {error.log}") from None
        except (KeyError, TypeError, ValueError, AttributeError, json_format.ParseError) as error:
            raise INVALID_GENESIS(f"{where} is malformed: {error!r}"[:200]) from None
        if tracker.lease in trackers:
            raise INVALID_GENESIS(f"{where}: lease {tracker.lease} listed twice")
        trackers[tracker.lease] = tracker
    reports: dict[tuple[BidRef, int], usage_pb2.UsageReport] = {}
    for index, entry in enumerate(_entries(state, "reports")):
        where = f"usage.reports[{index}]"
        try:
            report = _report(entry)
        except AppError as error:
            raise INVALID_GENESIS(f"{where}: {error.log}") from None
        except (TypeError, ValueError, AttributeError, json_format.ParseError) as error:
            raise INVALID_GENESIS(f"{where} is malformed: {error!r}"[:200]) from None
        key = (BidRef.of(report.lease_id), report.start_height)
        if key in reports:
            raise INVALID_GENESIS(f"{where}: that lease's period at {key[1]} is listed twice")
        reports[key] = report
    return list(trackers.values()), list(reports.values())


def validate_genesis(state: dict[str, Any]) -> None:
    parse_genesis(state)


def init_genesis(ctx: Context, keeper: UsageKeeper, state: dict[str, Any]) -> None:
    trackers, reports = parse_genesis(state)
    for tracker in trackers:
        keeper.set_tracker(ctx.store, tracker, None)
    for report in reports:
        keeper.set_report(ctx.store, report)


def export_genesis(store: KVStore, keeper: UsageKeeper) -> dict[str, Any]:
    return {
        "trackers": [tracker.to_json() for tracker in keeper.trackers(store)],
        "reports": [
            json_format.MessageToDict(report, preserving_proto_field_name=True)
            for report in keeper.all_reports(store)
        ],
    }
