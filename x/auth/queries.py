"""auth queries over committed state."""

from __future__ import annotations

from google.protobuf import any_pb2

from chain.errors import KEY_NOT_FOUND
from chain.module import QueryRoute
from chain.msgs import account_address
from chain.pb.cosmos.auth.v1beta1 import query_pb2 as auth_query_pb2
from chain.store import KVStore
from x.auth.keeper import AccountKeeper, encode_account


def query_routes(keeper: AccountKeeper) -> list[QueryRoute]:
    def account(
        store: KVStore, request: auth_query_pb2.QueryAccountRequest
    ) -> auth_query_pb2.QueryAccountResponse:
        address = account_address(request.address, "address")
        found = keeper.account(store, address)
        if found is None:
            raise KEY_NOT_FOUND(f"account {request.address} not found")
        return auth_query_pb2.QueryAccountResponse(
            account=any_pb2.Any(
                type_url="/cosmos.auth.v1beta1.BaseAccount", value=encode_account(found)
            )
        )

    return [
        QueryRoute(
            "/cosmos.auth.v1beta1.Query/Account",
            auth_query_pb2.QueryAccountRequest,
            auth_query_pb2.QueryAccountResponse,
            account,
        )
    ]
