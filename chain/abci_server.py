"""The ABCI 2.0 socket server: CometBFT's framing and dispatch, nothing else.

Each frame is an unsigned varint length followed by a serialized `Request`; responses
go back in order on the same connection, and CometBFT sends `Flush` when it wants them.
CometBFT opens four connections (consensus, mempool, query, snapshot). Consensus work
runs on one worker thread, CheckTx on another and queries on a third, so the event loop
only moves frames: a slow FinalizeBlock never stalls CheckTx or Query, and a flood of
CheckTx never delays the consensus connection's next request.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from google.protobuf.message import DecodeError

from chain.app import Application
from chain.pb.tendermint.abci import types_pb2 as abci

log = logging.getLogger("gpuchain.abci")

MAX_FRAME_BYTES = 128 * 1024 * 1024
READ_CHUNK_BYTES = 256 * 1024
_VARINT_MAX_BYTES = 10


class FrameError(Exception):
    """The peer sent bytes that are not a valid ABCI frame."""


def encode_frame(message: Any) -> bytes:
    body: bytes = message.SerializeToString()
    length = len(body)
    prefix = bytearray()
    while True:
        byte = length & 0x7F
        length >>= 7
        if length:
            prefix.append(byte | 0x80)
        else:
            prefix.append(byte)
            return bytes(prefix) + body


class FrameReader:
    """Splits a connection's byte stream into ABCI frames, reading in large chunks.

    CometBFT pipelines many requests per write (a mempool burst of CheckTx), so one read
    usually yields many frames; `buffered()` says whether another frame is already here.
    """

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader
        self._buffer = bytearray()
        self._position = 0

    def _next_buffered(self) -> bytes | None:
        """The next complete frame in the buffer, or None if it is not all here yet."""
        length = 0
        index = self._position
        for shift in range(0, 7 * _VARINT_MAX_BYTES, 7):
            if index >= len(self._buffer):
                return None
            byte = self._buffer[index]
            index += 1
            length |= (byte & 0x7F) << shift
            if not byte & 0x80:
                break
        else:
            raise FrameError("frame length varint is too long")
        if length > MAX_FRAME_BYTES:
            raise FrameError(f"frame of {length} bytes exceeds the {MAX_FRAME_BYTES}-byte limit")
        if index + length > len(self._buffer):
            return None
        self._position = index + length
        return bytes(self._buffer[index : self._position])

    def buffered(self) -> bool:
        """Whether a whole frame is waiting, so answering can wait for it too."""
        position = self._position
        try:
            found = self._next_buffered() is not None
        finally:
            self._position = position
        return found

    async def next(self) -> bytes | None:
        """The next frame's body, or None at a clean end of stream."""
        while True:
            frame = self._next_buffered()
            if frame is not None:
                return frame
            del self._buffer[: self._position]
            self._position = 0
            chunk = await self._reader.read(READ_CHUNK_BYTES)
            if not chunk:
                if self._buffer:
                    raise FrameError("connection closed inside a frame")
                return None
            self._buffer += chunk


class AbciServer:
    """Serves one Application to CometBFT over a unix socket or loopback TCP."""

    def __init__(self, app: Application) -> None:
        self.app = app
        self._consensus = ThreadPoolExecutor(1, thread_name_prefix="abci-consensus")
        self._mempool = ThreadPoolExecutor(1, thread_name_prefix="abci-mempool")
        self._queries = ThreadPoolExecutor(1, thread_name_prefix="abci-query")
        self._server: asyncio.AbstractServer | None = None
        self.connection_failures = 0
        self._connections: set[asyncio.Task[None]] = set()
        self._handlers: dict[str, tuple[Callable[[Any], Any], str, ThreadPoolExecutor | None]] = {
            "info": (app.info, "info", None),
            "init_chain": (app.init_chain, "init_chain", self._consensus),
            "prepare_proposal": (app.prepare_proposal, "prepare_proposal", self._consensus),
            "process_proposal": (app.process_proposal, "process_proposal", self._consensus),
            "finalize_block": (app.finalize_block, "finalize_block", self._consensus),
            "commit": (lambda _request: app.commit(), "commit", self._consensus),
            "query": (app.query, "query", self._queries),
            "extend_vote": (lambda _r: abci.ResponseExtendVote(), "extend_vote", None),
            "verify_vote_extension": (
                lambda _r: abci.ResponseVerifyVoteExtension(
                    status=abci.ResponseVerifyVoteExtension.ACCEPT
                ),
                "verify_vote_extension",
                None,
            ),
            "list_snapshots": (lambda _r: abci.ResponseListSnapshots(), "list_snapshots", None),
            "offer_snapshot": (
                lambda _r: abci.ResponseOfferSnapshot(result=abci.ResponseOfferSnapshot.REJECT),
                "offer_snapshot",
                None,
            ),
            "load_snapshot_chunk": (
                lambda _r: abci.ResponseLoadSnapshotChunk(),
                "load_snapshot_chunk",
                None,
            ),
            "apply_snapshot_chunk": (
                lambda _r: abci.ResponseApplySnapshotChunk(
                    result=abci.ResponseApplySnapshotChunk.ABORT
                ),
                "apply_snapshot_chunk",
                None,
            ),
        }

    async def start(self, address: str) -> None:
        """Listen on `unix:///path` or `tcp://127.0.0.1:port`."""
        if address.startswith("unix://"):
            path = Path(address.removeprefix("unix://"))
            if path.exists():
                path.unlink()
            self._server = await asyncio.start_unix_server(self._serve, path=str(path))
            os.chmod(path, 0o600)
        elif address.startswith("tcp://"):
            host, _, port = address.removeprefix("tcp://").rpartition(":")
            self._server = await asyncio.start_server(self._serve, host=host, port=int(port))
        else:
            raise ValueError(f"ABCI address {address!r} must start with unix:// or tcp://")
        log.info("ABCI server listening on %s", address)

    async def close(self) -> None:
        """Stop listening, give open connections a moment to end, then drop them."""
        if self._server is not None:
            self._server.close()
        if self._connections:
            _, still_open = await asyncio.wait(self._connections, timeout=5)
            for task in still_open:
                task.cancel()
            await asyncio.gather(*still_open, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
        for executor in (self._consensus, self._mempool, self._queries):
            executor.shutdown(wait=True)

    def _check_all(self, requests: list[abci.RequestCheckTx]) -> list[abci.Response]:
        """CheckTx of a pipelined batch, in order, on the mempool thread."""
        try:
            return [abci.Response(check_tx=answer) for answer in self.app.check_batch(requests)]
        except Exception as error:
            return [_exception_response("check_tx", error)] * len(requests)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
            task.add_done_callback(self._connections.discard)
        loop = asyncio.get_running_loop()
        frames = FrameReader(reader)
        answers: list[bytes] = []
        waiting: abci.Request | None = None  # read ahead while batching CheckTx
        try:
            while True:
                if waiting is not None:
                    request, waiting = waiting, None
                else:
                    if answers and not frames.buffered():
                        # Answer a pipelined burst in one write, before waiting for more input.
                        writer.write(b"".join(answers))
                        answers.clear()
                    body = await frames.next()
                    if body is None:
                        return
                    request = _parse_request(body)
                kind = request.WhichOneof("value")
                if kind == "flush":
                    answers.append(encode_frame(abci.Response(flush=abci.ResponseFlush())))
                    writer.write(b"".join(answers))
                    answers.clear()
                    await writer.drain()
                    continue
                if kind == "check_tx":
                    # CometBFT pipelines CheckTx: every one already here goes to the mempool
                    # thread in one hand-off, not one thread round trip (and GIL hand-off)
                    # per tx. Responses keep the requests' order.
                    batch = [request.check_tx]
                    while frames.buffered():
                        following = _parse_request(await frames.next() or b"")
                        if following.WhichOneof("value") != "check_tx":
                            waiting = following
                            break
                        batch.append(following.check_tx)
                    checked = await loop.run_in_executor(self._mempool, self._check_all, batch)
                    answers.extend(encode_frame(answer) for answer in checked)
                    continue
                if kind == "echo":
                    response = abci.Response(echo=abci.ResponseEcho(message=request.echo.message))
                elif kind in self._handlers:
                    handler, field, executor = self._handlers[kind]
                    argument = getattr(request, kind)
                    try:
                        if executor is None:
                            result = handler(argument)
                        else:
                            result = await loop.run_in_executor(executor, handler, argument)
                    except Exception as error:
                        response = _exception_response(kind, error)
                    else:
                        response = abci.Response(**{field: result})
                else:
                    raise FrameError(f"unsupported ABCI request {kind!r}")
                answers.append(encode_frame(response))
        except FrameError as error:
            self.connection_failures += 1
            log.error("closing ABCI connection: %s", error)
        except (ConnectionResetError, BrokenPipeError):
            log.info("ABCI connection closed by peer")
        except asyncio.CancelledError:
            log.info("ABCI connection dropped at shutdown")
        finally:
            writer.close()


def _parse_request(body: bytes) -> abci.Request:
    request = abci.Request()
    try:
        request.ParseFromString(body)
    except DecodeError as error:
        raise FrameError(f"frame is not an ABCI Request ({error})") from None
    return request


def _exception_response(kind: str, error: Exception) -> abci.Response:
    """CometBFT halts on an exception response: the right outcome for a broken invariant or
    unreadable genesis, never silent divergence."""
    log.exception("ABCI %s failed", kind)
    return abci.Response(exception=abci.ResponseException(error=str(error)))
