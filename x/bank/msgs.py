"""Stateless checks of bank messages: well-formed addresses and amounts, balanced multi-sends."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from chain.coins import Coin, Coins, parse_amount
from chain.errors import INVALID_COINS, INVALID_REQUEST
from chain.msgs import account_address
from chain.pb.cosmos.bank.v1beta1 import bank_pb2, tx_pb2
from chain.pb.cosmos.base.v1beta1 import coin_pb2


def parse_coins(coins: Iterable[coin_pb2.Coin], field: str) -> Coins:
    """Raises INVALID_COINS naming the field when an amount is missing, zero or malformed."""
    parsed = Coins.of(Coin(c.denom, parse_amount(c.amount, f"{field} amount")) for c in coins)
    if not parsed:
        raise INVALID_COINS(f"{field} is empty")
    return parsed


def validate_send(msg: tx_pb2.MsgSend) -> None:
    account_address(msg.from_address, "from_address")
    account_address(msg.to_address, "to_address")
    parse_coins(msg.amount, "amount")


def validate_multi_send(msg: tx_pb2.MsgMultiSend) -> None:
    if len(msg.inputs) != 1:
        raise INVALID_REQUEST(f"multi-send takes exactly one input, got {len(msg.inputs)}")
    if not msg.outputs:
        raise INVALID_REQUEST("multi-send has no outputs")
    account_address(msg.inputs[0].address, "inputs[0].address")
    total_in = parse_coins(msg.inputs[0].coins, "inputs[0].coins")
    total_out = Coins()
    for index, output in enumerate(msg.outputs):
        account_address(output.address, f"outputs[{index}].address")
        total_out = total_out + parse_coins(output.coins, f"outputs[{index}].coins")
    if total_in != total_out:
        raise INVALID_COINS(f"inputs ({total_in}) do not equal outputs ({total_out})")


def send_signer(msg: tx_pb2.MsgSend) -> str:
    return msg.from_address


def multi_send_signer(msg: tx_pb2.MsgMultiSend) -> str:
    return msg.inputs[0].address if msg.inputs else ""


def send_msg(sender: str, recipient: str, amount: Coins) -> tx_pb2.MsgSend:
    return tx_pb2.MsgSend(from_address=sender, to_address=recipient, amount=amount.to_pb())


def multi_send_msg(sender: str, outputs: Sequence[tuple[str, Coins]]) -> tx_pb2.MsgMultiSend:
    """One input from sender paying every (recipient, amount) output: the input is their sum."""
    total = Coins()
    for _, amount in outputs:
        total = total + amount
    return tx_pb2.MsgMultiSend(
        inputs=[bank_pb2.Input(address=sender, coins=total.to_pb())],
        outputs=[
            bank_pb2.Output(address=recipient, coins=amount.to_pb())
            for recipient, amount in outputs
        ],
    )
