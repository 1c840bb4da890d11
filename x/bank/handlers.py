"""One function per bank message: ordered checks, then keeper calls."""

from __future__ import annotations

from chain.context import Context
from chain.errors import UNAUTHORIZED
from chain.msgs import account_address
from chain.pb.cosmos.bank.v1beta1 import tx_pb2
from x.bank.events import emit_transfer
from x.bank.keeper import BankKeeper
from x.bank.msgs import parse_coins


def _refuse_module_recipient(keeper: BankKeeper, address: bytes, text: str) -> None:
    if keeper.is_blocked(address):
        raise UNAUTHORIZED(f"{text} is a module account and cannot receive funds by transfer")


def handle_send(ctx: Context, keeper: BankKeeper, msg: tx_pb2.MsgSend) -> tx_pb2.MsgSendResponse:
    """Raises UNAUTHORIZED (module account recipient) and INSUFFICIENT_FUNDS."""
    recipient = account_address(msg.to_address, "to_address")
    _refuse_module_recipient(keeper, recipient, msg.to_address)
    keeper.send(
        ctx,
        account_address(msg.from_address, "from_address"),
        recipient,
        parse_coins(msg.amount, "amount"),
    )
    return tx_pb2.MsgSendResponse()


def handle_multi_send(
    ctx: Context, keeper: BankKeeper, msg: tx_pb2.MsgMultiSend
) -> tx_pb2.MsgMultiSendResponse:
    """Raises UNAUTHORIZED (module account recipient) and INSUFFICIENT_FUNDS."""
    sender = account_address(msg.inputs[0].address, "inputs[0].address")
    keeper.subtract(ctx.store, sender, parse_coins(msg.inputs[0].coins, "inputs[0].coins"))
    for index, output in enumerate(msg.outputs):
        recipient = account_address(output.address, f"outputs[{index}].address")
        _refuse_module_recipient(keeper, recipient, output.address)
        amount = parse_coins(output.coins, f"outputs[{index}].coins")
        keeper.add(ctx.store, recipient, amount)
        emit_transfer(ctx, sender, recipient, amount)
    return tx_pb2.MsgMultiSendResponse()
