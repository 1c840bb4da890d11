"""slashing queries over committed state: cosmos.slashing.v1beta1.Query, and
gpuchain.slashing.v1.Query for params and liveness records as gpuchain keeps them (jail
terms in blocks and heights, where Cosmos has durations and times, which stay unset in
Cosmos's messages here).
"""

from __future__ import annotations

from chain.coins import dec_wire
from chain.crypto import encode_consensus_address
from chain.errors import INVALID_ADDRESS, INVALID_REQUEST
from chain.module import QueryRoute, query_path, service_routes
from chain.msgs import consensus_address, validator_address
from chain.pagination import Page, PageRequest, paginate
from chain.params import params_response
from chain.pb.cosmos.base.query.v1beta1.pagination_pb2 import PageRequest as PageRequestMessage
from chain.pb.cosmos.slashing.v1beta1 import query_pb2, slashing_pb2
from chain.pb.gpuchain.slashing.v1 import query_pb2 as gpuchain_query_pb2
from chain.store import KVStore
from x.slashing import keys
from x.slashing.errors import NO_SIGNING_INFO, UNKNOWN_VALIDATOR
from x.slashing.keeper import SlashingKeeper
from x.slashing.types import SigningInfo

COSMOS_SERVICE = query_pb2.DESCRIPTOR.services_by_name["Query"]
GPUCHAIN_SERVICE = gpuchain_query_pb2.DESCRIPTOR.services_by_name["Query"]
SIGNING_INFO_PATH = query_path(GPUCHAIN_SERVICE, "SigningInfo")
SIGNING_INFOS_PATH = query_path(GPUCHAIN_SERVICE, "SigningInfos")
PARAMS_PATH = query_path(GPUCHAIN_SERVICE, "Params")


def cosmos_signing_info(info: SigningInfo) -> slashing_pb2.ValidatorSigningInfo:
    return slashing_pb2.ValidatorSigningInfo(
        address=encode_consensus_address(info.address),
        start_height=info.start_height,
        index_offset=info.index_offset,
        tombstoned=info.tombstoned,
        missed_blocks_counter=info.missed_blocks_counter,
    )


def gpuchain_signing_info(info: SigningInfo) -> gpuchain_query_pb2.SigningInfo:
    return gpuchain_query_pb2.SigningInfo(
        address=info.address.hex().upper(),
        start_height=info.start_height,
        index_offset=info.index_offset,
        missed_blocks_counter=info.missed_blocks_counter,
        jailed_until=info.jailed_until,
        tombstoned=info.tombstoned,
    )


def _named_consensus_address(
    keeper: SlashingKeeper, store: KVStore, request: gpuchain_query_pb2.QuerySigningInfoRequest
) -> bytes:
    """The consensus address a request names: hex, or the operator's validator."""
    if request.consensus_address:
        text = request.consensus_address
        try:
            address = bytes.fromhex(text)
        except ValueError:
            raise INVALID_ADDRESS(f"consensus_address {text[:80]!r} is not hex") from None
        if len(address) != 20:
            raise INVALID_ADDRESS(f"consensus_address is {len(address)} bytes, expected 20")
        return address
    if request.validator:
        operator = validator_address(request.validator, "validator")
        validator = keeper.staking.validator(store, operator)
        if validator is None:
            raise UNKNOWN_VALIDATOR(request.validator)
        return keeper.consensus_address(validator)
    raise INVALID_REQUEST("name a consensus_address (hex) or a validator (gpuvaloper1…)")


def _signing_infos(store: KVStore, pagination: PageRequestMessage) -> Page[SigningInfo]:
    return paginate(
        store,
        keys.SIGNING_INFO_PREFIX,
        PageRequest.from_proto(pagination),
        lambda _, raw: SigningInfo.decode(raw),
    )


def query_routes(keeper: SlashingKeeper) -> list[QueryRoute]:
    def require_signing_info(store: KVStore, address: bytes) -> SigningInfo:
        info = keeper.signing_info(store, address)
        if info is None:
            raise NO_SIGNING_INFO(address.hex().upper())
        return info

    def signing_info(
        store: KVStore, request: query_pb2.QuerySigningInfoRequest
    ) -> query_pb2.QuerySigningInfoResponse:
        """Raises INVALID_ADDRESS, NO_SIGNING_INFO."""
        address = consensus_address(request.cons_address, "cons_address")
        return query_pb2.QuerySigningInfoResponse(
            val_signing_info=cosmos_signing_info(require_signing_info(store, address))
        )

    def signing_infos(
        store: KVStore, request: query_pb2.QuerySigningInfosRequest
    ) -> query_pb2.QuerySigningInfosResponse:
        """One page of signing infos in consensus-address order."""
        page = _signing_infos(store, request.pagination)
        return query_pb2.QuerySigningInfosResponse(
            info=[cosmos_signing_info(info) for info in page.items], pagination=page.to_proto()
        )

    def params(store: KVStore, _: query_pb2.QueryParamsRequest) -> query_pb2.QueryParamsResponse:
        """Cosmos's params; downtime_jail_duration stays unset: gpuchain jails for a number
        of blocks (gpuchain.slashing.v1.Query/Params)."""
        found = keeper.params(store)
        return query_pb2.QueryParamsResponse(
            params=slashing_pb2.Params(
                signed_blocks_window=found.signed_blocks_window,
                min_signed_per_window=dec_wire(found.min_signed_per_window).encode(),
                slash_fraction_double_sign=dec_wire(found.slash_fraction_double_sign).encode(),
                slash_fraction_downtime=dec_wire(found.slash_fraction_downtime).encode(),
            )
        )

    def gpuchain_params(
        store: KVStore, _: gpuchain_query_pb2.QueryParamsRequest
    ) -> gpuchain_query_pb2.QueryParamsResponse:
        return params_response(keeper.params(store), gpuchain_query_pb2.QueryParamsResponse)

    def gpuchain_info(
        store: KVStore, request: gpuchain_query_pb2.QuerySigningInfoRequest
    ) -> gpuchain_query_pb2.QuerySigningInfoResponse:
        """Raises INVALID_ADDRESS, INVALID_REQUEST, UNKNOWN_VALIDATOR, NO_SIGNING_INFO."""
        address = _named_consensus_address(keeper, store, request)
        return gpuchain_query_pb2.QuerySigningInfoResponse(
            signing_info=gpuchain_signing_info(require_signing_info(store, address))
        )

    def gpuchain_infos(
        store: KVStore, request: gpuchain_query_pb2.QuerySigningInfosRequest
    ) -> gpuchain_query_pb2.QuerySigningInfosResponse:
        """One page of signing infos in consensus-address order."""
        page = _signing_infos(store, request.pagination)
        return gpuchain_query_pb2.QuerySigningInfosResponse(
            signing_infos=[gpuchain_signing_info(info) for info in page.items],
            pagination=page.to_proto(),
        )

    return service_routes(
        COSMOS_SERVICE,
        {"SigningInfo": signing_info, "SigningInfos": signing_infos, "Params": params},
    ) + service_routes(
        GPUCHAIN_SERVICE,
        {"SigningInfo": gpuchain_info, "SigningInfos": gpuchain_infos, "Params": gpuchain_params},
    )
