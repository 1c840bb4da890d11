"""escrow events: an account opened, topped up, settled, closed with its refund; a payment
opened, paid out and closed."""

from __future__ import annotations

from chain.context import Context
from chain.crypto import encode_address


def _account(owner: bytes, dseq: int) -> tuple[tuple[str, str], tuple[str, str]]:
    return ("owner", encode_address(owner)), ("dseq", str(dseq))


def emit_account_opened(ctx: Context, owner: bytes, dseq: int) -> None:
    ctx.emit("escrow_account_opened", *_account(owner, dseq))


def emit_deposit(ctx: Context, owner: bytes, dseq: int, depositor: bytes, amount: int) -> None:
    ctx.emit(
        "escrow_deposit",
        *_account(owner, dseq),
        ("depositor", encode_address(depositor)),
        ("amount", str(amount)),
    )


def emit_settled(ctx: Context, owner: bytes, dseq: int, blocks: int, paid: int) -> None:
    ctx.emit("escrow_settled", *_account(owner, dseq), ("blocks", str(blocks)), ("paid", str(paid)))


def emit_payment(
    ctx: Context, transition: str, owner: bytes, dseq: int, payment_id: str, rate: int
) -> None:
    """transition: opened or closed (event `escrow_payment_<transition>`)."""
    ctx.emit(
        f"escrow_payment_{transition}",
        *_account(owner, dseq),
        ("payment_id", payment_id),
        ("rate", str(rate)),
    )


def emit_account_closed(ctx: Context, owner: bytes, dseq: int, refunded: int) -> None:
    ctx.emit("escrow_account_closed", *_account(owner, dseq), ("refunded", str(refunded)))


def emit_paid_out(
    ctx: Context, owner: bytes, dseq: int, payment_id: str, paid: int, taken: int
) -> None:
    """paid: to the provider; taken: the take rate's part, to the community pool."""
    ctx.emit(
        "escrow_paid_out",
        *_account(owner, dseq),
        ("payment_id", payment_id),
        ("paid", str(paid)),
        ("taken", str(taken)),
    )


def emit_take_waived(
    ctx: Context, owner: bytes, dseq: int, payment_id: str, waived: int, pool_denom: str
) -> None:
    """waived: the take rate's part of a payout, paid to the provider instead because the
    community pool takes only pool_denom (a chain whose bond denom is not the escrow's)."""
    ctx.emit(
        "escrow_take_waived",
        *_account(owner, dseq),
        ("payment_id", payment_id),
        ("waived", str(waived)),
        ("community_pool_denom", pool_denom),
    )


def emit_accrued_returned(
    ctx: Context, owner: bytes, dseq: int, payment_id: str, amount: int
) -> None:
    """amount: accrued for blocks the provider is not paid for, back in the balance."""
    ctx.emit(
        "escrow_accrued_returned",
        *_account(owner, dseq),
        ("payment_id", payment_id),
        ("amount", str(amount)),
    )
