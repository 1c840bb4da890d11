"""Account state: reads first, then writes. Other modules reach it through expected.py."""

from __future__ import annotations

from collections.abc import Iterable

from google.protobuf import any_pb2

from chain.crypto import encode_address, public_key_of_type
from chain.module import ModuleAccount
from chain.params import get_params, set_params
from chain.pb.cosmos.auth.v1beta1 import auth_pb2
from chain.pb.cosmos.crypto.secp256k1 import keys_pb2
from chain.store import KVStore, decode_uint, encode_uint, iterate_prefix
from x.auth import keys
from x.auth.types import Account, Params


def encode_account(account: Account) -> bytes:
    message = auth_pb2.BaseAccount(
        address=encode_address(account.address),
        account_number=account.account_number,
        sequence=account.sequence,
    )
    if account.public_key is not None:
        message.pub_key.CopyFrom(
            any_pb2.Any(
                type_url=account.public_key.type_url,
                value=keys_pb2.PubKey(key=account.public_key.key).SerializeToString(),
            )
        )
    return message.SerializeToString()


def decode_account(address: bytes, data: bytes) -> Account:
    message = auth_pb2.BaseAccount.FromString(data)
    public_key = None
    if message.HasField("pub_key"):
        # Both key types wrap `bytes key = 1`; state holds only keys the ante accepted.
        key = keys_pb2.PubKey.FromString(message.pub_key.value).key
        public_key = public_key_of_type(message.pub_key.type_url, key)
    return Account(address, message.account_number, message.sequence, public_key)


class AccountKeeper:
    """Numbers accounts on first receipt and tracks their keys and sequences.

    module_accounts are the accounts the wired modules declare (chain.wiring), by name.
    """

    def __init__(self) -> None:
        self.module_accounts: tuple[ModuleAccount, ...] = ()

    def set_module_accounts(self, accounts: Iterable[ModuleAccount]) -> None:
        self.module_accounts = tuple(sorted(accounts, key=lambda account: account.name))

    def params(self, store: KVStore) -> Params:
        return get_params(store, keys.PARAMS_KEY, Params)

    def account(self, store: KVStore, address: bytes) -> Account | None:
        raw = store.get(keys.account_key(address))
        return decode_account(address, raw) if raw is not None else None

    def accounts(self, store: KVStore) -> list[Account]:
        skip = len(keys.ACCOUNT_PREFIX)
        return [
            decode_account(key[skip:], value)
            for key, value in iterate_prefix(store, keys.ACCOUNT_PREFIX)
        ]

    def next_account_number(self, store: KVStore) -> int:
        raw = store.get(keys.NEXT_ACCOUNT_NUMBER_KEY)
        return decode_uint(raw)

    def set_params(self, store: KVStore, params: Params) -> None:
        set_params(store, keys.PARAMS_KEY, params)

    def set_account(self, store: KVStore, account: Account) -> None:
        store.set(keys.account_key(account.address), encode_account(account))

    def ensure_account(self, store: KVStore, address: bytes) -> Account:
        """The account at address, numbered now if this is its first appearance."""
        existing = self.account(store, address)
        if existing is not None:
            return existing
        number = self.next_account_number(store)
        store.set(keys.NEXT_ACCOUNT_NUMBER_KEY, encode_uint(number + 1, 8))
        account = Account(address, number)
        self.set_account(store, account)
        return account

    def set_next_account_number(self, store: KVStore, number: int) -> None:
        store.set(keys.NEXT_ACCOUNT_NUMBER_KEY, encode_uint(number, 8))
