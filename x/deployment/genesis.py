"""deployment genesis: params and every deployment with its groups (JSON as the query
answers them), so an exported chain imports to the same deployment state."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format

from chain.context import Context
from chain.errors import AppError
from chain.msgs import account_address
from chain.pb.gpuchain.deployment.v1 import deployment_pb2
from chain.store import KVStore
from x.deployment.errors import INVALID_GENESIS
from x.deployment.keeper import DeploymentKeeper
from x.deployment.msgs import validate_group
from x.deployment.types import DEPLOYMENT_STATES, GROUP_CLOSED, GROUP_OPEN, GROUP_PAUSED, Params

GROUP_STATES = (GROUP_OPEN, GROUP_PAUSED, GROUP_CLOSED)


def default_genesis() -> dict[str, Any]:
    return {"params": Params().to_json(), "deployments": []}


def _deployment(entry: Any, where: str) -> deployment_pb2.Deployment:
    try:
        deployment = json_format.ParseDict(entry, deployment_pb2.Deployment())
    except (json_format.ParseError, TypeError, ValueError, AttributeError) as error:
        raise INVALID_GENESIS(f"{where}: {error}") from None
    try:
        account_address(deployment.owner, f"{where}.owner")
        if deployment.state not in DEPLOYMENT_STATES:
            raise INVALID_GENESIS(f"{where}.state {deployment.state!r} is unknown")
        for index, group in enumerate(deployment.groups):
            group_where = f"{where}.groups[{index}]"
            if (group.owner, group.dseq, group.gseq) != (
                deployment.owner,
                deployment.dseq,
                index + 1,
            ):
                raise INVALID_GENESIS(f"{group_where} does not belong there as gseq {index + 1}")
            if group.state not in GROUP_STATES:
                raise INVALID_GENESIS(f"{group_where}.state {group.state!r} is unknown")
            validate_group(group.spec, group_where)
    except AppError as error:
        raise INVALID_GENESIS(error.log) from None
    return deployment


def parse_genesis(state: dict[str, Any]) -> tuple[Params, list[deployment_pb2.Deployment]]:
    """Raises INVALID_PARAMS or INVALID_GENESIS naming the first bad entry."""
    params = Params.from_json(state.get("params", {}))
    entries = state.get("deployments", [])
    if not isinstance(entries, list):
        raise INVALID_GENESIS("deployment.deployments must be a list")
    seen: set[tuple[str, int]] = set()
    deployments = []
    for index, entry in enumerate(entries):
        deployment = _deployment(entry, f"deployment.deployments[{index}]")
        key = (deployment.owner, deployment.dseq)
        if key in seen:
            raise INVALID_GENESIS(f"deployment.deployments[{index}] listed twice")
        seen.add(key)
        deployments.append(deployment)
    return params, deployments


def validate_genesis(state: dict[str, Any]) -> None:
    parse_genesis(state)


def init_genesis(ctx: Context, keeper: DeploymentKeeper, state: dict[str, Any]) -> None:
    params, deployments = parse_genesis(state)
    keeper.set_params(ctx.store, params)
    for deployment in deployments:
        keeper.set_deployment(ctx.store, deployment)


def export_genesis(store: KVStore, keeper: DeploymentKeeper) -> dict[str, Any]:
    return {
        "params": keeper.params(store).to_json(),
        "deployments": [
            json_format.MessageToDict(deployment, preserving_proto_field_name=True)
            for deployment in keeper.deployments(store)
        ],
    }
