"""bank events, in Cosmos SDK's names so explorers and `query txs --events` work unchanged."""

from __future__ import annotations

from chain.coins import Coins
from chain.context import Context
from chain.crypto import encode_address


def emit_transfer(ctx: Context, sender: bytes, recipient: bytes, amount: Coins) -> None:
    text = str(amount)
    ctx.emit("coin_spent", ("spender", encode_address(sender)), ("amount", text))
    ctx.emit("coin_received", ("receiver", encode_address(recipient)), ("amount", text))
    ctx.emit(
        "transfer",
        ("recipient", encode_address(recipient)),
        ("sender", encode_address(sender)),
        ("amount", text),
    )


def emit_burn(ctx: Context, burner: bytes, amount: Coins) -> None:
    ctx.emit("burn", ("burner", encode_address(burner)), ("amount", str(amount)))
