"""deployment queries over committed state: gpuchain.deployment.v1.Query."""

from __future__ import annotations

from chain.errors import INVALID_REQUEST
from chain.module import QueryRoute, query_path, service_routes
from chain.msgs import account_address
from chain.pagination import PageRequest, paginate
from chain.params import params_response
from chain.pb.gpuchain.deployment.v1 import deployment_pb2, query_pb2
from chain.store import KVStore, decode_uint
from x.deployment import keys
from x.deployment.errors import DEPLOYMENT_NOT_FOUND, GROUP_NOT_FOUND
from x.deployment.keeper import DeploymentKeeper
from x.deployment.types import DEPLOYMENT_STATES

SERVICE = query_pb2.DESCRIPTOR.services_by_name["Query"]
PARAMS_PATH = query_path(SERVICE, "Params")
DEPLOYMENTS_PATH = query_path(SERVICE, "Deployments")
DEPLOYMENT_PATH = query_path(SERVICE, "Deployment")
GROUP_PATH = query_path(SERVICE, "Group")


def _listing_prefix(request: query_pb2.QueryDeploymentsRequest) -> tuple[bytes, bytes]:
    """(prefix to page through, owner bytes already in it): the state index when a state is
    asked for, else the deployments themselves. Raises INVALID_REQUEST, INVALID_ADDRESS."""
    owner = account_address(request.owner, "owner") if request.owner else b""
    if not request.state:
        return keys.DEPLOYMENT_PREFIX + owner, owner
    if request.state not in DEPLOYMENT_STATES:
        raise INVALID_REQUEST(
            f"state {request.state[:40]!r} is not one of {', '.join(DEPLOYMENT_STATES)}"
        )
    return keys.state_prefix(request.state) + owner, owner


def query_routes(keeper: DeploymentKeeper) -> list[QueryRoute]:
    def params(store: KVStore, _: query_pb2.QueryParamsRequest) -> query_pb2.QueryParamsResponse:
        return params_response(keeper.params(store), query_pb2.QueryParamsResponse)

    def deployments(
        store: KVStore, request: query_pb2.QueryDeploymentsRequest
    ) -> query_pb2.QueryDeploymentsResponse:
        """One page of deployments with their groups, in (owner, dseq) order, filtered by
        owner and state. Raises INVALID_ADDRESS, INVALID_REQUEST."""
        prefix, owner = _listing_prefix(request)

        def load(rest: bytes, _: bytes) -> deployment_pb2.Deployment:
            key = owner + rest
            found = keeper.deployment(store, key[:20], decode_uint(key[20:]))
            assert found is not None, "state index entry without its deployment"
            return keeper.with_groups(store, found)

        page = paginate(store, prefix, PageRequest.from_proto(request.pagination), load)
        return query_pb2.QueryDeploymentsResponse(
            deployments=page.items, pagination=page.to_proto()
        )

    def deployment(
        store: KVStore, request: query_pb2.QueryDeploymentRequest
    ) -> query_pb2.QueryDeploymentResponse:
        """Raises INVALID_ADDRESS, DEPLOYMENT_NOT_FOUND."""
        owner = account_address(request.owner, "owner")
        found = keeper.deployment(store, owner, request.dseq)
        if found is None:
            raise DEPLOYMENT_NOT_FOUND(f"{request.owner} has no deployment {request.dseq}")
        return query_pb2.QueryDeploymentResponse(deployment=keeper.with_groups(store, found))

    def group(store: KVStore, request: query_pb2.QueryGroupRequest) -> query_pb2.QueryGroupResponse:
        """Raises INVALID_ADDRESS, GROUP_NOT_FOUND."""
        owner = account_address(request.owner, "owner")
        found = keeper.group(store, owner, request.dseq, request.gseq)
        if found is None:
            raise GROUP_NOT_FOUND(f"deployment {request.dseq} has no group {request.gseq}")
        return query_pb2.QueryGroupResponse(group=found)

    return service_routes(
        SERVICE,
        {"Params": params, "Deployments": deployments, "Deployment": deployment, "Group": group},
    )
