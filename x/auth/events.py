"""auth events: the `tx` event of every signed transaction, in Cosmos SDK's three parts
(fee and payer, account/sequence, signature), so `query txs --events tx.acc_seq=…` works."""

from __future__ import annotations

import base64

from chain.coins import Coins
from chain.context import Context


def emit_tx(ctx: Context, fee: Coins, signer: str, sequence: int, signature: bytes) -> None:
    ctx.emit("tx", ("fee", str(fee)), ("fee_payer", signer))
    ctx.emit("tx", ("acc_seq", f"{signer}/{sequence}"))
    ctx.emit("tx", ("signature", base64.b64encode(signature).decode()))
