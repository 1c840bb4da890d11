"""Wires the market's usage part as its own small module (after the market in block-hook
order): MsgReportUsage, Query/Usage, the usage genesis section, its invariant, and the
end-block that closes leases whose report is overdue."""

from __future__ import annotations

from chain.context import Context
from chain.module import Handles, KeeperModule, ValidatorUpdate
from chain.pb.gpuchain.market.v1 import usage_pb2
from x.market import usage_genesis, usage_handlers, usage_invariants, usage_msgs, usage_queries
from x.market.usage_keeper import UsageKeeper


class UsageModule(KeeperModule[UsageKeeper]):
    name = "usage"
    genesis = usage_genesis
    queries = usage_queries
    checks = usage_invariants
    handles = (
        Handles(
            usage_pb2.MsgReportUsage,
            usage_msgs.validate_report,
            usage_msgs.provider_signer,
            usage_handlers.handle_report,
        ),
    )

    def end_block(self, ctx: Context) -> list[ValidatorUpdate]:
        self.keeper.end_block(ctx)
        return []
