"""bank queries (cosmos.bank.v1beta1.Query) over committed state."""

from __future__ import annotations

from chain.coins import validate_denom
from chain.module import QueryRoute
from chain.msgs import account_address
from chain.pagination import PageRequest, paginate
from chain.pb.cosmos.bank.v1beta1 import query_pb2
from chain.pb.cosmos.base.v1beta1 import coin_pb2
from chain.store import KVStore, decode_uint
from x.bank import keys
from x.bank.keeper import BankKeeper


def _coin(denom: bytes, raw: bytes) -> coin_pb2.Coin:
    """A balance or supply entry (key suffix = denom) as a Coin."""
    return coin_pb2.Coin(denom=denom.decode(), amount=str(decode_uint(raw)))


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
        address = account_address(request.address, "address")
        page = paginate(
            store,
            keys.BALANCE_PREFIX + address,
            PageRequest.from_proto(request.pagination),
            _coin,
        )
        return query_pb2.QueryAllBalancesResponse(balances=page.items, pagination=page.to_proto())

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

    service = "/cosmos.bank.v1beta1.Query/"
    return [
        QueryRoute(
            service + "Balance",
            query_pb2.QueryBalanceRequest,
            query_pb2.QueryBalanceResponse,
            balance,
        ),
        QueryRoute(
            service + "AllBalances",
            query_pb2.QueryAllBalancesRequest,
            query_pb2.QueryAllBalancesResponse,
            all_balances,
        ),
        QueryRoute(
            service + "TotalSupply",
            query_pb2.QueryTotalSupplyRequest,
            query_pb2.QueryTotalSupplyResponse,
            total_supply,
        ),
        QueryRoute(
            service + "SupplyOf",
            query_pb2.QuerySupplyOfRequest,
            query_pb2.QuerySupplyOfResponse,
            supply_of,
        ),
    ]
