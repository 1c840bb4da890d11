"""Follow the chain block by block, so that no event is ever missed or handled twice.

The CometBFT websocket (`/websocket`, subscribed to NewBlock) only says *when* to look;
what a block did is always read by height from `/block_results`, from the last processed
height + 1 up to the node's latest. A dropped socket, a restarted node or a restarted
daemon therefore leaves no gap: the next catch-up reads every block in between. A socket
that stays silent longer than `poll_seconds` triggers a catch-up too, and a node that
cannot be reached is left for the next configured one.

Each block is handled inside one State transaction together with its height, so a block
is either fully handled and recorded, or (after a crash or an RPC error mid-block) handled
again from scratch.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from websockets.exceptions import WebSocketException
from websockets.sync.client import ClientConnection, connect

from chain.rpc import CometRpc, RpcError
from provider.nodes import NodePool, NodesUnreachable
from provider.state import State

log = logging.getLogger("provider")

NEW_BLOCK_QUERY = "tm.event='NewBlock'"


@dataclass(frozen=True)
class Event:
    type: str
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Block:
    """What one committed block did: the events of its successful txs, then its
    finalize-block events (begin/end-block work such as matching), in order."""

    height: int
    events: tuple[Event, ...]

    def of_type(self, *types: str) -> list[Event]:
        return [event for event in self.events if event.type in types]


def read_block(rpc: CometRpc, height: int) -> Block:
    """The events of block height from /block_results; RpcError when unavailable."""
    result = rpc.call("block_results", height=str(height))
    events: list[Event] = []
    for tx_result in result.get("txs_results") or []:
        if int(tx_result.get("code") or 0) == 0:
            events.extend(_events(tx_result.get("events")))
    events.extend(_events(result.get("finalize_block_events")))
    return Block(height, tuple(events))


def _events(raw: list[dict[str, object]] | None) -> list[Event]:
    events = []
    for event in raw or []:
        attributes = {
            str(item.get("key")): str(item.get("value") or "")
            for item in event.get("attributes") or []  # type: ignore[attr-defined]
        }
        events.append(Event(str(event.get("type")), attributes))
    return events


class Follower:
    """Calls handle(block) once for every block after the processed height, in order,
    inside the block's State transaction, then after() once it has committed."""

    def __init__(
        self,
        nodes: NodePool,
        state: State,
        handle: Callable[[Block], None],
        stop: threading.Event,
        poll_seconds: float = 5.0,
        retry_seconds: float = 1.0,
        after: Callable[[], None] = lambda: None,
    ) -> None:
        self.nodes = nodes
        self.state = state
        self.handle = handle
        self.stop = stop
        self.poll_seconds = poll_seconds
        self.retry_seconds = retry_seconds
        self.after = after

    def start_height(self, height: int) -> None:
        """Begin after height when nothing was processed yet (a new provider need not
        read the chain's history: it re-scans open orders instead)."""
        if self.state.processed_height() == 0:
            with self.state.transaction():
                self.state.set_processed_height(height)

    def run(self) -> None:
        """Follow until stop is set; never returns on a node failure, it fails over."""
        while not self.stop.is_set():
            try:
                self.catch_up()
                self._listen()
            except (RpcError, WebSocketException, OSError, TimeoutError) as error:
                if isinstance(error, NodesUnreachable):
                    log.error("%s; retrying in %.0fs", error, self.retry_seconds)
                else:
                    self.nodes.fail_over(str(error) or type(error).__name__)
                self.stop.wait(self.retry_seconds)

    def catch_up(self) -> int:
        """Handle every block up to the node's latest; the last height processed."""
        latest = self.nodes.call(lambda rpc: rpc.latest_height())
        height = self.state.processed_height()
        while height < latest and not self.stop.is_set():
            height += 1
            block = self.nodes.call(lambda rpc, at=height: read_block(rpc, at))  # type: ignore[misc]
            with self.state.transaction():
                self.handle(block)
                self.state.set_processed_height(height)
            self.after()
        return height

    def _listen(self) -> None:
        """Wait on the node's NewBlock notifications, catching up on each (and after each
        quiet poll interval) until stop is set or the socket fails."""
        url = self.nodes.rpc.url.replace("http", "ws", 1) + "/websocket"
        with connect(url, open_timeout=5, close_timeout=1, max_size=2**24) as socket:
            self._subscribe(socket, url)
            while not self.stop.is_set():
                # Quiet for a poll interval: look anyway, a socket can die without closing.
                with contextlib.suppress(TimeoutError):
                    socket.recv(timeout=self.poll_seconds)
                self.catch_up()

    def _subscribe(self, socket: ClientConnection, url: str) -> None:
        params = {"query": NEW_BLOCK_QUERY}
        socket.send(
            json.dumps({"jsonrpc": "2.0", "id": 1, "method": "subscribe", "params": params})
        )
        answer = json.loads(socket.recv(timeout=5))
        if answer.get("error"):
            raise RpcError(f"subscribe at {url}: {answer['error']}")
        log.info("following %s", self.nodes.rpc.url)
