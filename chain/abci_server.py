"""The ABCI 2.0 socket server: CometBFT's framing and dispatch, nothing else.

Each frame is an unsigned varint length followed by a serialized `Request`; responses
go back in order on the same connection, and CometBFT sends `Flush` when it wants them.
CometBFT opens four connections (consensus, mempool, query, snapshot), each served by its
own thread that reads, executes and answers in place: a slow FinalizeBlock never stalls
CheckTx or Query, and a flood of CheckTx never delays the consensus connection.

Why threads and not an event loop: every hop between a loop thread and a worker thread is
a wake-up and a GIL hand-off, and while FinalizeBlock runs each hand-off waits for its turn;
measured under load, CheckTx took ~300 µs of wall time per tx instead of 432, and the node
committed ~19 % more sends (docs/benchmarks.md). A connection thread
reads everything CometBFT has sent (its client pipelines CheckTx, with a Flush after
nearly every request), checks all the CheckTx among it as one batch, and answers with one
write, keeping the requests' order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from google.protobuf.message import DecodeError

from chain.app import Application
from chain.pb.tendermint.abci import types_pb2 as abci

log = logging.getLogger("gpuchain.abci")

MAX_FRAME_BYTES = 128 * 1024 * 1024
READ_CHUNK_BYTES = 256 * 1024
_VARINT_MAX_BYTES = 10
# A thread each: CometBFT opens 4; more can only be a stray or hostile local client.
MAX_CONNECTIONS = 16
# How long `close` lets connections end by themselves (CometBFT closes them as it exits).
CLOSE_GRACE_SECONDS = 5.0


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


_FLUSH_FRAME = encode_frame(abci.Response(flush=abci.ResponseFlush()))


class FrameBuffer:
    """Splits a connection's byte stream into ABCI frames."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, chunk: bytes) -> None:
        self._buffer += chunk

    @property
    def partial(self) -> bool:
        """Whether bytes of an unfinished frame are waiting."""
        return bool(self._buffer)

    def frames(self) -> list[bytes]:
        """Every complete frame received so far, in order; a partial one stays."""
        buffer = self._buffer
        found: list[bytes] = []
        position = 0
        while position < len(buffer):
            length, index, complete = 0, position, False
            for shift in range(0, 7 * _VARINT_MAX_BYTES, 7):
                if index >= len(buffer):
                    break
                byte = buffer[index]
                index += 1
                length |= (byte & 0x7F) << shift
                if not byte & 0x80:
                    complete = True
                    break
            else:
                raise FrameError("frame length varint is too long")
            if not complete:
                break  # the length itself is not all here yet
            if length > MAX_FRAME_BYTES:
                raise FrameError(
                    f"frame of {length} bytes exceeds the {MAX_FRAME_BYTES}-byte limit"
                )
            if index + length > len(buffer):
                break
            found.append(bytes(buffer[index : index + length]))
            position = index + length
        del buffer[:position]
        return found


class AbciServer:
    """Serves one Application to CometBFT over a unix socket or loopback TCP."""

    def __init__(self, app: Application) -> None:
        self.app = app
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._lock = threading.Lock()
        self._closing = False
        self.connection_failures = 0
        self._handlers: dict[str, tuple[Callable[[Any], Any], str]] = {
            "info": (app.info, "info"),
            "init_chain": (app.init_chain, "init_chain"),
            "prepare_proposal": (app.prepare_proposal, "prepare_proposal"),
            "process_proposal": (app.process_proposal, "process_proposal"),
            "finalize_block": (app.finalize_block, "finalize_block"),
            "commit": (lambda _request: app.commit(), "commit"),
            "query": (app.query, "query"),
            "echo": (lambda r: abci.ResponseEcho(message=r.message), "echo"),
            "extend_vote": (lambda _r: abci.ResponseExtendVote(), "extend_vote"),
            "verify_vote_extension": (
                lambda _r: abci.ResponseVerifyVoteExtension(
                    status=abci.ResponseVerifyVoteExtension.ACCEPT
                ),
                "verify_vote_extension",
            ),
            "list_snapshots": (lambda _r: abci.ResponseListSnapshots(), "list_snapshots"),
            "offer_snapshot": (
                lambda _r: abci.ResponseOfferSnapshot(result=abci.ResponseOfferSnapshot.REJECT),
                "offer_snapshot",
            ),
            "load_snapshot_chunk": (
                lambda _r: abci.ResponseLoadSnapshotChunk(),
                "load_snapshot_chunk",
            ),
            "apply_snapshot_chunk": (
                lambda _r: abci.ResponseApplySnapshotChunk(
                    result=abci.ResponseApplySnapshotChunk.ABORT
                ),
                "apply_snapshot_chunk",
            ),
        }

    async def start(self, address: str) -> None:
        """Listen on `unix:///path` or `tcp://127.0.0.1:port`."""
        if address.startswith("unix://"):
            path = Path(address.removeprefix("unix://"))
            if path.exists():
                path.unlink()
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(str(path))
            os.chmod(path, 0o600)
        elif address.startswith("tcp://"):
            host, _, port = address.removeprefix("tcp://").rpartition(":")
            listener = socket.create_server((host, int(port)))
            listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        else:
            raise ValueError(f"ABCI address {address!r} must start with unix:// or tcp://")
        listener.listen()
        self._listener = listener
        self._acceptor = threading.Thread(target=self._accept, name="abci-accept", daemon=True)
        self._acceptor.start()
        log.info("ABCI server listening on %s", address)

    async def close(self) -> None:
        """Stop listening, give open connections a moment to end, then drop them."""
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        self._closing = True
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept(); close may not
            self._listener.close()
        if self._acceptor is not None:
            self._acceptor.join(timeout=CLOSE_GRACE_SECONDS)
        with self._lock:
            open_connections = list(self._connections.items())
        deadline = time.monotonic() + CLOSE_GRACE_SECONDS
        for _, thread in open_connections:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        for connection, thread in open_connections:
            if thread.is_alive():
                log.info("ABCI connection dropped at shutdown")
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
                thread.join(timeout=CLOSE_GRACE_SECONDS)

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._closing:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return  # the listener was closed
            with self._lock:
                full = len(self._connections) >= MAX_CONNECTIONS
                if not full:
                    thread = threading.Thread(
                        target=self._serve, args=(connection,), name="abci-connection", daemon=True
                    )
                    self._connections[connection] = thread
            if full:
                log.warning(
                    "refusing an ABCI connection: %d are open already (CometBFT opens 4)",
                    MAX_CONNECTIONS,
                )
                connection.close()
                continue
            thread.start()

    def _serve(self, connection: socket.socket) -> None:
        """Read, answer everything complete, write the answers in one go; until EOF."""
        frames = FrameBuffer()
        try:
            while True:
                chunk = connection.recv(READ_CHUNK_BYTES)
                if not chunk:
                    if frames.partial:
                        raise FrameError("connection closed inside a frame")
                    return
                frames.feed(chunk)
                requests = [_parse_request(body) for body in frames.frames()]
                if requests:
                    connection.sendall(b"".join(self._answer(requests)))
        except FrameError as error:
            self.connection_failures += 1
            log.error("closing ABCI connection: %s", error)
        except (ConnectionResetError, BrokenPipeError):
            log.info("ABCI connection closed by peer")
        except OSError as error:
            if not self._closing:
                log.info("ABCI connection ended: %s", error)
        finally:
            with self._lock:
                self._connections.pop(connection, None)
            connection.close()

    def _answer(self, requests: list[abci.Request]) -> list[bytes]:
        """The response frames to requests, in order. The CheckTx among them (with the
        Flushes between them) are checked as one batch."""
        answers: list[bytes] = []
        checks: list[abci.RequestCheckTx] = []
        flushes_after: list[int] = []  # for each Flush in the batch: checks before it
        for request in requests:
            kind = request.WhichOneof("value")
            if kind == "check_tx":
                checks.append(request.check_tx)
                continue
            if kind == "flush":
                if checks:
                    flushes_after.append(len(checks))
                else:
                    answers.append(_FLUSH_FRAME)
                continue
            if checks:
                answers.extend(self._check_all(checks, flushes_after))
                checks, flushes_after = [], []
            answers.append(self._handle(kind, getattr(request, kind) if kind else None))
        if checks:
            answers.extend(self._check_all(checks, flushes_after))
        return answers

    def _check_all(
        self, requests: list[abci.RequestCheckTx], flushes_after: list[int]
    ) -> list[bytes]:
        """CheckTx of a pipelined batch, in order, with each Flush answered in its place."""
        try:
            checked = [abci.Response(check_tx=answer) for answer in self.app.check_batch(requests)]
        except Exception as error:
            checked = [_exception_response("check_tx", error)] * len(requests)
        frames = [encode_frame(answer) for answer in checked]
        for position in reversed(flushes_after):
            frames.insert(position, _FLUSH_FRAME)
        return frames

    def _handle(self, kind: str | None, argument: Any) -> bytes:
        if kind is None or kind not in self._handlers:
            raise FrameError(f"unsupported ABCI request {kind!r}")
        handler, field = self._handlers[kind]
        try:
            response = abci.Response(**{field: handler(argument)})
        except Exception as error:
            response = _exception_response(kind, error)
        return encode_frame(response)


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
