"""Query/Usage: one lease's usage reports a page at a time, oldest first, with where its
report schedule stands."""

from __future__ import annotations

from chain.module import QueryRoute, query_path, service_routes
from chain.pagination import PageRequest, paginate
from chain.pb.gpuchain.market.v1 import query_pb2, usage_pb2
from chain.store import KVStore
from x.market import usage_keys as keys
from x.market.errors import LEASE_NOT_FOUND
from x.market.types import BidRef
from x.market.usage_keeper import UsageKeeper

SERVICE = query_pb2.DESCRIPTOR.services_by_name["Query"]
USAGE_PATH = query_path(SERVICE, "Usage")


def query_routes(keeper: UsageKeeper) -> list[QueryRoute]:
    def usage(store: KVStore, request: usage_pb2.QueryUsageRequest) -> usage_pb2.QueryUsageResponse:
        """Raises INVALID_ADDRESS and the market's LEASE_NOT_FOUND."""
        ref = BidRef.of(request)
        if keeper.market.lease(store, ref) is None:
            raise LEASE_NOT_FOUND(f"no lease {ref}")
        page = paginate(
            store,
            keys.reports_prefix(ref.key),
            PageRequest.from_proto(request.pagination),
            lambda _, raw: usage_pb2.UsageReport.FromString(raw),
        )
        tracker = keeper.tracker(store, ref)
        return usage_pb2.QueryUsageResponse(
            reports=page.items,
            pagination=page.to_proto(),
            reported_until=tracker.reported_until if tracker is not None else 0,
            next_report_due=tracker.due if tracker is not None else 0,
        )

    return service_routes(SERVICE, {"Usage": usage})
