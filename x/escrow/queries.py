"""escrow queries over committed state: gpuchain.escrow.v1.Query."""

from __future__ import annotations

from chain.crypto import encode_address
from chain.errors import INVALID_REQUEST
from chain.module import QueryRoute, query_path, service_routes
from chain.msgs import account_address
from chain.params import params_response
from chain.pb.gpuchain.escrow.v1 import query_pb2
from chain.store import KVStore, committed_height
from x.escrow.errors import ACCOUNT_NOT_FOUND
from x.escrow.keeper import EscrowKeeper
from x.escrow.types import DENOM, Account

SERVICE = query_pb2.DESCRIPTOR.services_by_name["Query"]
BALANCE_PATH = query_path(SERVICE, "Balance")
PARAMS_PATH = query_path(SERVICE, "Params")


def account_proto(account: Account, height: int) -> query_pb2.Account:
    """account as the query answers it at committed height."""
    return query_pb2.Account(
        owner=encode_address(account.owner),
        dseq=account.dseq,
        state=account.state,
        denom=DENOM,
        balance=str(account.balance),
        deposited=str(account.deposited),
        transferred=str(account.transferred),
        taken=str(account.taken),
        accrued=str(account.accrued),
        refunded=str(account.refunded),
        rate=str(account.rate),
        settled_at=account.settled_at,
        blocks_remaining=account.blocks_remaining(height),
        dry_height=account.dry_height(),
    )


def query_routes(keeper: EscrowKeeper) -> list[QueryRoute]:
    def balance(
        store: KVStore, request: query_pb2.QueryBalanceRequest
    ) -> query_pb2.QueryBalanceResponse:
        """Raises INVALID_ADDRESS, INVALID_REQUEST (no dseq), ACCOUNT_NOT_FOUND."""
        owner = account_address(request.owner, "owner")
        if not request.dseq:
            raise INVALID_REQUEST("name the deployment's dseq")
        account = keeper.account(store, owner, request.dseq)
        if account is None:
            raise ACCOUNT_NOT_FOUND(
                f"{request.owner} has no escrow account for dseq {request.dseq}"
            )
        # Outside a query view (no committed height) the account's own settlement height.
        height = committed_height(store)
        return query_pb2.QueryBalanceResponse(
            account=account_proto(account, account.settled_at if height is None else height)
        )

    def params(store: KVStore, _: query_pb2.QueryParamsRequest) -> query_pb2.QueryParamsResponse:
        return params_response(keeper.params(store), query_pb2.QueryParamsResponse)

    return service_routes(SERVICE, {"Params": params, "Balance": balance})
