"""auth queries over committed state."""

from __future__ import annotations

from google.protobuf import any_pb2

from chain.crypto import AddressError, decode_address
from chain.errors import INVALID_ADDRESS, KEY_NOT_FOUND
from chain.module import QueryRoute
from chain.pb.cosmos.auth.v1beta1 import auth_pb2
from chain.store import KVStore
from x.auth.keeper import AccountKeeper, encode_account


def query_routes(keeper: AccountKeeper) -> list[QueryRoute]:
    def account(
        store: KVStore, request: auth_pb2.QueryAccountRequest
    ) -> auth_pb2.QueryAccountResponse:
        try:
            address = decode_address(request.address)
        except AddressError as error:
            raise INVALID_ADDRESS(f"{request.address!r}: {error}") from None
        found = keeper.account(store, address)
        if found is None:
            raise KEY_NOT_FOUND(f"account {request.address} not found")
        return auth_pb2.QueryAccountResponse(
            account=any_pb2.Any(
                type_url="/cosmos.auth.v1beta1.BaseAccount", value=encode_account(found)
            )
        )

    return [
        QueryRoute(
            "/cosmos.auth.v1beta1.Query/Account",
            auth_pb2.QueryAccountRequest,
            auth_pb2.QueryAccountResponse,
            account,
        )
    ]
