"""auth queries (cosmos.auth.v1beta1.Query) over committed state."""

from __future__ import annotations

from google.protobuf import any_pb2

from chain.context import GasSchedule
from chain.errors import KEY_NOT_FOUND
from chain.module import QueryRoute, service_routes
from chain.msgs import account_address
from chain.pagination import PageRequest, paginate
from chain.pb.cosmos.auth.v1beta1 import auth_pb2, query_pb2
from chain.store import KVStore
from x.auth import keys
from x.auth.keeper import AccountKeeper, decode_account, encode_account
from x.auth.types import Account

SERVICE = query_pb2.DESCRIPTOR.services_by_name["Query"]
BASE_ACCOUNT_TYPE_URL = "/" + auth_pb2.BaseAccount.DESCRIPTOR.full_name
MODULE_ACCOUNT_TYPE_URL = "/" + auth_pb2.ModuleAccount.DESCRIPTOR.full_name


def account_any(account: Account) -> any_pb2.Any:
    return any_pb2.Any(type_url=BASE_ACCOUNT_TYPE_URL, value=encode_account(account))


def query_routes(keeper: AccountKeeper) -> list[QueryRoute]:
    def account(
        store: KVStore, request: query_pb2.QueryAccountRequest
    ) -> query_pb2.QueryAccountResponse:
        address = account_address(request.address, "address")
        found = keeper.account(store, address)
        if found is None:
            raise KEY_NOT_FOUND(f"account {request.address} not found")
        return query_pb2.QueryAccountResponse(account=account_any(found))

    def accounts(
        store: KVStore, request: query_pb2.QueryAccountsRequest
    ) -> query_pb2.QueryAccountsResponse:
        """One page of accounts in address order."""
        page = paginate(
            store,
            keys.ACCOUNT_PREFIX,
            PageRequest.from_proto(request.pagination),
            decode_account,
        )
        return query_pb2.QueryAccountsResponse(
            accounts=[account_any(found) for found in page.items], pagination=page.to_proto()
        )

    def params(store: KVStore, _: query_pb2.QueryParamsRequest) -> query_pb2.QueryParamsResponse:
        """Cosmos's params from gpuchain's: tx_sig_limit stays 0, as there is no limit
        beyond max_msgs_per_tx (each message names its signer)."""
        gas = GasSchedule()
        return query_pb2.QueryParamsResponse(
            params=auth_pb2.Params(
                max_memo_characters=keeper.params(store).max_memo_characters,
                tx_size_cost_per_byte=gas.tx_byte,
                sig_verify_cost_ed25519=gas.signature_ed25519,
                sig_verify_cost_secp256k1=gas.signature_secp256k1,
            )
        )

    def module_accounts(
        store: KVStore, _: query_pb2.QueryModuleAccountsRequest
    ) -> query_pb2.QueryModuleAccountsResponse:
        """Every module account the wired modules declare, by name, with its permissions."""
        found = []
        for declared in keeper.module_accounts:
            record = keeper.account(store, declared.address) or Account(declared.address, 0)
            module_account = auth_pb2.ModuleAccount(
                base_account=auth_pb2.BaseAccount.FromString(encode_account(record)),
                name=declared.name,
                permissions=sorted(declared.permissions),
            )
            found.append(
                any_pb2.Any(
                    type_url=MODULE_ACCOUNT_TYPE_URL, value=module_account.SerializeToString()
                )
            )
        return query_pb2.QueryModuleAccountsResponse(accounts=found)

    return service_routes(
        SERVICE,
        {
            "Account": account,
            "Accounts": accounts,
            "Params": params,
            "ModuleAccounts": module_accounts,
        },
    )
