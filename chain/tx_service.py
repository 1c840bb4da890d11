"""cosmos.tx.v1beta1.Service over the node's own CometBFT: broadcast a tx, read one back,
search by events. Served by gRPC and the REST API (not by ABCI Query: CometBFT's own RPC
already broadcasts and searches there).

Cosmos wallets (cosmpy, CosmJS through the REST API) broadcast through this service; the
answers carry what Cosmos's do: the CheckTx result, or the committed result with its
block time, events and the decoded tx.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from google.protobuf import any_pb2
from google.protobuf.message import DecodeError

from chain.errors import INVALID_REQUEST, KEY_NOT_FOUND, TX_DECODE
from chain.module import QueryRoute
from chain.pb.cosmos.base.abci.v1beta1 import abci_pb2 as cosmos_abci_pb2
from chain.pb.cosmos.base.query.v1beta1 import pagination_pb2
from chain.pb.cosmos.tx.v1beta1 import service_pb2, tx_pb2
from chain.pb.tendermint.abci import types_pb2 as abci
from chain.rpc import CometRpc, RpcError
from chain.store import KVStore
from chain.tx import tx_hash

SERVICE = "/cosmos.tx.v1beta1.Service/"
MAX_TXS_PER_PAGE = 100
TX_TYPE_URL = "/" + tx_pb2.Tx.DESCRIPTOR.full_name


def call_node(rpc: CometRpc, method: str, **params: Any) -> dict[str, Any]:
    """A CometBFT RPC call for a query service; raises INVALID_REQUEST when the node does not
    answer it (an unknown hash, a height not kept)."""
    try:
        result: dict[str, Any] = rpc.call(method, **params)
    except RpcError as error:
        raise INVALID_REQUEST(str(error)) from None
    return result


class TxService:
    """The Service's node-side methods, answered through the node's CometBFT RPC."""

    def __init__(self, rpc: CometRpc) -> None:
        self._rpc = rpc

    def routes(self) -> list[QueryRoute]:
        return [
            QueryRoute(
                SERVICE + "BroadcastTx",
                service_pb2.BroadcastTxRequest,
                service_pb2.BroadcastTxResponse,
                self.broadcast_tx,
            ),
            QueryRoute(
                SERVICE + "GetTx", service_pb2.GetTxRequest, service_pb2.GetTxResponse, self.get_tx
            ),
            QueryRoute(
                SERVICE + "GetTxsEvent",
                service_pb2.GetTxsEventRequest,
                service_pb2.GetTxsEventResponse,
                self.get_txs_event,
            ),
        ]

    def broadcast_tx(
        self, _: KVStore, request: service_pb2.BroadcastTxRequest
    ) -> service_pb2.BroadcastTxResponse:
        """Hand the tx to CometBFT's mempool; sync mode answers with CheckTx's verdict.

        Raises INVALID_REQUEST for an empty tx or a mode other than sync/async.
        """
        if not request.tx_bytes:
            raise INVALID_REQUEST("tx_bytes is empty")
        methods = {
            service_pb2.BROADCAST_MODE_SYNC: "broadcast_tx_sync",
            service_pb2.BROADCAST_MODE_ASYNC: "broadcast_tx_async",
        }
        method = methods.get(request.mode)
        if method is None:
            raise INVALID_REQUEST(
                f"broadcast mode {service_pb2.BroadcastMode.Name(request.mode)} is not "
                "supported: use BROADCAST_MODE_SYNC or BROADCAST_MODE_ASYNC"
            )
        result = self._call(method, tx=base64.b64encode(request.tx_bytes).decode())
        return service_pb2.BroadcastTxResponse(
            tx_response=cosmos_abci_pb2.TxResponse(
                txhash=str(result.get("hash") or tx_hash(request.tx_bytes)).upper(),
                code=int(result.get("code") or 0),
                codespace=str(result.get("codespace") or ""),
                raw_log=str(result.get("log") or ""),
                data=str(result.get("data") or ""),
            )
        )

    def get_tx(self, _: KVStore, request: service_pb2.GetTxRequest) -> service_pb2.GetTxResponse:
        """A committed tx by its hex hash. Raises INVALID_REQUEST, KEY_NOT_FOUND."""
        try:
            digest = bytes.fromhex(request.hash)
        except ValueError:
            raise INVALID_REQUEST(f"tx hash {request.hash!r} is not hex") from None
        if len(digest) != 32:
            raise INVALID_REQUEST(f"tx hash is {len(digest)} bytes, expected 32")
        try:
            found = self._rpc.call("tx", hash=base64.b64encode(digest).decode(), prove=False)
        except RpcError as error:
            if "not found" in str(error):
                raise KEY_NOT_FOUND(f"tx {request.hash.upper()} not found") from None
            raise INVALID_REQUEST(str(error)) from None
        response = self._tx_response(found, self._block_time(int(found["height"])))
        return service_pb2.GetTxResponse(tx=_decoded(found["tx"]), tx_response=response)

    def get_txs_event(
        self, _: KVStore, request: service_pb2.GetTxsEventRequest
    ) -> service_pb2.GetTxsEventResponse:
        """Committed txs matching a CometBFT event query (`message.sender='gpu1…'`).

        Raises INVALID_REQUEST for an empty query or a page size over MAX_TXS_PER_PAGE.
        """
        query = request.query or " AND ".join(request.events)
        if not query:
            raise INVALID_REQUEST("query is empty (e.g. message.sender='gpu1…')")
        limit = request.limit or MAX_TXS_PER_PAGE
        if limit > MAX_TXS_PER_PAGE:
            raise INVALID_REQUEST(f"limit {limit} is over the maximum {MAX_TXS_PER_PAGE}")
        page = max(request.page, 1)
        order = "desc" if request.order_by == service_pb2.ORDER_BY_DESC else "asc"
        found = self._call(
            "tx_search", query=query, page=str(page), per_page=str(limit), order_by=order
        )
        results = found.get("txs") or []
        total = int(found.get("total_count") or 0)
        # A page's txs share few blocks: each block's time is read once.
        times = {height: self._block_time(height) for height in {int(i["height"]) for i in results}}
        return service_pb2.GetTxsEventResponse(
            txs=[_decoded(item["tx"]) for item in results],
            tx_responses=[self._tx_response(item, times[int(item["height"])]) for item in results],
            pagination=pagination_pb2.PageResponse(total=total),
            total=total,
        )

    def _call(self, method: str, **params: Any) -> dict[str, Any]:
        return call_node(self._rpc, method, **params)

    def _block_time(self, height: int) -> str:
        """The RFC 3339 time in the header of the block at height (a TxResponse's timestamp)."""
        return str(self._call("header", height=str(height))["header"]["time"])

    @staticmethod
    def _tx_response(found: dict[str, Any], block_time: str) -> cosmos_abci_pb2.TxResponse:
        result = found["tx_result"]
        return cosmos_abci_pb2.TxResponse(
            height=int(found["height"]),
            txhash=str(found["hash"]).upper(),
            codespace=str(result.get("codespace") or ""),
            code=int(result.get("code") or 0),
            data=base64.b64decode(result.get("data") or "").hex().upper(),
            raw_log=str(result.get("log") or ""),
            info=str(result.get("info") or ""),
            gas_wanted=int(result.get("gas_wanted") or 0),
            gas_used=int(result.get("gas_used") or 0),
            tx=any_pb2.Any(type_url=TX_TYPE_URL, value=base64.b64decode(found["tx"])),
            timestamp=block_time,
            events=[_event(event) for event in result.get("events") or []],
        )


def _decoded(encoded: str) -> tx_pb2.Tx:
    try:
        return tx_pb2.Tx.FromString(base64.b64decode(encoded))
    except (DecodeError, binascii.Error) as error:
        raise TX_DECODE(f"a committed tx does not decode ({error})") from None


def _event(event: dict[str, Any]) -> abci.Event:
    return abci.Event(
        type=str(event["type"]),
        attributes=[
            abci.EventAttribute(
                key=str(item.get("key") or ""),
                value=str(item.get("value") or ""),
                index=bool(item.get("index")),
            )
            for item in event.get("attributes") or []
        ],
    )
