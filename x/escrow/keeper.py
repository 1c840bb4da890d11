"""Escrow state: accounts keyed by (owner, dseq), their tokens held by the `escrow` module
account, and the payments (one per lease) each pays per block. Other modules (deployment,
market) call this keeper; escrow has no messages of its own.

Settlement is lazy: nothing happens per block. Deposit, withdraw, a payment's open or
close, and the account's close first settle the account, accruing to each open payment
its rate for every whole block since `settled_at` the balance covers; the tokens stay in
the module account until a payout (withdraw, close) sends them to the provider, less the
take rate for the community pool. The dry-height index names the height at which each
account stops covering a block, so the market closes exactly those accounts' leases in
that block, whatever the number of leases elsewhere.
"""

from __future__ import annotations

from chain.coins import Coins
from chain.context import Context
from chain.crypto import module_address
from chain.params import get_params, set_params
from chain.store import KVStore, decode_uint, iterate_prefix
from x.escrow import events, keys
from x.escrow.errors import (
    ACCOUNT_CLOSED,
    ACCOUNT_EXISTS,
    ACCOUNT_NOT_FOUND,
    INVALID_AMOUNT,
    PAYMENT_CLOSED,
    PAYMENT_EXISTS,
    PAYMENT_NOT_FOUND,
)
from x.escrow.expected import BankKeeper, CommunityPool, PayoutLimit
from x.escrow.types import CLOSED, DENOM, NEVER, Account, Params, Payment

MODULE_ACCOUNT_NAME = "escrow"
MODULE_ADDRESS = module_address(MODULE_ACCOUNT_NAME)
OWNER_BYTES = 20


class EscrowKeeper:
    def __init__(self, bank: BankKeeper, community_pool: CommunityPool) -> None:
        self._bank = bank
        self._community_pool = community_pool
        # Registered by the market's usage part: a withdraw pays out only what they allow.
        self.payout_limits: list[PayoutLimit] = []

    # --- views ---------------------------------------------------------------------

    def params(self, store: KVStore) -> Params:
        return get_params(store, keys.PARAMS_KEY, Params)

    def account(self, store: KVStore, owner: bytes, dseq: int) -> Account | None:
        raw = store.get(keys.account_key(owner, dseq))
        return Account.decode(raw) if raw is not None else None

    def accounts(self, store: KVStore) -> list[Account]:
        """Every account in (owner, dseq) order."""
        return [Account.decode(raw) for _, raw in iterate_prefix(store, keys.ACCOUNT_PREFIX)]

    def payment(self, store: KVStore, owner: bytes, dseq: int, payment_id: str) -> Payment | None:
        raw = store.get(keys.payment_key(owner, dseq, payment_id))
        return Payment.decode(raw) if raw is not None else None

    def payments(self, store: KVStore, owner: bytes, dseq: int) -> list[Payment]:
        """One account's payments in payment-id order."""
        prefix = keys.payments_prefix(owner, dseq)
        return [Payment.decode(raw) for _, raw in iterate_prefix(store, prefix)]

    def all_payments(self, store: KVStore) -> list[Payment]:
        return [Payment.decode(raw) for _, raw in iterate_prefix(store, keys.PAYMENT_PREFIX)]

    def held(self, store: KVStore) -> int:
        """What the escrow module account holds."""
        return self._bank.balance(store, MODULE_ADDRESS, DENOM)

    def dry_at(self, store: KVStore, height: int) -> list[tuple[bytes, int]]:
        """(owner, dseq) of the accounts that stop covering a block at height: one prefix
        read, whatever the number of accounts."""
        prefix = keys.dry_height_prefix(height)
        return [
            (key[len(prefix) : len(prefix) + OWNER_BYTES], decode_uint(key[-8:]))
            for key, _ in iterate_prefix(store, prefix)
        ]

    def dry_index(self, store: KVStore) -> list[tuple[int, bytes, int]]:
        """(height, owner, dseq) of every dry-height index entry (invariants)."""
        skip = len(keys.DRY_HEIGHT_PREFIX)
        return [
            (
                decode_uint(key[skip : skip + 8]),
                key[skip + 8 : skip + 8 + OWNER_BYTES],
                decode_uint(key[-8:]),
            )
            for key, _ in iterate_prefix(store, keys.DRY_HEIGHT_PREFIX)
        ]

    def require_open(self, store: KVStore, owner: bytes, dseq: int) -> Account:
        """Raises ACCOUNT_NOT_FOUND or ACCOUNT_CLOSED."""
        account = self.account(store, owner, dseq)
        if account is None:
            raise ACCOUNT_NOT_FOUND(f"no escrow account for dseq {dseq} of that owner")
        if not account.is_open:
            raise ACCOUNT_CLOSED(f"escrow account for dseq {dseq} is closed")
        return account

    def _require_open_payment(
        self, store: KVStore, owner: bytes, dseq: int, payment_id: str
    ) -> Payment:
        payment = self.payment(store, owner, dseq, payment_id)
        if payment is None:
            raise PAYMENT_NOT_FOUND(f"dseq {dseq} has no payment {payment_id!r}")
        if not payment.is_open:
            raise PAYMENT_CLOSED(f"payment {payment_id!r} of dseq {dseq} is closed")
        return payment

    # --- writes --------------------------------------------------------------------

    def set_params(self, store: KVStore, params: Params) -> None:
        set_params(store, keys.PARAMS_KEY, params)

    def set_account(self, store: KVStore, account: Account, before: Account | None = None) -> None:
        """Store account and move its dry-height index entry if that height changed."""
        old = before.dry_height() if before is not None else NEVER
        new = account.dry_height()
        if old != new and old != NEVER:
            store.delete(keys.dry_height_key(old, account.owner, account.dseq))
        if new != NEVER:
            store.set(keys.dry_height_key(new, account.owner, account.dseq), keys.PRESENT)
        store.set(keys.account_key(account.owner, account.dseq), account.encode())

    def set_payment(self, store: KVStore, payment: Payment) -> None:
        store.set(
            keys.payment_key(payment.owner, payment.dseq, payment.payment_id), payment.encode()
        )

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
        """Settle, then top up an open account from anyone's funds. Raises ACCOUNT_NOT_FOUND,
        ACCOUNT_CLOSED, INVALID_AMOUNT, INSUFFICIENT_FUNDS."""
        before = self.require_open(ctx.store, owner, dseq)
        settled = self._settle(ctx, before)
        return self._add(ctx, settled, before, depositor, amount)

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

    def _settle(self, ctx: Context, account: Account) -> Account:
        """Accrue to each open payment its rate for every whole block since settled_at that
        the balance covers; returns the account (not stored). A balance that covers fewer
        blocks than have passed accrues those and stays settled only up to them."""
        blocks = ctx.height - account.settled_at
        if blocks <= 0:
            return account
        if not account.rate:
            return account.with_(settled_at=ctx.height)
        covered = min(blocks, account.balance // account.rate)
        total = 0
        if covered:
            for payment in self.payments(ctx.store, account.owner, account.dseq):
                if not payment.is_open:
                    continue
                amount = payment.rate * covered
                self.set_payment(ctx.store, payment.with_(accrued=payment.accrued + amount))
                total += amount
            events.emit_settled(ctx, account.owner, account.dseq, covered, total)
        return account.with_(
            balance=account.balance - total,
            accrued=account.accrued + total,
            settled_at=account.settled_at + covered if covered < blocks else ctx.height,
        )

    def _take(self, ctx: Context, account: Account, payment: Payment, amount: int) -> int:
        """The take rate's part of a payout of amount; 0 (and an `escrow_take_waived` event)
        when the community pool takes another denom than escrow pays in: funding it would
        fail, and a payout in the end-block (a lease closed as the escrow runs dry or as a
        fault) must not raise."""
        taken = self.params(ctx.store).take(amount)
        pool_denom = self._community_pool.denom(ctx.store)
        if taken and pool_denom != DENOM:
            events.emit_take_waived(
                ctx, account.owner, account.dseq, payment.payment_id, taken, pool_denom
            )
            return 0
        return taken

    def _pay_out(
        self, ctx: Context, account: Account, payment: Payment, state: str, amount: int
    ) -> tuple[Account, int, int]:
        """Send amount (at most what payment accrued) to its provider, the take rate's part
        to the community pool, and store the payment in state; returns (account, paid,
        taken), the account not stored."""
        taken = self._take(ctx, account, payment, amount)
        paid = amount - taken
        if paid:
            self._bank.send(ctx, MODULE_ADDRESS, payment.provider, Coins.single(DENOM, paid))
        if taken:
            self._community_pool.fund_community_pool(ctx, MODULE_ADDRESS, taken)
        self.set_payment(
            ctx.store,
            payment.with_(
                accrued=payment.accrued - amount,
                paid=payment.paid + paid,
                taken=payment.taken + taken,
                state=state,
            ),
        )
        if paid or taken:
            events.emit_paid_out(ctx, account.owner, account.dseq, payment.payment_id, paid, taken)
        return (
            account.with_(
                accrued=account.accrued - amount,
                transferred=account.transferred + paid,
                taken=account.taken + taken,
            ),
            paid,
            taken,
        )

    def settle(self, ctx: Context, owner: bytes, dseq: int) -> Account:
        """Settle an open account now. Raises ACCOUNT_NOT_FOUND, ACCOUNT_CLOSED."""
        before = self.require_open(ctx.store, owner, dseq)
        settled = self._settle(ctx, before)
        self.set_account(ctx.store, settled, before)
        return settled

    def open_payment(
        self, ctx: Context, owner: bytes, dseq: int, payment_id: str, provider: bytes, rate: int
    ) -> Payment:
        """Start paying provider rate ugpc per block from the next block on. Raises
        ACCOUNT_NOT_FOUND, ACCOUNT_CLOSED, PAYMENT_EXISTS, INVALID_AMOUNT."""
        before = self.require_open(ctx.store, owner, dseq)
        if rate <= 0:
            raise INVALID_AMOUNT(f"payment rate must be positive, got {rate}")
        if self.payment(ctx.store, owner, dseq, payment_id) is not None:
            raise PAYMENT_EXISTS(f"dseq {dseq} already has payment {payment_id!r}")
        settled = self._settle(ctx, before)
        payment = Payment(owner, dseq, payment_id, provider, rate)
        self.set_payment(ctx.store, payment)
        self.set_account(ctx.store, settled.with_(rate=settled.rate + rate), before)
        events.emit_payment(ctx, "opened", owner, dseq, payment_id, rate)
        return payment

    def withdraw_payment(
        self, ctx: Context, owner: bytes, dseq: int, payment_id: str
    ) -> tuple[int, int]:
        """Settle, then pay out what the payment accrued, as far as every payout limit
        allows (a provider's withdraw: only reported blocks); returns (paid to the
        provider, taken). Raises ACCOUNT_NOT_FOUND, ACCOUNT_CLOSED, PAYMENT_NOT_FOUND,
        PAYMENT_CLOSED."""
        before = self.require_open(ctx.store, owner, dseq)
        self._require_open_payment(ctx.store, owner, dseq, payment_id)
        settled = self._settle(ctx, before)
        payment = self._require_open_payment(ctx.store, owner, dseq, payment_id)
        amount = payment.accrued
        for limit in self.payout_limits:
            allowed = limit.payable(ctx.store, payment)
            if allowed is not None:
                amount = min(amount, allowed)
        account, paid, taken = self._pay_out(ctx, settled, payment, payment.state, amount)
        self.set_account(ctx.store, account, before)
        return paid, taken

    def return_accrued(
        self, ctx: Context, owner: bytes, dseq: int, payment_id: str, amount: int
    ) -> None:
        """Move amount of what an open payment accrued back to its account's balance, for
        blocks its provider will not be paid (a provider fault: nobody reported them).
        Raises ACCOUNT_NOT_FOUND, ACCOUNT_CLOSED, PAYMENT_NOT_FOUND, PAYMENT_CLOSED and
        INVALID_AMOUNT (not 1 up to what it accrued)."""
        before = self.require_open(ctx.store, owner, dseq)
        payment = self._require_open_payment(ctx.store, owner, dseq, payment_id)
        if not 0 < amount <= payment.accrued:
            raise INVALID_AMOUNT(
                f"cannot return {amount} of the {payment.accrued} payment {payment_id!r} accrued"
            )
        self.set_payment(ctx.store, payment.with_(accrued=payment.accrued - amount))
        returned = before.with_(balance=before.balance + amount, accrued=before.accrued - amount)
        self.set_account(ctx.store, returned, before)
        events.emit_accrued_returned(ctx, owner, dseq, payment_id, amount)

    def close_payment(
        self, ctx: Context, owner: bytes, dseq: int, payment_id: str
    ) -> tuple[int, int]:
        """Settle, pay out what the payment accrued, then stop it; returns (paid, taken).
        Raises ACCOUNT_NOT_FOUND, ACCOUNT_CLOSED, PAYMENT_NOT_FOUND, PAYMENT_CLOSED."""
        before = self.require_open(ctx.store, owner, dseq)
        self._require_open_payment(ctx.store, owner, dseq, payment_id)
        settled = self._settle(ctx, before)
        payment = self._require_open_payment(ctx.store, owner, dseq, payment_id)
        account, paid, taken = self._pay_out(ctx, settled, payment, CLOSED, payment.accrued)
        self.set_account(ctx.store, account.with_(rate=account.rate - payment.rate), before)
        events.emit_payment(ctx, "closed", owner, dseq, payment_id, payment.rate)
        return paid, taken

    def close_account(self, ctx: Context, owner: bytes, dseq: int) -> int:
        """Settle, pay out and close every payment, close the account, and refund the unspent
        balance to the owner; returns the refund. Raises ACCOUNT_NOT_FOUND, ACCOUNT_CLOSED."""
        before = self.require_open(ctx.store, owner, dseq)
        account = self._settle(ctx, before)
        for payment in self.payments(ctx.store, owner, dseq):
            if payment.is_open:
                account, _, _ = self._pay_out(ctx, account, payment, CLOSED, payment.accrued)
                events.emit_payment(ctx, "closed", owner, dseq, payment.payment_id, payment.rate)
        refund = account.balance
        if refund:
            self._bank.send(ctx, MODULE_ADDRESS, owner, Coins.single(DENOM, refund))
        closed = account.with_(
            state=CLOSED,
            balance=0,
            rate=0,
            refunded=account.refunded + refund,
            settled_at=ctx.height,
        )
        self.set_account(ctx.store, closed, before)
        events.emit_account_closed(ctx, owner, dseq, refund)
        return refund
