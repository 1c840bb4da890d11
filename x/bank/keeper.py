"""Balances and supply. Views take a store; writes take a context (they emit events)."""

from __future__ import annotations

from chain.coins import Coin, Coins
from chain.context import Context
from chain.crypto import encode_address
from chain.errors import INSUFFICIENT_FUNDS, UNAUTHORIZED
from chain.module import BURNER, ModuleAccount
from chain.store import KVStore, decode_uint, encode_uint, iterate_prefix
from x.bank import keys
from x.bank.events import emit_burn, emit_transfer
from x.bank.expected import AccountCreator
from x.bank.types import FEE_COLLECTOR_ADDRESS


class BankKeeper:
    fee_collector: bytes = FEE_COLLECTOR_ADDRESS

    def __init__(self, accounts: AccountCreator) -> None:
        self._accounts = accounts
        self._module_accounts: dict[bytes, ModuleAccount] = {}

    def set_module_accounts(self, accounts: dict[bytes, ModuleAccount]) -> None:
        """The module accounts every wired module declares (chain.wiring): none of them may
        receive a transfer, and only a BURNER may burn."""
        self._module_accounts = dict(accounts)

    def is_blocked(self, address: bytes) -> bool:
        return address in self._module_accounts

    def balance(self, store: KVStore, address: bytes, denom: str) -> int:
        return decode_uint(store.get(keys.balance_key(address, denom)))

    def supply_of(self, store: KVStore, denom: str) -> int:
        return decode_uint(store.get(keys.supply_key(denom)))

    def total_supply(self, store: KVStore) -> Coins:
        skip = len(keys.SUPPLY_PREFIX)
        return Coins.of(
            Coin(key[skip:].decode(), decode_uint(value))
            for key, value in iterate_prefix(store, keys.SUPPLY_PREFIX)
        )

    def all_balances(self, store: KVStore) -> list[tuple[bytes, Coin]]:
        """Every (address, coin) in key order; for genesis export and invariants."""
        skip = len(keys.BALANCE_PREFIX)
        return [
            (key[skip : skip + 20], Coin(key[skip + 20 :].decode(), decode_uint(value)))
            for key, value in iterate_prefix(store, keys.BALANCE_PREFIX)
        ]

    def _set_balance(self, store: KVStore, address: bytes, denom: str, amount: int) -> None:
        key = keys.balance_key(address, denom)
        if amount:
            store.set(key, encode_uint(amount))
        else:
            store.delete(key)

    def subtract(self, store: KVStore, address: bytes, amount: Coins) -> None:
        """Raises INSUFFICIENT_FUNDS naming the account, what it has and what was asked."""
        for coin in amount:
            have = self.balance(store, address, coin.denom)
            if have < coin.amount:
                raise INSUFFICIENT_FUNDS(
                    f"{encode_address(address)} has {have}{coin.denom}, needs {coin}"
                )
            self._set_balance(store, address, coin.denom, have - coin.amount)

    def add(self, store: KVStore, address: bytes, amount: Coins) -> None:
        self._accounts.ensure_account(store, address)
        for coin in amount:
            have = self.balance(store, address, coin.denom)
            self._set_balance(store, address, coin.denom, have + coin.amount)

    def send(self, ctx: Context, sender: bytes, recipient: bytes, amount: Coins) -> None:
        self.subtract(ctx.store, sender, amount)
        self.add(ctx.store, recipient, amount)
        emit_transfer(ctx, sender, recipient, amount)

    def pay_fee(self, ctx: Context, payer: bytes, fee: Coins) -> None:
        self.send(ctx, payer, FEE_COLLECTOR_ADDRESS, fee)

    def burn(self, ctx: Context, address: bytes, amount: Coins) -> None:
        """Destroy tokens held at address (slashing); supply shrinks with them. Raises
        UNAUTHORIZED for an address that is not a module account with the BURNER permission."""
        account = self._module_accounts.get(address)
        if account is None or BURNER not in account.permissions:
            raise UNAUTHORIZED(f"{encode_address(address)} may not burn tokens")
        self.subtract(ctx.store, address, amount)
        for coin in amount:
            remaining = self.supply_of(ctx.store, coin.denom) - coin.amount
            key = keys.supply_key(coin.denom)
            if remaining:
                ctx.store.set(key, encode_uint(remaining))
            else:
                ctx.store.delete(key)
        emit_burn(ctx, address, amount)

    def mint(self, store: KVStore, address: bytes, amount: Coins) -> None:
        """Create new tokens at address (genesis and inflation); supply grows with them."""
        self.add(store, address, amount)
        for coin in amount:
            store.set(
                keys.supply_key(coin.denom),
                encode_uint(self.supply_of(store, coin.denom) + coin.amount),
            )
