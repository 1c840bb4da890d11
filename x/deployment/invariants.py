"""deployment invariants: the state index lists each deployment once, under its state; a
closed deployment has no group left open or paused."""

from __future__ import annotations

from chain.module import Invariant
from chain.store import KVStore, iterate_prefix
from x.deployment import keys
from x.deployment.keeper import DeploymentKeeper
from x.deployment.types import CLOSED, GROUP_CLOSED


def invariants(keeper: DeploymentKeeper) -> list[Invariant]:
    def state_index(store: KVStore) -> str | None:
        indexed = sum(
            1 for state in keys.STATE_BYTES for _ in iterate_prefix(store, keys.state_prefix(state))
        )
        deployments = keeper.deployments(store)
        for deployment in deployments:
            owner = keeper.owner_bytes(deployment)
            if store.get(keys.state_key(deployment.state, owner, deployment.dseq)) is None:
                return f"{deployment.owner}/{deployment.dseq} is not indexed as {deployment.state}"
        if indexed != len(deployments):
            return f"{indexed} state index entries for {len(deployments)} deployments"
        return None

    def closed_groups(store: KVStore) -> str | None:
        for deployment in keeper.deployments(store):
            if deployment.state != CLOSED:
                continue
            for group in deployment.groups:
                if group.state != GROUP_CLOSED:
                    where = f"{deployment.owner}/{deployment.dseq}"
                    return f"closed deployment {where} has group {group.gseq} {group.state}"
        return None

    return [
        Invariant("deployment/state-index", state_index),
        Invariant("deployment/closed-groups", closed_groups),
    ]
