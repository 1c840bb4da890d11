"""The state machine: ABCI 2.0 requests in, deterministic results and app hashes out.

This file holds no sockets (abci_server.py translates the wire) and no module logic
(modules plug in through chain.module). Read it top to bottom as a block's life:
init_chain → check_tx → prepare/process_proposal → finalize_block → commit → query.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from google.protobuf import any_pb2
from google.protobuf.message import DecodeError, Message

from chain import metrics
from chain.bounds import check_message_bounds
from chain.cache import BoundedCache
from chain.coins import DecPrice
from chain.config import COMETBFT_DEFAULT_MEMPOOL_SIZE
from chain.context import (
    BlockInfo,
    Context,
    Event,
    EvidenceParams,
    ExecMode,
    GasMeter,
    GasMeteredStore,
    GasSchedule,
    Misbehavior,
    Vote,
    infinite_gas,
)
from chain.errors import (
    INTERNAL,
    INVALID_REQUEST,
    TX_DECODE,
    UNKNOWN_REQUEST,
    AppError,
    error_of,
)
from chain.merkle import verify_proof
from chain.module import (
    APP_STORE_PREFIX,
    Invariant,
    Module,
    MsgRoute,
    QueryRoute,
    ValidatorUpdate,
    section,
    store_prefix_table,
)
from chain.pb.cosmos.base.abci.v1beta1 import abci_pb2 as cosmos_abci_pb2
from chain.pb.cosmos.tx.v1beta1 import service_pb2, tx_pb2
from chain.pb.tendermint.abci import types_pb2 as abci
from chain.pb.tendermint.crypto import keys_pb2, proof_pb2
from chain.pb.tendermint.types import validator_pb2
from chain.store import CommitStore, KVStore, Overlay
from chain.tx import SIMULATE_PATH, DecodedTx, decode_tx

log = logging.getLogger("gpuchain.app")

APP_VERSION = 1
APP_PREFIX = APP_STORE_PREFIX
CHAIN_ID_KEY = APP_PREFIX + b"\x01"
BLOCK_MAX_GAS_KEY = APP_PREFIX + b"\x02"
EVIDENCE_PARAMS_KEY = APP_PREFIX + b"\x03"
PROOF_OP_TYPE = "gpuchain:smt"
STORE_QUERY_PATH = "/store/key"
# Txs that passed CheckTx, decoded: proposals and FinalizeBlock skip their stateless work.
# A decoded tx holds its raw bytes, the body and auth-info copies and the parsed messages:
# about 8 bytes per tx byte, raw bytes included (bench/decoded_tx_size.py), charged as 9.
# Only a tx still in the mempool can come back (a committed one never does), so the cache
# holds twice the node's mempool (`AppConfig.mempool_size`): more would only keep dead
# entries, growing the node for minutes after start (bench/soak.py); less, and a mempool
# fuller than the cache is rechecked and executed from scratch, evicting in turn what the
# next recheck needs (4 validators on 2 cores with a 50,000-tx mempool: a 13,000-tx recheck
# held consensus for 12.7 s).
DECODED_CACHE_BYTES_PER_ENTRY = 4096  # the byte bound, per entry; a 300-byte send is ~4.7 KB
DECODED_CACHE_MIN_BYTES = 64 * 1024 * 1024
DECODED_BYTES_PER_TX_BYTE = 9
DECODED_ENTRY_OVERHEAD_BYTES = 2048
# A failed tx's log is stored in the block results: outside input in it stays short.
MAX_LOG_CHARS = 1024


class Ante(Protocol):
    """The checks every tx passes before its messages (x/auth provides them)."""

    def max_tx_bytes(self, store: KVStore) -> int: ...

    def max_tx_gas(self, store: KVStore) -> int: ...

    def check_limits(self, store: KVStore, tx: DecodedTx, height: int) -> None: ...

    def recheck(self, store: KVStore, tx: DecodedTx, height: int, chain_id: str) -> None: ...

    def run(
        self,
        ctx: Context,
        tx: DecodedTx,
        signers: Sequence[str],
        node_min_gas_price: DecPrice | None,
    ) -> object: ...


class InvariantBroken(Exception):
    """State violates an invariant: the node halts rather than commit it."""


@dataclass(frozen=True)
class AppConfig:
    """Node-local settings: they may differ between validators without forking the chain."""

    min_gas_price: DecPrice | None = None
    invariant_check_period: int = 0
    version: str = "0.1.0"
    # app.toml's index-events: `type.key` of the attributes CometBFT's indexer indexes;
    # empty indexes every attribute (Cosmos's semantics). Events are not part of the app
    # hash, so validators may differ here.
    index_events: frozenset[str] = frozenset()
    # CometBFT's `[mempool] size`: the caches of checked txs hold twice as many.
    mempool_size: int = COMETBFT_DEFAULT_MEMPOOL_SIZE


@dataclass
class TxOutcome:
    code: int = 0
    codespace: str = ""
    log: str = ""
    data: bytes = b""
    gas_wanted: int = 0
    gas_used: int = 0
    events: list[Event] = field(default_factory=list)


class EventIndexing:
    """Which attributes CometBFT's tx indexer should index (the ABCI `index` flag)."""

    def __init__(self, index_events: frozenset[str]) -> None:
        self._everything = not index_events
        self._pairs = {tuple(item.split(".", 1)) for item in index_events}

    def add_to(self, target: Any, events: Sequence[Event]) -> None:
        """Append events to a repeated `abci.Event` field in place: building each message
        inside its parent is ~4x cheaper than building lists of messages that the parent's
        constructor then copies (~20 us instead of ~90 us for a send's 21 attributes)."""
        everything, pairs = self._everything, self._pairs
        add_event = target.add
        for event in events:
            add_attribute = add_event(type=event.type).attributes.add
            for key, value in event.attributes:
                add_attribute(key=key, value=value, index=everything or (event.type, key) in pairs)


def _abci_updates(updates: Sequence[ValidatorUpdate]) -> list[abci.ValidatorUpdate]:
    return [
        abci.ValidatorUpdate(pub_key=keys_pb2.PublicKey(ed25519=u.ed25519_pubkey), power=u.power)
        for u in updates
    ]


def _evidence_params(request: abci.RequestInitChain) -> EvidenceParams:
    """The consensus evidence max age CometBFT starts the chain with (its defaults if the
    request names none); the app never changes consensus params afterwards."""
    if not request.consensus_params.HasField("evidence"):
        return EvidenceParams()
    evidence = request.consensus_params.evidence
    return EvidenceParams(
        evidence.max_age_num_blocks,
        evidence.max_age_duration.seconds * 1_000_000_000 + evidence.max_age_duration.nanos,
    )


def _stored_evidence_params(store: KVStore) -> EvidenceParams:
    raw = store.get(EVIDENCE_PARAMS_KEY)
    return EvidenceParams(*json.loads(raw)) if raw else EvidenceParams()


def _block_info(request: abci.RequestFinalizeBlock, evidence: EvidenceParams) -> BlockInfo:
    """The header and commit facts modules need: who proposed, who signed, who misbehaved."""
    votes = tuple(
        Vote(
            bytes(vote.validator.address),
            vote.validator.power,
            vote.block_id_flag != validator_pb2.BLOCK_ID_FLAG_ABSENT,
        )
        for vote in request.decided_last_commit.votes
    )
    misbehavior = tuple(
        Misbehavior(
            abci.MisbehaviorType.Name(item.type),
            bytes(item.validator.address),
            item.validator.power,
            item.height,
            _time_ns(item.time),
            item.total_voting_power,
        )
        for item in request.misbehavior
    )
    return BlockInfo(bytes(request.proposer_address), votes, misbehavior, evidence)


def _time_ns(timestamp: Any) -> int:
    return int(timestamp.seconds) * 1_000_000_000 + int(timestamp.nanos)


class Application:
    """One instance per node; CometBFT drives it through the ABCI methods below."""

    def __init__(
        self, store: CommitStore, modules: Sequence[Module], ante: Ante, config: AppConfig
    ) -> None:
        self.store = store
        self.modules = list(modules)
        self.store_prefixes = store_prefix_table(self.modules)
        self.config = config
        self.schedule = GasSchedule()
        self.routes: dict[str, MsgRoute] = {}
        self.queries: dict[str, QueryRoute] = {}
        for module in self.modules:
            for route in module.msg_routes():
                self.routes[route.type_url] = route
            for query in module.query_routes():
                self.queries[query.path] = query
        self.queries[SIMULATE_PATH] = QueryRoute(
            SIMULATE_PATH, service_pb2.SimulateRequest, service_pb2.SimulateResponse, self.simulate
        )
        self.registry = {url: route.message_class for url, route in self.routes.items()}
        self.invariants: list[Invariant] = [i for m in self.modules for i in m.invariants()]
        self.ante = ante
        self.events = EventIndexing(config.index_events)
        self.chain_id = (store.committed().get(CHAIN_ID_KEY) or b"").decode()
        self._check_state = Overlay(store.committed())
        self._finalized_height = 0
        # Stateless checks depend only on the bytes, so a tx that passed CheckTx is not
        # checked again by the proposal checks and FinalizeBlock. Only such txs are kept:
        # anyone can send txs that fail, for free.
        entries = 2 * config.mempool_size
        self._checked: BoundedCache[bytes, DecodedTx] = BoundedCache(
            entries, max(DECODED_CACHE_MIN_BYTES, entries * DECODED_CACHE_BYTES_PER_ENTRY)
        )

    # --- connection handshake -------------------------------------------------------

    def info(self, request: abci.RequestInfo) -> abci.ResponseInfo:
        """Where the app stands, so CometBFT replays exactly the blocks it lacks."""
        last = self.store.last
        return abci.ResponseInfo(
            data="gpuchain",
            version=self.config.version,
            app_version=APP_VERSION,
            last_block_height=last.height,
            last_block_app_hash=last.app_hash,
        )

    def init_chain(self, request: abci.RequestInitChain) -> abci.ResponseInitChain:
        """Load genesis into a pending layer; it is committed with the first block."""
        self.store.discard_pending()
        try:
            app_state = json.loads(request.app_state_bytes or b"{}")
        except json.JSONDecodeError as error:
            raise ValueError(f"genesis app_state is not valid JSON: {error}") from None
        self.chain_id = request.chain_id
        genesis = self.store.begin_block()
        genesis.set(CHAIN_ID_KEY, request.chain_id.encode())
        if request.HasField("consensus_params"):
            max_gas = request.consensus_params.block.max_gas
            genesis.set(BLOCK_MAX_GAS_KEY, str(max_gas).encode())
        evidence = _evidence_params(request)
        genesis.set(
            EVIDENCE_PARAMS_KEY,
            json.dumps([evidence.max_age_blocks, evidence.max_age_duration_ns]).encode(),
        )
        ctx = Context(
            genesis,
            request.chain_id,
            request.initial_height,
            _time_ns(request.time),
            ExecMode.GENESIS,
            infinite_gas(),
        )
        for module in self.modules:
            state = section(app_state, module.name) or module.default_genesis()
            module.validate_genesis(state)
            module.validate_evidence_age(state, evidence)
            module.init_genesis(ctx, state)
        self._deliver_genesis_txs(genesis, request.initial_height, ctx.block_time_ns, app_state)
        for module in self.modules:
            module.end_block(ctx)
        validators = [v for module in self.modules for v in module.genesis_validators(genesis)]
        self._assert_invariants(genesis)
        app_hash = self.store.finalize(genesis)
        return abci.ResponseInitChain(app_hash=app_hash, validators=_abci_updates(validators))

    def _deliver_genesis_txs(
        self, genesis: Overlay, height: int, block_time_ns: int, app_state: dict[str, Any]
    ) -> None:
        """Run the gentxs (signed MsgCreateValidator) that bond the first validators."""
        for index, encoded in enumerate(section(app_state, "genutil").get("gen_txs", [])):
            outcome = self._run_tx(
                genesis, base64.b64decode(encoded), ExecMode.GENESIS, height, block_time_ns
            )
            if outcome.code:
                raise ValueError(f"genutil.gen_txs[{index}] failed: {outcome.log}")

    # --- mempool ---------------------------------------------------------------------

    def check_batch(self, requests: Sequence[abci.RequestCheckTx]) -> list[abci.ResponseCheckTx]:
        """CheckTx of requests in order (CometBFT pipelines them; the server hands over
        every one it has read at once)."""
        return [self.check_tx(request) for request in requests]

    def check_tx(self, request: abci.RequestCheckTx) -> abci.ResponseCheckTx:
        """Admit a tx to the mempool if it would pass the ante checks on current state.

        A recheck (after each commit, of every tx still in the mempool) of a tx this node
        admitted repeats only what a block can change (`Ante.recheck`): no decoding, no
        signature verification, no events. One it no longer holds decoded (the cache is
        bounded) gets the full check again.
        """
        height = self.store.last.height + 1
        checked = self._checked.get(request.tx) if request.type == abci.RECHECK else None
        if checked is not None:
            outcome = self._recheck(checked, height)
        else:
            mode = ExecMode.RECHECK if request.type == abci.RECHECK else ExecMode.CHECK
            outcome = self._run_tx(self._check_state, request.tx, mode, height, 0, messages=False)
        (metrics.CHECK_TX_REJECTED if outcome.code else metrics.CHECK_TX_OK).inc()
        return abci.ResponseCheckTx(
            code=outcome.code,
            codespace=outcome.codespace,
            log=outcome.log,
            gas_wanted=outcome.gas_wanted,
            gas_used=outcome.gas_used,
        )

    def _recheck(self, tx: DecodedTx, height: int) -> TxOutcome:
        outcome = TxOutcome(gas_wanted=tx.gas_limit)
        layer = Overlay(self._check_state)
        try:
            self.ante.recheck(layer, tx, height, self.chain_id)
            layer.write()
        except AppError as error:
            self._fail(outcome, error)
        except Exception:
            log.exception("internal error rechecking a tx at height %d", height)
            self._fail(outcome, INTERNAL())
        return outcome

    def simulate(
        self, store: KVStore, request: service_pb2.SimulateRequest
    ) -> service_pb2.SimulateResponse:
        """Run a tx on a copy of the last committed state and answer the gas it used and
        its result, keeping nothing. As Cosmos's Simulate: signatures are not checked (a
        wallet estimates gas before signing), nor the fee floor; unlike Cosmos, nor the
        sequence, since committed state does not yet count the sender's pending txs.

        Raises INVALID_REQUEST for an empty request, else the error the tx would fail with.
        """
        raw = request.tx_bytes
        if not raw and request.HasField("tx"):
            raw = tx_pb2.TxRaw(
                body_bytes=request.tx.body.SerializeToString(),
                auth_info_bytes=request.tx.auth_info.SerializeToString(),
                signatures=request.tx.signatures,
            ).SerializeToString()
        if not raw:
            raise INVALID_REQUEST("simulate needs tx_bytes")
        outcome = self._run_tx(
            Overlay(store), raw, ExecMode.SIMULATE, self.store.last.height + 1, 0
        )
        if outcome.code:
            raise error_of(outcome.codespace, outcome.code, outcome.log)
        response = service_pb2.SimulateResponse(
            gas_info=cosmos_abci_pb2.GasInfo(
                gas_wanted=outcome.gas_wanted, gas_used=outcome.gas_used
            ),
            result=cosmos_abci_pb2.Result(data=outcome.data, log=outcome.log),
        )
        self.events.add_to(response.result.events, outcome.events)
        return response

    # --- proposals -------------------------------------------------------------------

    def _block_max_gas(self) -> int | None:
        """CometBFT's `block.max_gas` from genesis; None when blocks have no gas limit."""
        raw = self.store.committed().get(BLOCK_MAX_GAS_KEY)
        max_gas = int(raw) if raw else -1
        return None if max_gas < 0 else max_gas

    def _proposal_gas(self, raw: bytes, height: int) -> int | None:
        """The gas a tx asks for if it passes every stateless check (the ones all
        validators agree on without state), else None: no honest proposer includes it."""
        try:
            committed = self.store.committed()
            checked = self._checked.get(raw)
            tx = (
                checked
                if checked is not None
                else decode_tx(raw, self.registry, self.ante.max_tx_bytes(committed))
            )
            self.ante.check_limits(committed, tx, height)
            if checked is None:
                self._check_messages(tx)
        except AppError:
            return None
        except Exception:
            log.exception("internal error checking a proposed tx at height %d", height)
            return None
        return tx.gas_limit

    def prepare_proposal(
        self, request: abci.RequestPrepareProposal
    ) -> abci.ResponsePrepareProposal:
        """Keep the mempool's order, drop txs ProcessProposal would refuse, and stop at the
        byte limit or at the block's gas limit."""
        chosen, size, gas = [], 0, 0
        max_gas = self._block_max_gas()
        for raw in request.txs:
            if size + len(raw) > request.max_tx_bytes:
                break
            wanted = self._proposal_gas(raw, request.height)
            if wanted is None:
                continue
            if max_gas is not None and gas + wanted > max_gas:
                break
            chosen.append(raw)
            size += len(raw)
            gas += wanted
        return abci.ResponsePrepareProposal(txs=chosen)

    def process_proposal(
        self, request: abci.RequestProcessProposal
    ) -> abci.ResponseProcessProposal:
        """Reject a proposal carrying a tx no honest proposer would include, or asking for
        more gas than a block may use."""
        max_gas = self._block_max_gas()
        gas = 0
        accept = True
        for raw in request.txs:
            wanted = self._proposal_gas(raw, request.height)
            if wanted is None:
                accept = False
                break
            gas += wanted
            if max_gas is not None and gas > max_gas:
                accept = False
                break
        status = (
            abci.ResponseProcessProposal.ACCEPT if accept else abci.ResponseProcessProposal.REJECT
        )
        return abci.ResponseProcessProposal(status=status)

    # --- block execution -------------------------------------------------------------

    def finalize_block(self, request: abci.RequestFinalizeBlock) -> abci.ResponseFinalizeBlock:
        """Execute a decided block: hooks, every tx in order, hooks, then the new app hash."""
        started = time.perf_counter()  # nondeterminism-ok: metrics only
        if request.height <= self.store.last.height:
            raise ValueError(f"block {request.height} is already committed")
        block = self.store.begin_block()
        block_time = _time_ns(request.time)
        block_events: list[Event] = []
        ctx = Context(
            block,
            self.chain_id,
            request.height,
            block_time,
            ExecMode.FINALIZE,
            infinite_gas(),
            block_events,
            _block_info(request, _stored_evidence_params(block)),
        )
        for module in self.modules:
            module.begin_block(ctx)
        response = abci.ResponseFinalizeBlock()
        failed = 0
        for raw in request.txs:
            outcome = self._run_tx(block, raw, ExecMode.FINALIZE, request.height, block_time)
            failed += outcome.code != 0
            result = response.tx_results.add(
                code=outcome.code,
                codespace=outcome.codespace,
                log=outcome.log,
                data=outcome.data,
                gas_wanted=outcome.gas_wanted,
                gas_used=outcome.gas_used,
            )
            self.events.add_to(result.events, outcome.events)
        metrics.TX_FAILED.inc(failed)
        metrics.TX_OK.inc(len(request.txs) - failed)
        updates = [update for module in self.modules for update in module.end_block(ctx)]
        period = self.config.invariant_check_period
        if period and request.height % period == 0:
            self._assert_invariants(block)
        app_hash = self.store.finalize(block)
        self._finalized_height = request.height
        self.events.add_to(response.events, block_events)
        response.app_hash = app_hash
        response.validator_updates.extend(_abci_updates(updates))
        metrics.FINALIZE_SECONDS.observe(time.perf_counter() - started)  # nondeterminism-ok
        return response

    def commit(self) -> abci.ResponseCommit:
        """Persist the finalized block atomically; mempool checks restart from it."""
        started = time.perf_counter()  # nondeterminism-ok: metrics only
        info = self.store.commit(self._finalized_height)
        self._check_state = Overlay(self.store.committed())
        metrics.HEIGHT.set(info.height)
        metrics.COMMIT_SECONDS.observe(time.perf_counter() - started)  # nondeterminism-ok
        return abci.ResponseCommit()

    # --- transactions ----------------------------------------------------------------

    def _check_messages(self, tx: DecodedTx) -> None:
        """Every message's generic bounds, then its module's validate_basic; raises
        AppError naming the message. Unexpected exceptions are the caller's to map."""
        for index, (url, message) in enumerate(zip(tx.type_urls, tx.messages, strict=True)):
            check_message_bounds(message, f"message {index}")
            try:
                self.routes[url].validate_basic(message)
            except AppError as error:
                raise AppError(error.kind, f"message {index}: {error.detail}") from None

    def _run_tx(
        self,
        base: KVStore,
        raw: bytes,
        mode: ExecMode,
        height: int,
        block_time_ns: int,
        messages: bool = True,
    ) -> TxOutcome:
        """Cheap checks first, then the messages in a layer of their own.

        Order: size and envelope (decode), message count, memo and gas limits, fee floor,
        sequence and signature (ante), and only then each message's own validation, so a
        tx that cannot pay costs the node little. The ante layer (fee, sequence) is kept
        even when a message fails or runs out of gas, but not when a message is malformed
        (no honest proposer includes such a tx); the message layer is kept only if every
        message succeeds.
        """
        outcome = TxOutcome()
        meter = GasMeter(0)
        try:
            checked = self._checked.get(raw)
            if checked is not None:
                tx = checked
            else:
                tx = decode_tx(raw, self.registry, self.ante.max_tx_bytes(base))
            routes = [self.routes[url] for url in tx.type_urls]
            if mode is ExecMode.SIMULATE:
                # Estimating is what the gas limit is not yet known for: allow a block's.
                tx = dataclasses.replace(tx, gas_limit=self.ante.max_tx_gas(base))
            self.ante.check_limits(base, tx, height)
            outcome.gas_wanted = tx.gas_limit
            meter = GasMeter(tx.gas_limit)
            ante_layer = Overlay(base)
            ctx = Context(
                GasMeteredStore(ante_layer, meter, self.schedule),
                self.chain_id,
                height,
                block_time_ns,
                mode,
                meter,
                schedule=self.schedule,
            )
            signers = [
                route.signer(message) for route, message in zip(routes, tx.messages, strict=True)
            ]
            self.ante.run(ctx, tx, signers, self.config.min_gas_price)
            if checked is None:
                self._check_messages(tx)
            outcome.events = list(ctx.events)
            if messages:
                self._run_messages(ctx, ante_layer, tx, routes, signers, outcome)
            ante_layer.write()
            if checked is None and mode in (ExecMode.CHECK, ExecMode.RECHECK):
                self._checked.put(
                    raw,
                    tx,
                    DECODED_ENTRY_OVERHEAD_BYTES + DECODED_BYTES_PER_TX_BYTE * len(raw),
                )
        except AppError as error:
            self._fail(outcome, error)
        except Exception:
            log.exception("internal error executing tx at height %d", height)
            self._fail(outcome, INTERNAL())
        outcome.gas_used = min(meter.consumed, meter.limit)
        if outcome.code == INTERNAL.code and outcome.codespace == INTERNAL.codespace:
            # How far a failing bug got may depend on the node's Python (recursion limit,
            # memory): report the whole limit, the same on every node.
            outcome.gas_used = outcome.gas_wanted
        return outcome

    def _run_messages(
        self,
        ctx: Context,
        ante_layer: Overlay,
        tx: DecodedTx,
        routes: list[MsgRoute],
        signers: list[str],
        outcome: TxOutcome,
    ) -> None:
        message_layer = Overlay(ante_layer)
        message_ctx = ctx.with_store(
            GasMeteredStore(message_layer, ctx.gas, self.schedule)
        ).with_events([])
        responses = []
        try:
            for route, message, signer in zip(routes, tx.messages, signers, strict=True):
                message_ctx.emit(
                    "message",
                    ("action", route.type_url),
                    ("sender", signer),
                    ("module", route.module),
                )
                response = route.handler(message_ctx, message)
                responses.append(
                    any_pb2.Any(
                        type_url="/" + response.DESCRIPTOR.full_name,
                        value=response.SerializeToString(),
                    )
                )
        except AppError as error:
            self._fail(outcome, error)
            return
        except Exception:
            log.exception("internal error in %s at height %d", routes[0].type_url, ctx.height)
            self._fail(outcome, INTERNAL())
            return
        message_layer.write()
        outcome.events.extend(message_ctx.events)
        outcome.data = cosmos_abci_pb2.TxMsgData(msg_responses=responses).SerializeToString()

    @staticmethod
    def _fail(outcome: TxOutcome, error: AppError) -> None:
        outcome.code = error.kind.code
        outcome.codespace = error.kind.codespace
        outcome.log = error.log[:MAX_LOG_CHARS]

    def _assert_invariants(self, store: KVStore) -> None:
        for invariant in self.invariants:
            problem = invariant.check(store)
            if problem is not None:
                raise InvariantBroken(f"invariant {invariant.name} broken: {problem}")

    # --- queries ---------------------------------------------------------------------

    def query(self, request: abci.RequestQuery) -> abci.ResponseQuery:
        """Answer from the last commit's snapshot; never blocks on block execution."""
        reader, tree, info = self.store.query_view()
        if request.height not in (0, info.height):
            return self._query_error(
                INVALID_REQUEST(
                    f"height {request.height} is not kept; only the latest ({info.height})"
                ),
                info.height,
            )
        try:
            if request.path == STORE_QUERY_PATH:
                value = reader.get(request.data)
                response = abci.ResponseQuery(
                    key=request.data, value=value or b"", height=info.height
                )
                if request.prove:
                    proof = tree.prove(request.data)
                    response.proof_ops.ops.append(
                        proof_pb2.ProofOp(
                            type=PROOF_OP_TYPE, key=request.data, data=proof.to_bytes()
                        )
                    )
                return response
            route = self.queries.get(request.path)
            if route is None:
                raise UNKNOWN_REQUEST(f"no query path {request.path!r}")
            message = route.request_class()
            try:
                message.ParseFromString(request.data)
            except DecodeError as error:
                log.info("refused query %s: data is not valid protobuf (%s)", request.path, error)
                raise TX_DECODE(
                    f"query data for {request.path} is not valid protobuf ({error})"
                ) from None
            result = route.handler(reader, message)
            return abci.ResponseQuery(value=result.SerializeToString(), height=info.height)
        except AppError as error:
            return self._query_error(error, info.height)
        except Exception:
            log.exception("internal error answering query %s", request.path)
            return self._query_error(INTERNAL(), info.height)

    def answer(self, route: QueryRoute, request: Message) -> Message:
        """Run a typed query on the last commit's snapshot (the gRPC and REST servers)."""
        reader, _, _ = self.store.query_view()
        return route.handler(reader, request)

    @staticmethod
    def _query_error(error: AppError, height: int) -> abci.ResponseQuery:
        return abci.ResponseQuery(
            code=error.kind.code, codespace=error.kind.codespace, log=error.log, height=height
        )

    def export_genesis(self) -> dict[str, Any]:
        """The committed state as a genesis app_state; init_chain of it gives the same state."""
        reader, _, _ = self.store.query_view()
        return {module.name: module.export_genesis(reader) for module in self.modules}


def verify_store_proof(app_hash: bytes, key: bytes, value: bytes | None, proof_data: bytes) -> bool:
    """Check a `/store/key` proof against the app hash of the block after the query height."""
    from chain.merkle import Proof, ProofError

    try:
        proof = Proof.from_bytes(proof_data)
    except ProofError:
        return False
    return verify_proof(app_hash, key, value, proof)
