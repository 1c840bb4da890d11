"""The daemon's one transaction sender: serial, idempotent by purpose, safe across restarts.

Every tx has a purpose (`bid:OWNER/DSEQ/GSEQ/OSEQ`, `withdraw:LEASE@HEIGHT`, ...). Before a
tx leaves, its signed bytes and hash are stored under that purpose; once it is in a block
the purpose is marked done and never sent again. A purpose still pending after a crash or
a timeout is resolved before anything new is signed: found in a block, it is done; its
sequence still unused, the same bytes go out again (the same hash cannot land twice);
its sequence used by something else, it is dropped and signed anew.

"account sequence mismatch" (sdk/3 from CheckTx) re-reads the sequence from the chain and
signs again; a node that cannot be reached fails over to the next and backs off.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from google.protobuf.message import Message

from chain.cli.client import check_tx_response, fetch_account, tx_hash_of, tx_response
from chain.cli.output import CommandError
from chain.cli.tx import DEFAULT_GAS, simulate
from chain.coins import Coin, Coins, DecPrice
from chain.crypto import PrivateKey
from chain.errors import INVALID_SEQUENCE
from chain.rpc import CometRpc, RpcError
from chain.tx import MAX_GAS_LIMIT, build_unsigned, sign_tx
from provider.nodes import NodePool, NodesUnreachable
from provider.state import PendingTx, State

log = logging.getLogger("provider")

ResultT = TypeVar("ResultT")
GAS_ADJUSTMENT_PERCENT = 130  # simulated gas times 1.3, as the CLI's --gas auto
INCLUSION_TIMEOUT_SECONDS = 30.0
MAX_SEQUENCE_RESYNCS = 3
INDEX_GRACE_SECONDS = 3.0  # how long a committed tx may take to show in the tx index


class SendError(Exception):
    """The tx could not be sent now (nodes unreachable, not included in time); its purpose
    stays pending and the next send of it resolves it."""


@dataclass(frozen=True)
class Outcome:
    """What became of a purpose's tx: in a block with code (0 = success), or refused by
    CheckTx or simulation (height 0) and so never in a block."""

    purpose: str
    hash: str
    height: int
    code: int
    log: str

    @property
    def ok(self) -> bool:
        return self.code == 0 and self.height > 0


class Sender:
    def __init__(
        self,
        nodes: NodePool,
        state: State,
        key: PrivateKey,
        chain_id: str,
        gas_price: DecPrice,
        inclusion_timeout: float = INCLUSION_TIMEOUT_SECONDS,
    ) -> None:
        self.nodes = nodes
        self.state = state
        self.key = key
        self.address = key.bech32_address
        self.chain_id = chain_id
        self.gas_price = gas_price
        self.inclusion_timeout = inclusion_timeout
        self._lock = threading.Lock()
        self._account_number: int | None = None
        self._next_sequence: int | None = None

    def send(self, purpose: str, messages: Sequence[Message]) -> Outcome:
        """Get messages into a block at most once for purpose; its outcome.

        Raises SendError when no node answers or the tx is not in a block in time; the
        purpose then stays pending and a later send(purpose, …) picks it up."""
        with self._lock:
            done = self.state.done_tx(purpose)
            if done is not None:
                return Outcome(purpose, *done)
            pending = self.state.pending_tx(purpose)
            if pending is not None:
                resolved = self._resolve(pending)
                if resolved is not None:
                    return resolved
            return self._send_new(purpose, messages)

    def resolve_pending(self) -> list[Outcome]:
        """Settle every tx left pending by an earlier run (at start, before new sends)."""
        outcomes = []
        with self._lock:
            for pending in self.state.pending_txs():
                try:
                    outcome = self._resolve(pending)
                except SendError as error:
                    log.warning(
                        "tx %s for %s still pending: %s", pending.hash, pending.purpose, error
                    )
                    continue
                if outcome is not None:
                    outcomes.append(outcome)
        return outcomes

    # --- internals ----------------------------------------------------------------------

    def _resolve(self, pending: PendingTx) -> Outcome | None:
        """The outcome of a pending tx, resending its exact bytes while its sequence is
        unused; None when its sequence went to another tx (it was dropped: sign anew)."""
        included = self._included(pending.hash)
        if included is not None:
            return self._finish(pending, included)
        _, sequence = self._account(fresh=True)
        if sequence > pending.sequence:
            # The sequence was used. CometBFT indexes a block's txs just after the block is
            # committed, so give the index a moment before deciding it was not by this tx.
            deadline = time.monotonic() + INDEX_GRACE_SECONDS
            while time.monotonic() < deadline:
                included = self._included(pending.hash)
                if included is not None:
                    return self._finish(pending, included)
                time.sleep(0.2)
            log.info("tx %s for %s was superseded; signing anew", pending.hash, pending.purpose)
            with self.state.transaction():
                self.state.drop_pending_tx(pending.purpose)
            self._next_sequence = sequence
            return None
        log.info("re-broadcasting tx %s for %s (same bytes)", pending.hash, pending.purpose)
        return self._broadcast_and_wait(pending)

    def _send_new(self, purpose: str, messages: Sequence[Message]) -> Outcome:
        for _ in range(MAX_SEQUENCE_RESYNCS):
            account_number, sequence = self._account()
            raw = self._sign(messages, account_number, sequence)
            if isinstance(raw, Outcome):
                return self._refused(purpose, raw)
            pending = PendingTx(purpose, tx_hash_of(raw), raw, sequence)
            with self.state.transaction():
                self.state.add_pending_tx(pending)
            try:
                return self._broadcast_and_wait(pending)
            except _SequenceMismatch as mismatch:
                log.warning("account sequence mismatch for %s (%s); re-syncing", purpose, mismatch)
                with self.state.transaction():
                    self.state.drop_pending_tx(purpose)
                self._next_sequence = None
        raise SendError(f"{purpose}: the account sequence kept changing under the sender")

    def _account(self, fresh: bool = False) -> tuple[int, int]:
        """(account number, next sequence): the sequence counted locally once read, re-read
        from the chain after a mismatch (or when fresh)."""
        if fresh or self._account_number is None or self._next_sequence is None:
            account = self._call(lambda rpc: _as_rpc_error(fetch_account, rpc, self.address))
            if account is None:
                raise SendError(f"provider account {self.address} does not exist on chain")
            self._account_number, self._next_sequence = account.account_number, account.sequence
        return self._account_number, self._next_sequence

    def _sign(
        self, messages: Sequence[Message], account_number: int, sequence: int
    ) -> bytes | Outcome:
        """The signed tx with simulated gas, or the simulation's refusal as an Outcome."""

        def unsigned(gas: int, fee: Coins) -> bytes:
            envelope = build_unsigned(
                self.key.public, messages, sequence=sequence, fee=fee, gas_limit=gas
            )
            return sign_tx(envelope, self.key, self.chain_id, account_number)

        # Simulated with a fee, as the tx will be sent: deducting it costs gas too.
        probe = build_unsigned(
            self.key.public,
            messages,
            sequence=sequence,
            fee=self._fee(DEFAULT_GAS),
            gas_limit=MAX_GAS_LIMIT,
        )
        try:
            used = self._call(lambda rpc: _as_rpc_error(simulate, rpc, probe)).gas_info.gas_used
        except _Refused as error:
            return Outcome("", "", 0, 1, str(error))
        gas = -(-used * GAS_ADJUSTMENT_PERCENT // 100)
        return unsigned(gas, self._fee(gas))

    def _fee(self, gas: int) -> Coins:
        return Coins((Coin(self.gas_price.denom, self.gas_price.fee_for(gas)),))

    def _broadcast_and_wait(self, pending: PendingTx) -> Outcome:
        try:
            answer = check_tx_response(
                self._call(lambda rpc: rpc.broadcast_tx_sync(pending.raw)), pending.hash
            )
        except _Refused as error:
            if "already exists in cache" not in str(error):  # else: in the mempool already
                raise
        else:
            code, codespace = answer["code"], answer["codespace"]
            if code == INVALID_SEQUENCE.code and codespace == INVALID_SEQUENCE.codespace:
                raise _SequenceMismatch(answer["raw_log"])
            if code != 0:
                refusal = Outcome(pending.purpose, pending.hash, 0, code, answer["raw_log"])
                return self._refused(pending.purpose, refusal)
        self._next_sequence = pending.sequence + 1
        deadline = time.monotonic() + self.inclusion_timeout
        while time.monotonic() < deadline:
            included = self._included(pending.hash)
            if included is not None:
                return self._finish(pending, included)
            time.sleep(0.1)
        raise SendError(f"tx {pending.hash} for {pending.purpose} not in a block yet")

    def _included(self, tx_hash: str) -> dict[str, object] | None:
        def lookup(rpc: CometRpc) -> dict[str, object] | None:
            try:
                return tx_response(rpc.tx(tx_hash))
            except RpcError as error:
                if "not found" in str(error):
                    return None
                raise

        return self._call(lookup)

    def _finish(self, pending: PendingTx, included: dict[str, object]) -> Outcome:
        outcome = Outcome(
            pending.purpose,
            pending.hash,
            int(str(included["height"])),
            int(str(included["code"])),
            str(included["raw_log"]),
        )
        with self.state.transaction():
            self.state.mark_done(
                pending.purpose, pending.hash, outcome.height, outcome.code, outcome.log
            )
        log.info(
            "tx %s %s in block %d%s",
            pending.purpose,
            pending.hash,
            outcome.height,
            "" if outcome.code == 0 else f" FAILED code {outcome.code}: {outcome.log}",
        )
        return outcome

    def _refused(self, purpose: str, outcome: Outcome) -> Outcome:
        """A tx refused before any block: forget it; the caller decides whether to retry."""
        with self.state.transaction():
            self.state.drop_pending_tx(purpose)
        log.warning("tx %s refused: %s", purpose, outcome.log)
        return Outcome(purpose, outcome.hash, 0, outcome.code or 1, outcome.log)

    def _call(self, operation: Callable[[CometRpc], ResultT]) -> ResultT:
        """operation on a node, failing over; SendError when none answers, _Refused when
        the node answered with an error."""
        try:
            return self.nodes.call(operation)
        except NodesUnreachable as error:
            raise SendError(str(error)) from None
        except RpcError as error:
            raise _Refused(str(error)) from None


def _as_rpc_error(function: Callable[..., ResultT], *arguments: object) -> ResultT:
    """Call a chain.cli client helper, which speaks CommandError, so that an unreachable
    node shows as the RpcError the node pool fails over on."""
    try:
        return function(*arguments)
    except CommandError as error:
        raise RpcError(str(error)) from None


class _SequenceMismatch(Exception):
    pass


class _Refused(SendError):
    """A node answered the call with an error."""
