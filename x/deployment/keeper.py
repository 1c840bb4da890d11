"""Deployment state: deployments and their groups keyed by (owner, dseq[, gseq]), with a
state index for listing; the escrow keeper holds the deposits, hooks tell the market."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from chain.context import Context
from chain.crypto import decode_address, encode_address
from chain.params import get_params, set_params
from chain.pb.gpuchain.deployment.v1 import deployment_pb2
from chain.store import KVStore, iterate_prefix
from x.deployment import events, keys
from x.deployment.errors import (
    DEPLOYMENT_CLOSED,
    DEPLOYMENT_NOT_FOUND,
    GROUP_CLOSED,
    GROUP_NOT_FOUND,
)
from x.deployment.expected import DeploymentHooks, EscrowKeeper
from x.deployment.types import ACTIVE, CLOSED, GROUP_OPEN, Params
from x.deployment.types import GROUP_CLOSED as GROUP_CLOSED_STATE

GroupHook = Callable[[Context, deployment_pb2.Group], None]
# Which hook method a group transition calls.
TRANSITION_HOOKS: dict[str, Callable[[DeploymentHooks], GroupHook]] = {
    "closed": lambda hooks: hooks.on_group_closed,
    "paused": lambda hooks: hooks.on_group_paused,
    "started": lambda hooks: hooks.on_group_started,
}


def _encode(message: deployment_pb2.Deployment | deployment_pb2.Group) -> bytes:
    return message.SerializeToString(deterministic=True)


class DeploymentKeeper:
    def __init__(self, escrow: EscrowKeeper) -> None:
        self._escrow = escrow
        self.hooks: list[DeploymentHooks] = []

    # --- views ---------------------------------------------------------------------

    @property
    def escrow(self) -> EscrowKeeper:
        return self._escrow

    def params(self, store: KVStore) -> Params:
        return get_params(store, keys.PARAMS_KEY, Params)

    def deployment(
        self, store: KVStore, owner: bytes, dseq: int
    ) -> deployment_pb2.Deployment | None:
        """The deployment without its groups (see `groups`)."""
        raw = store.get(keys.deployment_key(owner, dseq))
        return deployment_pb2.Deployment.FromString(raw) if raw is not None else None

    def with_groups(
        self, store: KVStore, deployment: deployment_pb2.Deployment
    ) -> deployment_pb2.Deployment:
        whole = deployment_pb2.Deployment()
        whole.CopyFrom(deployment)
        whole.groups.extend(self.groups(store, self.owner_bytes(deployment), deployment.dseq))
        return whole

    @staticmethod
    def owner_bytes(record: deployment_pb2.Deployment | deployment_pb2.Group) -> bytes:
        return decode_address(record.owner)

    def groups(self, store: KVStore, owner: bytes, dseq: int) -> list[deployment_pb2.Group]:
        return [
            deployment_pb2.Group.FromString(raw)
            for _, raw in iterate_prefix(store, keys.groups_prefix(owner, dseq))
        ]

    def group(
        self, store: KVStore, owner: bytes, dseq: int, gseq: int
    ) -> deployment_pb2.Group | None:
        raw = store.get(keys.group_key(owner, dseq, gseq))
        return deployment_pb2.Group.FromString(raw) if raw is not None else None

    def deployments(self, store: KVStore) -> list[deployment_pb2.Deployment]:
        """Every deployment with its groups, in (owner, dseq) order (genesis, invariants)."""
        return [
            self.with_groups(store, deployment_pb2.Deployment.FromString(raw))
            for _, raw in iterate_prefix(store, keys.DEPLOYMENT_PREFIX)
        ]

    def require_active(self, store: KVStore, owner: bytes, dseq: int) -> deployment_pb2.Deployment:
        """Raises DEPLOYMENT_NOT_FOUND or DEPLOYMENT_CLOSED."""
        found = self.deployment(store, owner, dseq)
        if found is None:
            raise DEPLOYMENT_NOT_FOUND(f"{encode_address(owner)} has no deployment {dseq}")
        if found.state != ACTIVE:
            raise DEPLOYMENT_CLOSED(f"deployment {dseq} of {encode_address(owner)} is closed")
        return found

    def require_group(
        self, store: KVStore, owner: bytes, dseq: int, gseq: int
    ) -> deployment_pb2.Group:
        """A group of an active deployment that is not closed. Raises DEPLOYMENT_NOT_FOUND,
        DEPLOYMENT_CLOSED, GROUP_NOT_FOUND, GROUP_CLOSED."""
        self.require_active(store, owner, dseq)
        group = self.group(store, owner, dseq, gseq)
        if group is None:
            raise GROUP_NOT_FOUND(f"deployment {dseq} has no group {gseq}")
        if group.state == GROUP_CLOSED_STATE:
            raise GROUP_CLOSED(f"group {gseq} of deployment {dseq} is closed")
        return group

    # --- writes --------------------------------------------------------------------

    def set_params(self, store: KVStore, params: Params) -> None:
        set_params(store, keys.PARAMS_KEY, params)

    def set_deployment(self, store: KVStore, deployment: deployment_pb2.Deployment) -> None:
        """Store the deployment (its groups apart, each under its own key) and its state index."""
        owner = self.owner_bytes(deployment)
        for state in keys.STATE_BYTES:
            store.delete(keys.state_key(state, owner, deployment.dseq))
        store.set(keys.state_key(deployment.state, owner, deployment.dseq), b"")
        bare = deployment_pb2.Deployment()
        bare.CopyFrom(deployment)
        del bare.groups[:]
        store.set(keys.deployment_key(owner, deployment.dseq), _encode(bare))
        for group in deployment.groups:
            self.set_group(store, group)

    def set_group(self, store: KVStore, group: deployment_pb2.Group) -> None:
        store.set(keys.group_key(self.owner_bytes(group), group.dseq, group.gseq), _encode(group))

    def create(
        self,
        ctx: Context,
        owner: bytes,
        dseq: int,
        specs: Sequence[deployment_pb2.GroupSpec],
        manifest_hash: bytes,
        deposit: int,
    ) -> deployment_pb2.Deployment:
        """Store the deployment with groups 1..N open, open its escrow with the owner's
        deposit, then tell the hooks of each group."""
        owner_text = encode_address(owner)
        groups = [
            deployment_pb2.Group(
                owner=owner_text,
                dseq=dseq,
                gseq=gseq,
                state=GROUP_OPEN,
                spec=spec,
                created_at=ctx.height,
            )
            for gseq, spec in enumerate(specs, start=1)
        ]
        deployment = deployment_pb2.Deployment(
            owner=owner_text,
            dseq=dseq,
            state=ACTIVE,
            manifest_hash=manifest_hash,
            created_at=ctx.height,
            groups=groups,
        )
        self.set_deployment(ctx.store, deployment)
        self._escrow.open_account(ctx, owner, dseq, owner, deposit)
        events.emit_deployment_created(ctx, owner, dseq, manifest_hash)
        for group in groups:
            events.emit_group(ctx, "created", owner, dseq, group.gseq)
            for hook in self.hooks:
                hook.on_group_created(ctx, group)
        return deployment

    def update(
        self, ctx: Context, deployment: deployment_pb2.Deployment, manifest_hash: bytes
    ) -> None:
        owner = self.owner_bytes(deployment)
        updated = deployment_pb2.Deployment()
        updated.CopyFrom(deployment)
        updated.manifest_hash = manifest_hash
        self.set_deployment(ctx.store, updated)
        events.emit_deployment_updated(ctx, owner, deployment.dseq, manifest_hash)

    def set_group_state(
        self, ctx: Context, group: deployment_pb2.Group, state: str, transition: str
    ) -> None:
        """Move group to state, emit `group_<transition>` and call the matching hook."""
        changed = deployment_pb2.Group()
        changed.CopyFrom(group)
        changed.state = state
        self.set_group(ctx.store, changed)
        events.emit_group(ctx, transition, self.owner_bytes(group), group.dseq, group.gseq)
        for hooks in self.hooks:
            TRANSITION_HOOKS[transition](hooks)(ctx, changed)

    def close(self, ctx: Context, deployment: deployment_pb2.Deployment) -> int:
        """Close the deployment, then every group still open or paused (so the hooks see a
        closed deployment: the market closes leases as DEPLOYMENT_CLOSED); refund the
        escrow's unspent balance to the owner (returned)."""
        owner = self.owner_bytes(deployment)
        closed = deployment_pb2.Deployment()
        closed.CopyFrom(deployment)
        del closed.groups[:]
        closed.state = CLOSED
        self.set_deployment(ctx.store, closed)
        for group in self.groups(ctx.store, owner, deployment.dseq):
            if group.state != GROUP_CLOSED_STATE:
                self.set_group_state(ctx, group, GROUP_CLOSED_STATE, "closed")
        refund = self._escrow.close_account(ctx, owner, deployment.dseq)
        events.emit_deployment_closed(ctx, owner, deployment.dseq)
        return refund
