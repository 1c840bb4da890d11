"""What the market needs from other modules, and the hooks it offers them.

Bank moves bid deposits; escrow pays leases; deployment tells the market about groups
(the market implements its DeploymentHooks) and has groups paused or closed; provider says
who may bid, with what attributes, and how reputable it is; audit says which auditors
signed them. Other modules follow leases through `LeaseHooks` (appended in wiring).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from chain.coins import Coin, Coins
from chain.context import Context
from chain.pb.gpuchain.deployment.v1 import deployment_pb2
from chain.pb.gpuchain.market.v1 import market_pb2
from chain.store import KVStore


class BankKeeper(Protocol):
    def send(self, ctx: Context, sender: bytes, recipient: bytes, amount: Coins) -> None:
        """Raises INSUFFICIENT_FUNDS when sender lacks amount."""
        ...

    def balance(self, store: KVStore, address: bytes, denom: str) -> int: ...


class EscrowKeeper(Protocol):
    def open_payment(
        self, ctx: Context, owner: bytes, dseq: int, payment_id: str, provider: bytes, rate: int
    ) -> object: ...

    def withdraw_payment(
        self, ctx: Context, owner: bytes, dseq: int, payment_id: str
    ) -> tuple[int, int]:
        """Settle and pay out what the payment accrued: (to the provider, taken)."""
        ...

    def close_payment(
        self, ctx: Context, owner: bytes, dseq: int, payment_id: str
    ) -> tuple[int, int]:
        """Settle, pay out what the payment accrued and stop it: (to the provider, taken)."""
        ...

    def dry_at(self, store: KVStore, height: int) -> list[tuple[bytes, int]]:
        """(owner, dseq) of the accounts that stop covering a block at height."""
        ...


class DeploymentKeeper(Protocol):
    def deployment(
        self, store: KVStore, owner: bytes, dseq: int
    ) -> deployment_pb2.Deployment | None: ...

    def group(
        self, store: KVStore, owner: bytes, dseq: int, gseq: int
    ) -> deployment_pb2.Group | None: ...

    def set_group_state(
        self, ctx: Context, group: deployment_pb2.Group, state: str, transition: str
    ) -> None:
        """Move group to state, emit `group_<transition>` and call the hooks (ours too)."""
        ...


class ProviderView(Protocol):
    @property
    def attributes(self) -> Sequence[tuple[str, str]]: ...


class ProviderKeeper(Protocol):
    def provider(self, store: KVStore, owner: bytes) -> ProviderView | None: ...

    def collateral_shortfall(self, store: KVStore, owner: bytes) -> Coin | None:
        """How much collateral provider owner lacks to reach the minimum (None: it has enough)."""
        ...

    def reputation_score(self, store: KVStore, provider: bytes) -> int:
        """Higher is better; breaks ties between equal prices in matching."""
        ...


class AuditedView(Protocol):
    @property
    def attributes(self) -> Sequence[tuple[str, str]]: ...


class AuditKeeper(Protocol):
    def record(self, store: KVStore, owner: bytes, auditor: bytes) -> AuditedView | None:
        """The attributes auditor signed on provider owner (None: none)."""
        ...


class LeaseHooks(Protocol):
    """Told after a lease is created or closed (usage tracks reports, provider reputation)."""

    def on_lease_created(self, ctx: Context, lease: market_pb2.Lease) -> None: ...

    def on_lease_closed(
        self, ctx: Context, lease: market_pb2.Lease, reason: market_pb2.LeaseClosedReason
    ) -> None: ...
