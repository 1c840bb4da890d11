"""The configured CometBFT nodes, used one at a time, moving to the next when one fails."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from chain.rpc import CometRpc, RpcError

log = logging.getLogger("provider")
ResultT = TypeVar("ResultT")


class NodesUnreachable(RpcError):
    """Every configured node failed the same call, even after retries."""


class NodePool:
    """Round-robin failover over the nodes: a call that cannot reach one tries the next.

    Only connection failures fail over; an answer with an error (a refused query) is the
    chain's answer and is raised to the caller as RpcError.
    """

    def __init__(self, urls: Sequence[str], timeout: float = 5.0) -> None:
        self.clients = [CometRpc(url, timeout=timeout) for url in urls]
        self._current = 0

    @property
    def rpc(self) -> CometRpc:
        """The node in use now."""
        return self.clients[self._current]

    def fail_over(self, reason: str) -> CometRpc:
        """Move to the next node (after the current one failed for reason)."""
        failed = self.rpc.url
        self._current = (self._current + 1) % len(self.clients)
        if len(self.clients) > 1:
            log.warning("node %s failed (%s); switching to %s", failed, reason, self.rpc.url)
        return self.rpc

    def call(
        self,
        operation: Callable[[CometRpc], ResultT],
        rounds: int = 3,
        backoff: float = 0.5,
    ) -> ResultT:
        """operation on the current node, failing over on connection errors; after rounds
        passes over every node (sleeping backoff, doubled each pass) raises NodesUnreachable."""
        last = ""
        for round_number in range(rounds):
            for _ in self.clients:
                try:
                    return operation(self.rpc)
                except RpcError as error:
                    if not unreachable(error):
                        raise
                    last = str(error)
                    self.fail_over(last)
            if round_number + 1 < rounds:
                time.sleep(backoff * 2**round_number)
        raise NodesUnreachable(f"no configured node answers: {last}")


def unreachable(error: RpcError) -> bool:
    """Whether error means the node could not be reached (not that it refused)."""
    return "cannot reach node" in str(error)
