"""bank queries (cosmos.bank.v1beta1.Query) over committed state."""

from __future__ import annotations

from chain.coins import Coins, validate_denom
from chain.module import QueryRoute
from chain.msgs import account_address
from chain.pb.cosmos.bank.v1beta1 import query_pb2
from chain.pb.cosmos.base.v1beta1 import coin_pb2
from chain.store import KVStore
from x.bank.keeper import BankKeeper


def _coins_pb(coins: Coins) -> list[coin_pb2.Coin]:
    return [coin_pb2.Coin(denom=c.denom, amount=str(c.amount)) for c in coins]


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
        coins = keeper.balances(store, account_address(request.address, "address"))
        return query_pb2.QueryAllBalancesResponse(balances=_coins_pb(coins))

    def total_supply(
        store: KVStore, request: query_pb2.QueryTotalSupplyRequest
    ) -> query_pb2.QueryTotalSupplyResponse:
        return query_pb2.QueryTotalSupplyResponse(supply=_coins_pb(keeper.total_supply(store)))

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
