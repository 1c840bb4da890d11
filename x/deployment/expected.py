"""What deployment needs from escrow, and the hooks the market implements to open and
close orders as groups come and go."""

from __future__ import annotations

from typing import Protocol

from chain.context import Context
from chain.pb.gpuchain.deployment.v1 import deployment_pb2


class EscrowKeeper(Protocol):
    def open_account(
        self, ctx: Context, owner: bytes, dseq: int, depositor: bytes, amount: int
    ) -> object:
        """Open (owner, dseq)'s account with depositor's tokens (ugpc)."""
        ...

    def deposit(
        self, ctx: Context, owner: bytes, dseq: int, depositor: bytes, amount: int
    ) -> object: ...

    def close_account(self, ctx: Context, owner: bytes, dseq: int) -> int:
        """Settle, close and refund the unspent balance to the owner; returns the refund."""
        ...


class DeploymentHooks(Protocol):
    """Called after a group's state changed (the market opens and closes its order)."""

    def on_group_created(self, ctx: Context, group: deployment_pb2.Group) -> None: ...

    def on_group_closed(self, ctx: Context, group: deployment_pb2.Group) -> None: ...

    def on_group_paused(self, ctx: Context, group: deployment_pb2.Group) -> None: ...

    def on_group_started(self, ctx: Context, group: deployment_pb2.Group) -> None: ...
