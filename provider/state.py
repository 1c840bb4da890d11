"""The daemon's own memory, an SQLite database in the data dir, so a restart resumes exactly.

It holds the last block processed, every bid decision with its reason, the resources
reserved for bids and leases, the transactions sent but not yet seen in a block, and the
leases the provider holds. A block's effects are written in one transaction with its
height (`State.transaction`), so a crash leaves either all of a block or none of it: on
restart the block is processed again and finds its orders already decided (no second bid)
and its resources already reserved (no double booking).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.protobuf import any_pb2, descriptor_pool
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

from chain.pb.cosmos.tx.v1beta1 import tx_pb2
from chain.tx import type_url_of

DATABASE_FILE = "provider.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS decisions (
    order_key TEXT PRIMARY KEY,   -- owner/dseq/gseq/oseq
    owner TEXT NOT NULL, dseq INTEGER NOT NULL, gseq INTEGER NOT NULL, oseq INTEGER NOT NULL,
    height INTEGER NOT NULL,      -- the block the decision was taken at
    bid INTEGER NOT NULL,         -- 1: bid, 0: skipped
    reason TEXT NOT NULL,         -- why not (a skip reason code), or "bid"
    detail TEXT NOT NULL,         -- the exact reason, for `explain`
    price TEXT NOT NULL           -- the bid's price per block ("" when skipped)
);
CREATE INDEX IF NOT EXISTS decisions_by_deployment ON decisions (dseq, owner, gseq, oseq);
CREATE TABLE IF NOT EXISTS reservations (
    order_key TEXT PRIMARY KEY,
    cpu_millis INTEGER NOT NULL, memory INTEGER NOT NULL, storage INTEGER NOT NULL,
    gpus TEXT NOT NULL,           -- JSON list of GPU UUIDs held
    state TEXT NOT NULL           -- bid (waiting for the match) or leased
);
CREATE TABLE IF NOT EXISTS pending_txs (
    purpose TEXT PRIMARY KEY,     -- what the tx does, e.g. bid:owner/dseq/gseq/oseq
    hash TEXT NOT NULL,
    raw BLOB NOT NULL,
    sequence INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    purpose TEXT PRIMARY KEY,     -- a tx decided on while handling a block, not yet sent
    messages BLOB NOT NULL,       -- a TxBody holding the messages
    height INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS done_txs (purpose TEXT PRIMARY KEY, hash TEXT NOT NULL,
    height INTEGER NOT NULL, code INTEGER NOT NULL, log TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS leases (
    lease_key TEXT PRIMARY KEY,   -- owner/dseq/gseq/oseq/provider
    state TEXT NOT NULL,          -- active or closed
    won_height INTEGER NOT NULL,
    manifest INTEGER NOT NULL,    -- 1 once the manifest was deployed
    last_report_height INTEGER NOT NULL,
    last_withdraw_height INTEGER NOT NULL,
    won_at REAL NOT NULL          -- when it was won (wall clock); 0: no manifest is awaited
);
"""


@dataclass(frozen=True)
class Decision:
    order_key: str
    height: int
    bid: bool
    reason: str
    detail: str
    price: str

    @property
    def gseq(self) -> int:
        return int(self.order_key.split("/")[2])

    @property
    def oseq(self) -> int:
        return int(self.order_key.split("/")[3])


@dataclass(frozen=True)
class Reservation:
    order_key: str
    cpu_millis: int
    memory: int
    storage: int
    gpus: tuple[str, ...]
    state: str


@dataclass(frozen=True)
class Reserved:
    """What all reservations hold together."""

    cpu_millis: int
    memory: int
    storage: int
    gpus: frozenset[str]


@dataclass(frozen=True)
class PendingTx:
    purpose: str
    hash: str
    raw: bytes
    sequence: int


@dataclass(frozen=True)
class Lease:
    lease_key: str
    state: str
    won_height: int
    manifest: bool
    last_report_height: int
    last_withdraw_height: int
    won_at: float


class State:
    """One open SQLite database; every write happens inside `transaction()`."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are begun and ended explicitly below.
        self._db = sqlite3.connect(
            data_dir / DATABASE_FILE, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._depth = 0
        self._lock = threading.RLock()  # the gateway's thread writes too (manifests)

    def close(self) -> None:
        self._db.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all; nesting joins the outer one."""
        with self._lock:
            yield from self._transaction()

    def _transaction(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")
        finally:
            self._depth = 0

    def _write(self, sql: str, parameters: tuple[object, ...]) -> None:
        if not self._depth:
            raise RuntimeError("State writes happen inside State.transaction()")
        self._db.execute(sql, parameters)

    def _read(self, sql: str, parameters: tuple[object, ...] = ()) -> _Fetched:
        """A query's rows, read under the lock (the gateway and the GPU meter read from
        their own threads)."""
        with self._lock:
            return _Fetched(self._db.execute(sql, parameters).fetchall())

    # --- processed height ---------------------------------------------------------------

    def processed_height(self) -> int:
        """The last block whose events were fully handled (0: none yet)."""
        row = self._read("SELECT value FROM meta WHERE name='processed_height'").fetchone()
        return int(row[0]) if row else 0

    def set_processed_height(self, height: int) -> None:
        self._write(
            "INSERT INTO meta VALUES ('processed_height', ?) "
            "ON CONFLICT(name) DO UPDATE SET value=excluded.value",
            (str(height),),
        )

    # --- decisions ----------------------------------------------------------------------

    def decision(self, order_key: str) -> Decision | None:
        row = self._read(
            "SELECT order_key, height, bid, reason, detail, price FROM decisions WHERE order_key=?",
            (order_key,),
        ).fetchone()
        return _decision(row) if row else None

    def decisions_for_deployment(self, dseq: int) -> list[Decision]:
        rows = self._read(
            "SELECT order_key, height, bid, reason, detail, price FROM decisions "
            "WHERE dseq=? ORDER BY owner, gseq, oseq",
            (dseq,),
        ).fetchall()
        return [_decision(row) for row in rows]

    def record_decision(self, decision: Decision) -> None:
        owner, dseq, gseq, oseq = decision.order_key.split("/")
        self._write(
            "INSERT OR REPLACE INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                decision.order_key,
                owner,
                int(dseq),
                int(gseq),
                int(oseq),
                decision.height,
                int(decision.bid),
                decision.reason,
                decision.detail,
                decision.price,
            ),
        )

    def forget_decision(self, order_key: str) -> None:
        """Drop a skip so the order is decided afresh (it re-opened without bids)."""
        self._write("DELETE FROM decisions WHERE order_key=?", (order_key,))

    # --- reservations -------------------------------------------------------------------

    def reservations(self) -> list[Reservation]:
        rows = self._read(
            "SELECT order_key, cpu_millis, memory, storage, gpus, state FROM reservations "
            "ORDER BY order_key"
        ).fetchall()
        return [Reservation(r[0], r[1], r[2], r[3], tuple(json.loads(r[4])), r[5]) for r in rows]

    def reserved(self) -> Reserved:
        """The sum of every reservation (one aggregate query: cheap with many bids open)."""
        cpu, memory, storage = self._read(
            "SELECT COALESCE(SUM(cpu_millis), 0), COALESCE(SUM(memory), 0), "
            "COALESCE(SUM(storage), 0) FROM reservations"
        ).fetchone()
        rows = self._read("SELECT gpus FROM reservations WHERE gpus != '[]'").fetchall()
        gpus = frozenset(uuid for row in rows for uuid in json.loads(row[0]))
        return Reserved(cpu, memory, storage, gpus)

    def reserve(self, reservation: Reservation) -> None:
        self._write(
            "INSERT OR REPLACE INTO reservations VALUES (?, ?, ?, ?, ?, ?)",
            (
                reservation.order_key,
                reservation.cpu_millis,
                reservation.memory,
                reservation.storage,
                json.dumps(list(reservation.gpus)),
                reservation.state,
            ),
        )

    def set_reservation_state(self, order_key: str, state: str) -> None:
        self._write("UPDATE reservations SET state=? WHERE order_key=?", (state, order_key))

    def release(self, order_key: str) -> None:
        self._write("DELETE FROM reservations WHERE order_key=?", (order_key,))

    # --- transactions -------------------------------------------------------------------

    def pending_txs(self) -> list[PendingTx]:
        rows = self._read(
            "SELECT purpose, hash, raw, sequence FROM pending_txs ORDER BY sequence, purpose"
        ).fetchall()
        return [PendingTx(r[0], r[1], bytes(r[2]), r[3]) for r in rows]

    def pending_tx(self, purpose: str) -> PendingTx | None:
        row = self._read(
            "SELECT purpose, hash, raw, sequence FROM pending_txs WHERE purpose=?", (purpose,)
        ).fetchone()
        return PendingTx(row[0], row[1], bytes(row[2]), row[3]) if row else None

    def add_pending_tx(self, pending: PendingTx) -> None:
        self._write(
            "INSERT INTO pending_txs VALUES (?, ?, ?, ?)",
            (pending.purpose, pending.hash, pending.raw, pending.sequence),
        )

    def drop_pending_tx(self, purpose: str) -> None:
        self._write("DELETE FROM pending_txs WHERE purpose=?", (purpose,))

    def mark_done(self, purpose: str, tx_hash: str, height: int, code: int, log: str) -> None:
        """The tx for purpose is in a block (code 0 or not): it is never sent again."""
        self._write("DELETE FROM pending_txs WHERE purpose=?", (purpose,))
        self._write(
            "INSERT OR REPLACE INTO done_txs VALUES (?, ?, ?, ?, ?)",
            (purpose, tx_hash, height, code, log),
        )

    def done_tx(self, purpose: str) -> tuple[str, int, int, str] | None:
        """(hash, height, code, log) of the committed tx for purpose, if any."""
        row = self._read(
            "SELECT hash, height, code, log FROM done_txs WHERE purpose=?", (purpose,)
        ).fetchone()
        return (row[0], row[1], row[2], row[3]) if row else None

    def queue(self, purpose: str, messages: Sequence[Message], height: int) -> None:
        """Decide to send messages (sent after the block's transaction commits, so a tx
        never leaves for a decision that a crash could still undo)."""
        body = tx_pb2.TxBody(
            messages=[
                any_pb2.Any(type_url=type_url_of(m), value=m.SerializeToString()) for m in messages
            ]
        )
        self._write(
            "INSERT OR IGNORE INTO outbox VALUES (?, ?, ?)",
            (purpose, body.SerializeToString(), height),
        )

    def outbox(self) -> list[tuple[str, list[Message]]]:
        """The queued txs in the order they were decided: (purpose, messages)."""
        rows = self._read("SELECT purpose, messages FROM outbox ORDER BY height, rowid").fetchall()
        return [(row[0], _unpacked(tx_pb2.TxBody.FromString(row[1]))) for row in rows]

    def unqueue(self, purpose: str) -> None:
        self._write("DELETE FROM outbox WHERE purpose=?", (purpose,))

    # --- leases -------------------------------------------------------------------------

    def leases(self, state: str | None = None) -> list[Lease]:
        query = (
            "SELECT lease_key, state, won_height, manifest, last_report_height, "
            "last_withdraw_height, won_at FROM leases"
        )
        if state is None:
            rows = self._read(query + " ORDER BY lease_key").fetchall()
        else:
            rows = self._read(query + " WHERE state=? ORDER BY lease_key", (state,)).fetchall()
        return [Lease(r[0], r[1], r[2], bool(r[3]), r[4], r[5], r[6]) for r in rows]

    def lease(self, lease_key: str) -> Lease | None:
        row = self._read(
            "SELECT lease_key, state, won_height, manifest, last_report_height, "
            "last_withdraw_height, won_at FROM leases WHERE lease_key=?",
            (lease_key,),
        ).fetchone()
        return Lease(row[0], row[1], row[2], bool(row[3]), row[4], row[5], row[6]) if row else None

    def put_lease(self, lease: Lease) -> None:
        self._write(
            "INSERT OR REPLACE INTO leases VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                lease.lease_key,
                lease.state,
                lease.won_height,
                int(lease.manifest),
                lease.last_report_height,
                lease.last_withdraw_height,
                lease.won_at,
            ),
        )


class _Fetched(list[Any]):
    """Rows already fetched, read like a cursor's."""

    def fetchall(self) -> list[Any]:
        return self

    def fetchone(self) -> Any:
        return self[0] if self else None


def _decision(row: tuple[str, int, int, str, str, str]) -> Decision:
    return Decision(row[0], row[1], bool(row[2]), row[3], row[4], row[5])


def _unpacked(body: tx_pb2.TxBody) -> list[Message]:
    pool = descriptor_pool.Default()
    messages = []
    for packed in body.messages:
        message_class = GetMessageClass(pool.FindMessageTypeByName(packed.TypeName()))
        messages.append(message_class.FromString(packed.value))
    return messages
