"""bank queries (cosmos.bank.v1beta1.Query) over committed state."""

from __future__ import annotations

from chain.coins import validate_denom
from chain.errors import KEY_NOT_FOUND
from chain.module import QueryRoute, query_path, service_routes
from chain.msgs import account_address
from chain.pagination import Page, PageRequest, paginate
from chain.pb.cosmos.bank.v1beta1 import bank_pb2, query_pb2
from chain.pb.cosmos.base.query.v1beta1 import pagination_pb2
from chain.pb.cosmos.base.v1beta1 import coin_pb2
from chain.store import KVStore, decode_uint
from x.bank import keys
from x.bank.keeper import BankKeeper

SERVICE = query_pb2.DESCRIPTOR.services_by_name["Query"]
BALANCE_PATH = query_path(SERVICE, "Balance")
ALL_BALANCES_PATH = query_path(SERVICE, "AllBalances")
SUPPLY_OF_PATH = query_path(SERVICE, "SupplyOf")
TOTAL_SUPPLY_PATH = query_path(SERVICE, "TotalSupply")


def _coin(denom: bytes, raw: bytes) -> coin_pb2.Coin:
    """A balance or supply entry (key suffix = denom) as a Coin."""
    return coin_pb2.Coin(denom=denom.decode(), amount=str(decode_uint(raw)))


def _balances(
    store: KVStore, address: str, pagination: pagination_pb2.PageRequest
) -> Page[coin_pb2.Coin]:
    """One page of an account's balances in denom order."""
    return paginate(
        store,
        keys.BALANCE_PREFIX + account_address(address, "address"),
        PageRequest.from_proto(pagination),
        _coin,
    )


def query_routes(keeper: BankKeeper) -> list[QueryRoute]:
    def balance(
        store: KVStore, request: query_pb2.QueryBalanceRequest
    ) -> query_pb2.QueryBalanceResponse:
        address = account_address(request.address, "address")
        validate_denom(request.denom)
        amount = keeper.balance(store, address, request.denom)
        return query_pb2.QueryBalanceResponse(
            balance=coin_pb2.Coin(denom=request.denom, amount=str(amount))
        )

    def all_balances(
        store: KVStore, request: query_pb2.QueryAllBalancesRequest
    ) -> query_pb2.QueryAllBalancesResponse:
        page = _balances(store, request.address, request.pagination)
        return query_pb2.QueryAllBalancesResponse(balances=page.items, pagination=page.to_proto())

    def spendable_balances(
        store: KVStore, request: query_pb2.QuerySpendableBalancesRequest
    ) -> query_pb2.QuerySpendableBalancesResponse:
        page = _balances(store, request.address, request.pagination)
        return query_pb2.QuerySpendableBalancesResponse(
            balances=page.items, pagination=page.to_proto()
        )

    def total_supply(
        store: KVStore, request: query_pb2.QueryTotalSupplyRequest
    ) -> query_pb2.QueryTotalSupplyResponse:
        page = paginate(
            store, keys.SUPPLY_PREFIX, PageRequest.from_proto(request.pagination), _coin
        )
        return query_pb2.QueryTotalSupplyResponse(supply=page.items, pagination=page.to_proto())

    def supply_of(
        store: KVStore, request: query_pb2.QuerySupplyOfRequest
    ) -> query_pb2.QuerySupplyOfResponse:
        validate_denom(request.denom)
        return query_pb2.QuerySupplyOfResponse(
            amount=coin_pb2.Coin(
                denom=request.denom, amount=str(keeper.supply_of(store, request.denom))
            )
        )

    def params(store: KVStore, _: query_pb2.QueryParamsRequest) -> query_pb2.QueryParamsResponse:
        """Every denom may be sent (gpuchain has no send switches)."""
        return query_pb2.QueryParamsResponse(params=bank_pb2.Params(default_send_enabled=True))

    def denom_metadata(
        _: KVStore, request: query_pb2.QueryDenomMetadataRequest
    ) -> query_pb2.QueryDenomMetadataResponse:
        """Cosmos's answer for a denom without registered metadata: gpuchain registers none
        (its one denom, ugpc, is the bond and fee denom)."""
        validate_denom(request.denom)
        raise KEY_NOT_FOUND(f"client metadata for denom {request.denom}")

    return service_routes(
        SERVICE,
        {
            "Balance": balance,
            "AllBalances": all_balances,
            # Nothing is locked in an account here (no vesting): all of it can be spent.
            "SpendableBalances": spendable_balances,
            "TotalSupply": total_supply,
            "SupplyOf": supply_of,
            "Params": params,
            "DenomMetadata": denom_metadata,
        },
    )
