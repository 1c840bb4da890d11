"""A small client for CometBFT's JSON-RPC (the `--node` address), over loopback HTTP."""

from __future__ import annotations

import base64
import binascii
import json
import time
import urllib.error
import urllib.request
from typing import Any, TypeVar

from google.protobuf.message import DecodeError, Message

MessageT = TypeVar("MessageT", bound=Message)


class RpcError(Exception):
    """The node could not be reached or answered with an error."""


class CometRpc:
    def __init__(self, node: str, timeout: float = 10.0) -> None:
        self.url = node.replace("tcp://", "http://", 1).rstrip("/")
        if not self.url.startswith("http"):
            self.url = "http://" + self.url
        self.timeout = timeout

    def call(self, method: str, **params: Any) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
        request = urllib.request.Request(
            self.url, data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                reply = json.loads(response.read())
        except urllib.error.HTTPError as error:
            try:
                reply = json.loads(error.read())
            except ValueError:
                raise RpcError(f"{method}: HTTP {error.code} from {self.url}") from None
        except (urllib.error.URLError, OSError) as error:
            raise RpcError(f"cannot reach node at {self.url}: {error}") from None
        if reply.get("error"):
            problem = reply["error"]
            raise RpcError(f"{method}: {problem.get('data') or problem.get('message')}")
        return reply["result"]

    def status(self) -> dict[str, Any]:
        result: dict[str, Any] = self.call("status")
        return result

    def latest_height(self) -> int:
        return int(self.status()["sync_info"]["latest_block_height"])

    def broadcast_tx_sync(self, raw: bytes) -> dict[str, Any]:
        result: dict[str, Any] = self.call("broadcast_tx_sync", tx=base64.b64encode(raw).decode())
        return result

    def tx(self, tx_hash: str) -> dict[str, Any]:
        result: dict[str, Any] = self.call(
            "tx", hash=base64.b64encode(bytes.fromhex(tx_hash)).decode(), prove=False
        )
        return result

    def wait_for_tx(self, tx_hash: str, timeout: float = 30.0) -> dict[str, Any]:
        """Poll until the tx is in a committed block; RpcError after timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.tx(tx_hash)
            except RpcError as error:
                if "not found" not in str(error):
                    raise
                if time.monotonic() > deadline:
                    raise RpcError(f"tx {tx_hash} not included within {timeout:.0f}s") from None
            time.sleep(0.2)

    def tx_search(self, query: str, page: int = 1, per_page: int = 30) -> dict[str, Any]:
        result: dict[str, Any] = self.call(
            "tx_search", query=query, page=str(page), per_page=str(per_page), order_by="asc"
        )
        return result

    def block(self, height: int | None = None) -> dict[str, Any]:
        params = {"height": str(height)} if height else {}
        result: dict[str, Any] = self.call("block", **params)
        return result

    def abci_query(
        self, path: str, data: bytes, height: int = 0, prove: bool = False
    ) -> dict[str, Any]:
        result: dict[str, Any] = self.call(
            "abci_query", path=path, data=data.hex(), height=str(height), prove=prove
        )
        response: dict[str, Any] = result["response"]
        return response

    def query_message(self, path: str, request: Message, response: MessageT) -> MessageT:
        """Run a gRPC-style ABCI query and parse its answer into response.

        Raises RpcError when the node is unreachable, answers with a non-zero code (the
        message carries the codespace, code and the app's log) or with bytes that do not parse.
        """
        result = self.abci_query(path, request.SerializeToString())
        code = int(result.get("code") or 0)
        if code != 0:
            raise RpcError(
                f"query {path} failed ({result.get('codespace') or 'sdk'}/{code}): "
                f"{result.get('log') or 'no log'}"
            )
        try:
            response.ParseFromString(base64.b64decode(result.get("value") or ""))
        except (DecodeError, binascii.Error) as error:
            raise RpcError(
                f"query {path}: the node's answer is not valid protobuf ({error})"
            ) from None
        return response

    def wait_for_height(self, height: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.latest_height() < height:
            if time.monotonic() > deadline:
                raise RpcError(f"height {height} not reached within {timeout:.0f}s")
            time.sleep(0.1)
