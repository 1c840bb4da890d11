"""Escrow state: accounts keyed by (owner, dseq), their tokens held by the `escrow` module
account. Other modules (deployment now, market later) call this keeper; escrow has no
messages of its own."""

from __future__ import annotations

from chain.coins import Coins
from chain.context import Context
from chain.crypto import module_address
from chain.store import KVStore, iterate_prefix
from x.escrow import events, keys
from x.escrow.errors import ACCOUNT_CLOSED, ACCOUNT_EXISTS, ACCOUNT_NOT_FOUND, INVALID_AMOUNT
from x.escrow.expected import BankKeeper
from x.escrow.types import CLOSED, DENOM, NEVER, Account

MODULE_ACCOUNT_NAME = "escrow"
MODULE_ADDRESS = module_address(MODULE_ACCOUNT_NAME)


class EscrowKeeper:
    def __init__(self, bank: BankKeeper) -> None:
        self._bank = bank

    # --- views ---------------------------------------------------------------------

    def account(self, store: KVStore, owner: bytes, dseq: int) -> Account | None:
        raw = store.get(keys.account_key(owner, dseq))
        return Account.decode(raw) if raw is not None else None

    def accounts(self, store: KVStore) -> list[Account]:
        """Every account in (owner, dseq) order."""
        return [Account.decode(raw) for _, raw in iterate_prefix(store, keys.ACCOUNT_PREFIX)]

    def held(self, store: KVStore) -> int:
        """What the escrow module account holds."""
        return self._bank.balance(store, MODULE_ADDRESS, DENOM)

    def dry_at(self, store: KVStore, height: int) -> list[tuple[bytes, int]]:
        """(owner, dseq) of the accounts that run dry at height, from the index alone."""
        prefix = keys.dry_height_key(height, b"", 0)[: len(keys.DRY_HEIGHT_PREFIX) + 8]
        return [
            (key[len(prefix) : len(prefix) + 20], int.from_bytes(key[len(prefix) + 20 :], "big"))
            for key, _ in iterate_prefix(store, prefix)
        ]

    def require_open(self, store: KVStore, owner: bytes, dseq: int) -> Account:
        """Raises ACCOUNT_NOT_FOUND or ACCOUNT_CLOSED."""
        account = self.account(store, owner, dseq)
        if account is None:
            raise ACCOUNT_NOT_FOUND(f"no escrow account for dseq {dseq} of that owner")
        if not account.is_open:
            raise ACCOUNT_CLOSED(f"escrow account for dseq {dseq} is closed")
        return account

    # --- writes --------------------------------------------------------------------

    def set_account(self, store: KVStore, account: Account, before: Account | None = None) -> None:
        """Store account and move its dry-height index entry if that height changed."""
        old = before.dry_height() if before is not None else NEVER
        new = account.dry_height()
        if old != new and old != NEVER:
            store.delete(keys.dry_height_key(old, account.owner, account.dseq))
        if new != NEVER:
            store.set(keys.dry_height_key(new, account.owner, account.dseq), keys.PRESENT)
        store.set(keys.account_key(account.owner, account.dseq), account.encode())

    def open_account(
        self, ctx: Context, owner: bytes, dseq: int, depositor: bytes, amount: int
    ) -> Account:
        """Open (owner, dseq)'s account with depositor's first deposit. Raises ACCOUNT_EXISTS,
        INVALID_AMOUNT, INSUFFICIENT_FUNDS."""
        if self.account(ctx.store, owner, dseq) is not None:
            raise ACCOUNT_EXISTS(f"escrow account for dseq {dseq} exists")
        account = Account(owner=owner, dseq=dseq, settled_at=ctx.height)
        events.emit_account_opened(ctx, owner, dseq)
        return self._add(ctx, account, None, depositor, amount)

    def deposit(
        self, ctx: Context, owner: bytes, dseq: int, depositor: bytes, amount: int
    ) -> Account:
        """Top up an open account from anyone's funds. Raises ACCOUNT_NOT_FOUND,
        ACCOUNT_CLOSED, INVALID_AMOUNT, INSUFFICIENT_FUNDS."""
        account = self.require_open(ctx.store, owner, dseq)
        return self._add(ctx, account, account, depositor, amount)

    def _add(
        self, ctx: Context, account: Account, before: Account | None, depositor: bytes, amount: int
    ) -> Account:
        if amount <= 0:
            raise INVALID_AMOUNT(f"deposit must be positive, got {amount}")
        self._bank.send(ctx, depositor, MODULE_ADDRESS, Coins.single(DENOM, amount))
        updated = account.with_(
            balance=account.balance + amount, deposited=account.deposited + amount
        )
        self.set_account(ctx.store, updated, before)
        events.emit_deposit(ctx, account.owner, account.dseq, depositor, amount)
        return updated

    def close_account(self, ctx: Context, owner: bytes, dseq: int) -> int:
        """Close the account and refund its unspent balance to the owner; returns the refund.
        Raises ACCOUNT_NOT_FOUND, ACCOUNT_CLOSED."""
        account = self.require_open(ctx.store, owner, dseq)
        refund = account.balance
        if refund:
            self._bank.send(ctx, MODULE_ADDRESS, owner, Coins.single(DENOM, refund))
        closed = account.with_(
            state=CLOSED, balance=0, refunded=account.refunded + refund, settled_at=ctx.height
        )
        self.set_account(ctx.store, closed, account)
        events.emit_account_closed(ctx, owner, dseq, refund)
        return refund
