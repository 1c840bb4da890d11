"""provider queries over committed state (gpuchain.provider.v1.Query): providers a page
at a time (optionally only those declaring one attribute), one provider with its pending
collateral releases, a provider's reputation with its score, and params."""

from __future__ import annotations

from google.protobuf import json_format

from chain.attributes import MAX_VALUE_LENGTH, validate_key
from chain.errors import INVALID_REQUEST
from chain.module import QueryRoute, query_path, service_routes
from chain.msgs import account_address
from chain.pagination import PageRequest, paginate
from chain.params import params_response
from chain.pb.gpuchain.provider.v1 import provider_pb2, query_pb2
from chain.store import KVStore
from x.provider import keys
from x.provider.errors import UNKNOWN_PROVIDER
from x.provider.keeper import ProviderKeeper
from x.provider.types import CollateralRelease, Provider, Reputation

SERVICE = query_pb2.DESCRIPTOR.services_by_name["Query"]
PROVIDERS_PATH = query_path(SERVICE, "Providers")
PROVIDER_PATH = query_path(SERVICE, "Provider")
REPUTATION_PATH = query_path(SERVICE, "Reputation")
PARAMS_PATH = query_path(SERVICE, "Params")


def provider_pb(provider: Provider) -> provider_pb2.Provider:
    return json_format.ParseDict(provider.to_json(), provider_pb2.Provider())


def release_pb(release: CollateralRelease) -> provider_pb2.CollateralRelease:
    return json_format.ParseDict(release.to_json(), provider_pb2.CollateralRelease())


def reputation_pb(reputation: Reputation) -> provider_pb2.Reputation:
    return json_format.ParseDict(reputation.to_json(), provider_pb2.Reputation())


def _attribute_filter(request: query_pb2.QueryProvidersRequest) -> bytes | None:
    """The index prefix of the key=value the request filters by, None when it does not."""
    key, value = request.attribute_key, request.attribute_value
    if not key and not value:
        return None
    validate_key(key, "attribute", INVALID_REQUEST)
    if not value or len(value) > MAX_VALUE_LENGTH or "\x00" in value:
        raise INVALID_REQUEST(
            f"attribute {key} needs a value of 1 to {MAX_VALUE_LENGTH} characters"
        )
    return keys.attribute_prefix(key, value)


def query_routes(keeper: ProviderKeeper) -> list[QueryRoute]:
    def providers(
        store: KVStore, request: query_pb2.QueryProvidersRequest
    ) -> query_pb2.QueryProvidersResponse:
        """One page of providers in owner order; raises INVALID_REQUEST on a bad filter."""
        page_request = PageRequest.from_proto(request.pagination)
        prefix = _attribute_filter(request)
        if prefix is None:
            page = paginate(
                store, keys.PROVIDER_PREFIX, page_request, lambda _, raw: Provider.decode(raw)
            )
        else:
            page = paginate(
                store, prefix, page_request, lambda owner, _: keeper.require(store, owner)
            )
        found = page.items
        return query_pb2.QueryProvidersResponse(
            providers=[provider_pb(p) for p in found], pagination=page.to_proto()
        )

    def provider(
        store: KVStore, request: query_pb2.QueryProviderRequest
    ) -> query_pb2.QueryProviderResponse:
        """Raises INVALID_ADDRESS, UNKNOWN_PROVIDER (neither a provider nor a pending release)."""
        owner = account_address(request.owner, "owner")
        found = keeper.provider(store, owner)
        releases = keeper.releases_of(store, owner)
        if found is None and not releases:
            raise UNKNOWN_PROVIDER(f"{request.owner} is not a provider")
        return query_pb2.QueryProviderResponse(
            provider=provider_pb(found) if found is not None else None,
            releases=[release_pb(release) for release in releases],
        )

    def reputation(
        store: KVStore, request: query_pb2.QueryReputationRequest
    ) -> query_pb2.QueryReputationResponse:
        """Raises INVALID_ADDRESS; an address without a record answers zeros."""
        found = keeper.reputation(store, account_address(request.provider, "provider"))
        return query_pb2.QueryReputationResponse(
            reputation=reputation_pb(found), score=found.score()
        )

    def params(store: KVStore, _: query_pb2.QueryParamsRequest) -> query_pb2.QueryParamsResponse:
        return params_response(keeper.params(store), query_pb2.QueryParamsResponse)

    return service_routes(
        SERVICE,
        {
            "Providers": providers,
            "Provider": provider,
            "Reputation": reputation,
            "Params": params,
        },
    )
