"""Wires echo into the app: one message (MsgSay), one query (Said), one prefix, its CLI."""

from __future__ import annotations

from typing import Any

from chain.context import Context
from chain.errors import INVALID_REQUEST
from chain.module import Module, ModuleCommands, MsgRoute, QueryRoute
from chain.msgs import account_address
from chain.store import KVStore
from x.echo import types

STORE_PREFIX = b"\x7e"
MAX_TEXT_BYTES = 100


def validate_say(msg: Any) -> None:
    """Raises INVALID_ADDRESS (sender) and INVALID_REQUEST (empty or too long text)."""
    account_address(msg.sender, "sender")
    if not msg.text or len(msg.text.encode()) > MAX_TEXT_BYTES:
        raise INVALID_REQUEST(f"text must be 1 to {MAX_TEXT_BYTES} bytes")


def handle_say(ctx: Context, msg: Any) -> Any:
    ctx.store.set(STORE_PREFIX + account_address(msg.sender, "sender"), msg.text.encode())
    ctx.emit("echo", ("sender", msg.sender), ("text", msg.text))
    return types.MsgSayResponse()


def said(store: KVStore, request: Any) -> Any:
    text = store.get(STORE_PREFIX + account_address(request.address, "address")) or b""
    return types.QuerySaidResponse(text=text.decode())


class EchoModule(Module):
    name = "echo"
    store_prefix = STORE_PREFIX

    def msg_routes(self) -> list[MsgRoute]:
        return [MsgRoute(types.MsgSay, validate_say, lambda msg: msg.sender, handle_say, self.name)]

    def query_routes(self) -> list[QueryRoute]:
        return [QueryRoute(types.SAID_PATH, types.QuerySaidRequest, types.QuerySaidResponse, said)]

    def commands(self) -> ModuleCommands:
        from x.echo import cli

        return cli
