"""The provider daemon: follow the chain, bid, run won leases, withdraw, survive restarts.

One loop in the foreground (`gpuchain-provider start`): the follower hands over each block;
its order events go to the bid engine, its lease events to the lease book, all inside the
block's State transaction. Only after that commits do the queued txs leave (through the one
sender) and containers get removed, so a crash never leaves a tx or a teardown behind for
a decision that was rolled back. A lease is torn down only when the chain confirms it is
closed, never because a node failed to answer.

At start the daemon refuses to run when the chain id differs, when the node does not index
txs, when the provider is not registered, or when the certificate fingerprint on chain is
not its gateway's; it settles the txs an earlier run left pending, re-scans the open orders
and its active leases through the typed market queries, and adopts the running containers
of its active leases.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol, TypeVar

from google.protobuf.message import Message

from chain.keyring import Keyring, KeyringError
from chain.module import query_path
from chain.pb.cosmos.base.query.v1beta1 import pagination_pb2
from chain.pb.cosmos.base.v1beta1 import coin_pb2
from chain.pb.gpuchain.audit.v1 import query_pb2 as audit_query_pb2
from chain.pb.gpuchain.market.v1 import market_pb2, usage_pb2
from chain.pb.gpuchain.market.v1 import query_pb2 as market_query_pb2
from chain.pb.gpuchain.market.v1 import tx_pb2 as market_tx_pb2
from chain.pb.gpuchain.provider.v1 import query_pb2 as provider_query_pb2
from chain.rpc import CometRpc, RpcError
from provider import metrics
from provider.bidengine import BidEngine, order_key
from provider.config import ProviderConfig
from provider.follower import Block, Event, Follower
from provider.inventory import Inventory, detect_gpus, host_inventory
from provider.nodes import NodePool
from provider.sender import Outcome, Sender, SendError
from provider.state import Lease, State
from x.audit.queries import PROVIDER_ATTRIBUTES_PATH
from x.market import queries as market_queries
from x.market.msgs import lease_fields
from x.provider.queries import PARAMS_PATH as PROVIDER_PARAMS_PATH
from x.provider.queries import PROVIDER_PATH

log = logging.getLogger("provider")
ResponseT = TypeVar("ResponseT", bound=Message)

ORDER_EVENTS = ("order_created", "order_reopened")
PROVIDER_EVENTS = ("bid_lost", "bid_closed", "lease_created", "lease_closed")
ACTIVE, CLOSED = "active", "closed"


class StartError(Exception):
    """The daemon must not start; the message says what to fix."""


class Runtime(Protocol):
    """What the daemon needs of the runtime (provider/runtime.py)."""

    def deploy(
        self, lease_name: str, group: Mapping[str, Any], gpus: Sequence[str] = ()
    ) -> Sequence[Any]: ...

    def remove(self, lease_name: str) -> int: ...

    def adopt(self) -> Mapping[str, Sequence[Any]]: ...


# The GPU usage of a lease over blocks start..end, for its report (runtime's Meter).
UsageSource = Callable[[str, int, int], list[usage_pb2.GpuUsage]]


MARKET_USAGE = query_path(market_queries.SERVICE, "Usage")


def lease_key(lease_id: market_pb2.LeaseID) -> str:
    """The lease's name as the runtime labels its containers: owner/dseq/gseq/oseq/provider."""
    return f"{lease_id.owner}/{lease_id.dseq}/{lease_id.gseq}/{lease_id.oseq}/{lease_id.provider}"


def lease_id_of(key: str) -> market_pb2.LeaseID:
    owner, dseq, gseq, oseq, provider = key.split("/")
    return market_pb2.LeaseID(
        owner=owner, dseq=int(dseq), gseq=int(gseq), oseq=int(oseq), provider=provider
    )


class Daemon:
    def __init__(
        self,
        config: ProviderConfig,
        sender: Sender,
        state: State,
        nodes: NodePool,
        inventory: Inventory,
        runtime: Runtime | None,
        poll_seconds: float = 5.0,
    ) -> None:
        self.config = config
        self.sender = sender
        self.state = state
        self.nodes = nodes
        self.inventory = inventory
        self.runtime = runtime
        self.address = sender.address
        self.stop = threading.Event()
        self.engine = BidEngine(
            state,
            self.address,
            config.attributes,
            config.pricing,
            inventory,
            self._audits,
            self._deposit,
            self._collateral,
            config.key,
        )
        self.follower = Follower(
            nodes, state, self.handle_block, self.stop, poll_seconds, after=self.after_block
        )
        self._teardowns: list[str] = []
        self.report_every = config.report_interval_blocks  # until prepare() asks the chain
        self.usage: UsageSource = lambda lease, start, end: []
        self._manifest_lock = threading.Lock()

    # --- start ----------------------------------------------------------------------------

    def check_chain(self, fingerprint: str) -> None:
        """Refuse to start on the wrong chain, unregistered, or with another certificate."""
        status = self._query_node(lambda rpc: rpc.status())
        network = status["node_info"]["network"]
        if network != self.config.chain_id:
            raise StartError(
                f"chain_id in provider.yaml is {self.config.chain_id!r} but the node runs "
                f"{network!r}"
            )
        if (status["node_info"].get("other") or {}).get("tx_index") != "on":
            # The sender finds its txs by hash; without the index it could not tell a
            # landed tx from a lost one.
            raise StartError(
                f"node {self.nodes.rpc.url} does not index transactions: set "
                '[tx_index] indexer = "kv" in its config.toml, or list another node'
            )
        try:
            record = self._provider_record()
        except RpcError as error:
            raise StartError(
                f"provider {self.address} is not registered on chain: {error}; "
                f"register it with `gpuchain tx provider create "
                f"{self.config.home}/provider-record.yaml --cert "
                f"{self.config.cert_path} --collateral AMOUNT --from "
                f"{self.config.key}`"
            ) from None
        on_chain = record.provider.cert_fingerprint
        if on_chain != fingerprint:
            raise StartError(
                f"the certificate fingerprint on chain ({on_chain or 'none'}) is not that of "
                f"{self.config.cert_path} ({fingerprint}); record it with `gpuchain tx "
                f"provider update {self.config.home}/provider-record.yaml --cert "
                f"{self.config.cert_path} --from {self.config.key}`"
            )

    def prepare(self) -> None:
        """Settle earlier pending txs, re-scan open orders and active leases, send the queue."""
        self.report_every = self._report_every()
        for outcome in self.sender.resolve_pending():
            self._settled(outcome)
        latest = self._query_node(lambda rpc: rpc.latest_height())
        self.follower.start_height(latest)
        height = self.state.processed_height()
        shortfall = self.engine.shortfall(height)
        if shortfall:
            log.warning("no bid can land until this is fixed: %s", shortfall)
        with self.state.transaction():
            for order in self._open_orders():
                self.engine.consider(order, height)
            self._rescan_leases(height)
            self._adopt_containers(height)
        self.after_block()
        log.info(
            "provider %s ready at height %d; inventory: %s",
            self.address,
            height,
            self.inventory.summary(),
        )
        if not self.inventory.gpus:
            log.warning(
                "no GPUs on this host (%s): serving CPU-only orders", self.inventory.gpu_note
            )

    def run(self) -> None:
        """prepare(), then follow the chain until stop is set (SIGTERM)."""
        self.prepare()
        self.follower.run()
        log.info("stopped at height %d", self.state.processed_height())

    # --- blocks ---------------------------------------------------------------------------

    def handle_block(self, block: Block) -> None:
        """One block's events, inside its State transaction (no sends, no teardown here)."""
        for event in block.events:
            if event.type in ORDER_EVENTS:
                self._on_order(event, block.height)
            elif event.type in PROVIDER_EVENTS and event.attributes.get("provider") == self.address:
                self._on_provider_event(event, block.height)
        self._periodic(block.height)
        metrics.PROCESSED_HEIGHT.set(block.height)

    def after_block(self) -> None:
        """After a block's transaction committed: send what it queued, remove closed leases."""
        for purpose, messages in self.state.outbox():
            try:
                outcome = self.sender.send(purpose, messages)
            except SendError as error:
                log.warning("tx %s not sent yet: %s", purpose, error)
                return  # the rest waits: the sender is serial
            self._settled(outcome)
        for key in list(self._teardowns):
            if self.runtime is not None:
                try:
                    removed = self.runtime.remove(key)
                except OSError as error:  # the docker SDK's errors are OSErrors
                    log.warning("lease %s: removing its containers failed (%s); will retry",
                                key, error)  # fmt: skip
                    continue
                log.info("lease %s closed on chain: removed %d container(s)", key, removed)
            self._teardowns.remove(key)

    def _on_order(self, event: Event, height: int) -> None:
        order_id = _order_id(event)
        if order_id is None:
            return
        key = order_key(order_id)
        earlier = self.state.decision(key)
        if earlier is not None and not (event.type == "order_reopened" and not earlier.bid):
            return
        order = self._query(
            market_queries.ORDER_PATH,
            market_query_pb2.QueryOrderRequest(
                owner=order_id.owner, dseq=order_id.dseq, gseq=order_id.gseq, oseq=order_id.oseq
            ),
            market_query_pb2.QueryOrderResponse(),
        ).order
        if order.state != market_pb2.ORDER_STATE_OPEN:
            return
        if earlier is not None:  # re-opened after a skip: things may have changed
            self.state.forget_decision(key)
        self.engine.consider(order, height)

    def _on_provider_event(self, event: Event, height: int) -> None:
        order_id = _order_id(event)
        if order_id is None:
            return
        key = order_key(order_id)
        name = f"{key}/{self.address}"
        if event.type == "bid_lost":
            metrics.LOSSES.inc()
            self.state.release(key)
            log.info("bid on %s lost", key)
        elif event.type == "bid_closed" and self.state.lease(name) is None:
            self.state.release(key)
        elif event.type == "lease_created" and self.state.lease(name) is None:
            # (Known already when the re-scan at start found it before catching up here.)
            metrics.WINS.inc()
            self.state.set_reservation_state(key, "leased")
            # Until the first report, the chain counts from the lease's creation height.
            self.state.put_lease(Lease(name, ACTIVE, height, False, height, height, time.time()))
            log.info("lease %s won at height %d; waiting for its manifest", name, height)
        elif event.type == "lease_closed":
            self._confirm_closed(name, height)
        metrics.ACTIVE_LEASES.set(len(self.state.leases(ACTIVE)))

    def _confirm_closed(self, name: str, height: int) -> None:
        """Close a lease only when the chain says it is closed (RpcError: try next block)."""
        lease = self._query(
            market_queries.LEASE_PATH,
            market_query_pb2.QueryLeaseRequest(**lease_fields(lease_id_of(name))),
            market_query_pb2.QueryLeaseResponse(),
        ).lease
        if lease.state != market_pb2.LEASE_STATE_CLOSED:
            return
        known = self.state.lease(name)
        if known is not None and known.state == CLOSED:
            return
        won = known.won_height if known else height
        self.state.put_lease(Lease(name, CLOSED, won, False, height, height, 0.0))
        self.state.release(name.rsplit("/", 1)[0])
        self._teardowns.append(name)
        log.info(
            "lease %s closed on chain (%s)",
            name,
            market_pb2.LeaseClosedReason.Name(lease.reason),
        )

    def _periodic(self, height: int) -> None:
        """Report usage before the chain's deadline, withdraw every withdraw_interval_blocks,
        close leases whose manifest is late."""
        for lease in self.state.leases(ACTIVE):
            lease_id = lease_id_of(lease.lease_key)
            if height - lease.last_report_height >= self.report_every:
                start = lease.last_report_height + 1
                self.state.queue(
                    f"report:{lease.lease_key}@{start}",
                    [
                        usage_pb2.MsgReportUsage(
                            lease_id=lease_id,
                            provider=self.address,
                            start_height=start,
                            end_height=height,
                            gpus=self.usage(lease.lease_key, start, height),
                        )
                    ],
                    height,
                )
                lease = _with(lease, last_report_height=height)
                self.state.put_lease(lease)
            if height - lease.last_withdraw_height >= self.config.withdraw_interval_blocks:
                self.state.queue(
                    f"withdraw:{lease.lease_key}@{height}",
                    [market_tx_pb2.MsgWithdrawLease(lease_id=lease_id)],
                    height,
                )
                self.state.put_lease(_with(lease, last_withdraw_height=height))
            late = time.time() - lease.won_at > self.config.manifest_timeout_seconds
            if not lease.manifest and lease.won_at and late:
                log.info(
                    "lease %s: no manifest after %ds; closing it",
                    lease.lease_key,
                    self.config.manifest_timeout_seconds,
                )
                self.state.queue(
                    f"close:{lease.lease_key}",
                    [
                        market_tx_pb2.MsgCloseLease(
                            lease_id=lease_id,
                            reason=market_pb2.LEASE_CLOSED_REASON_MANIFEST_TIMEOUT,
                        )
                    ],
                    height,
                )
                self.state.put_lease(_with(lease, won_at=0.0))

    def _settled(self, outcome: Outcome) -> None:
        """Book what became of a sent tx."""
        with self.state.transaction():
            self.state.unqueue(outcome.purpose)
            kind, _, subject = outcome.purpose.partition(":")
            if kind == "bid":
                if outcome.ok:
                    metrics.BIDS.inc()
                else:
                    self.engine.refused(subject, outcome.log)
            elif kind == "report" and not outcome.ok:
                # Out of step with the chain's schedule: take its word for where we are.
                name = subject.split("@")[0]
                lease = self.state.lease(name)
                if lease is not None and lease.state == ACTIVE:
                    until = self._reported_until(name)
                    self.state.put_lease(_with(lease, last_report_height=until))

    # --- manifests (called by the gateway, from its own thread) ------------------------

    def on_manifest(
        self, lease_id: market_pb2.LeaseID, manifest: Mapping[str, Any]
    ) -> Sequence[Any]:
        """Deploy a won lease's manifest group; raises KeyError for a lease not held here."""
        name = lease_key(lease_id)
        lease = self.state.lease(name)
        if lease is None or lease.state != ACTIVE:
            raise KeyError(f"lease {name} is not an active lease of this provider")
        if self.runtime is None:
            raise RuntimeError("no Docker runtime configured")
        reservation = next(
            (r for r in self.state.reservations() if r.order_key == name.rsplit("/", 1)[0]), None
        )
        with self._manifest_lock:
            statuses = self.runtime.deploy(name, manifest, reservation.gpus if reservation else ())
            with self.state.transaction():
                current = self.state.lease(name)
                if current is not None:
                    self.state.put_lease(_with(current, manifest=True))
        log.info("lease %s: manifest deployed", name)
        return statuses

    # --- chain reads ----------------------------------------------------------------------

    def _query(self, path: str, request: Message, response: ResponseT) -> ResponseT:
        return self.nodes.call(lambda rpc: rpc.query_message(path, request, response))

    def _query_node(self, operation: Callable[[CometRpc], Any]) -> Any:
        return self.nodes.call(operation)

    def _open_orders(self) -> Iterator[market_pb2.Order]:
        key = b""
        while True:
            page = self._query(
                market_queries.ORDERS_PATH,
                market_query_pb2.QueryOrdersRequest(
                    state="open", pagination=pagination_pb2.PageRequest(key=key, limit=100)
                ),
                market_query_pb2.QueryOrdersResponse(),
            )
            yield from page.orders
            key = page.pagination.next_key
            if not key:
                return

    def _rescan_leases(self, height: int) -> None:
        """Book the provider's active leases the chain knows and this state does not (a
        lost data dir), and confirm the ones this state thinks active."""
        active = set()
        key = b""
        while True:
            page = self._query(
                market_queries.LEASES_PATH,
                market_query_pb2.QueryLeasesRequest(
                    provider=self.address,
                    state="active",
                    pagination=pagination_pb2.PageRequest(key=key, limit=100),
                ),
                market_query_pb2.QueryLeasesResponse(),
            )
            for lease in page.leases:
                name = lease_key(lease.lease_id)
                active.add(name)
                if self.state.lease(name) is None:
                    self.state.set_reservation_state(name.rsplit("/", 1)[0], "leased")
                    until = self._reported_until(name)
                    self.state.put_lease(
                        Lease(name, ACTIVE, lease.created_at, False, until, height, time.time())
                    )
            key = page.pagination.next_key
            if not key:
                break
        for booked in self.state.leases(ACTIVE):
            if booked.lease_key not in active:
                self._confirm_closed(booked.lease_key, height)

    def _reported_until(self, name: str) -> int:
        """The last block of the lease the chain has a usage report for (its creation
        height before the first)."""
        answer = self._query(
            MARKET_USAGE,
            usage_pb2.QueryUsageRequest(
                **lease_fields(lease_id_of(name)), pagination=pagination_pb2.PageRequest(limit=1)
            ),
            usage_pb2.QueryUsageResponse(),
        )
        return answer.reported_until

    def _report_every(self) -> int:
        """Blocks between usage reports: the config's interval, at most the chain's, less a
        quarter so the report lands before the chain's deadline."""
        chain = self._market_params().report_interval_blocks or self.config.report_interval_blocks
        interval = min(self.config.report_interval_blocks, chain)
        return max(1, interval - interval // 4)

    def _market_params(self) -> market_pb2.Params:
        return self._query(
            market_queries.PARAMS_PATH,
            market_query_pb2.QueryParamsRequest(),
            market_query_pb2.QueryParamsResponse(),
        ).params

    def _adopt_containers(self, height: int) -> None:
        """Keep the containers of active leases running (their manifest arrived before the
        restart); those of leases the chain has closed are removed after this commits."""
        if self.runtime is None:
            return
        for name in self.runtime.adopt():
            if not name.endswith(f"/{self.address}"):
                continue  # another provider's on a shared engine: not ours to judge
            lease = self.state.lease(name)
            if lease is None:
                self._confirm_closed(name, height)
            elif lease.state == ACTIVE:
                self.state.put_lease(_with(lease, manifest=True, won_at=0.0))
                log.info("lease %s: adopted its running containers", name)
            else:  # closed before the daemon stopped, but its containers were not removed
                self._teardowns.append(name)

    def _audits(self) -> dict[str, dict[str, str]]:
        answer = self._query(
            PROVIDER_ATTRIBUTES_PATH,
            audit_query_pb2.QueryProviderAttributesRequest(owner=self.address),
            audit_query_pb2.QueryAttributesResponse(),
        )
        return {
            record.auditor: {a.key: a.value for a in record.attributes}
            for record in answer.attributes
        }

    def _provider_record(self) -> provider_query_pb2.QueryProviderResponse:
        return self._query(
            PROVIDER_PATH,
            provider_query_pb2.QueryProviderRequest(owner=self.address),
            provider_query_pb2.QueryProviderResponse(),
        )

    def _collateral(self) -> tuple[coin_pb2.Coin, coin_pb2.Coin]:
        """The provider's collateral on chain (none once deleted) and the chain's minimum."""
        record = self._provider_record()
        minimum = self._query(
            PROVIDER_PARAMS_PATH,
            provider_query_pb2.QueryParamsRequest(),
            provider_query_pb2.QueryParamsResponse(),
        ).params.min_provider_collateral
        return record.provider.collateral, minimum

    def _deposit(self) -> coin_pb2.Coin:
        amount = self._market_params().min_bid_deposit or "0"
        return coin_pb2.Coin(denom="ugpc", amount=amount)


class GpuMeter:
    """Samples each lease's GPUs every few seconds (runtime's NVML Meter) and folds them into
    the figures of its next usage report."""

    def __init__(self, daemon: Daemon, interval_seconds: float = 5.0) -> None:
        from provider import metering

        self.meter = metering.Meter()  # MeteringError where the host has no NVML
        self.daemon = daemon
        self.interval_seconds = interval_seconds
        self.models = {gpu.uuid: metering.model_key(gpu.name) for gpu in daemon.inventory.gpus}
        self.windows: dict[str, metering.UsageWindow] = {}
        self._window_type = metering.UsageWindow
        self.metering_error = metering.MeteringError
        self._lock = threading.Lock()

    def run(self) -> None:
        while not self.daemon.stop.wait(self.interval_seconds):
            for reservation in self.daemon.state.reservations():
                if reservation.state != "leased" or not reservation.gpus:
                    continue
                try:
                    samples = self.meter.sample(reservation.gpus)
                except self.metering_error as error:
                    log.warning("lease %s: GPU sample failed: %s", reservation.order_key, error)
                    continue
                with self._lock:
                    window = self.windows.get(reservation.order_key)
                    if window is None:
                        window = self.windows[reservation.order_key] = self._window_type(
                            self.models
                        )
                    window.add(samples)

    def usage(self, lease: str, start: int, end: int) -> list[usage_pb2.GpuUsage]:
        """The lease's GPU figures since its last report (blocks start..end)."""
        with self._lock:
            window = self.windows.get(lease.rsplit("/", 1)[0])
            reports = window.report() if window is not None else []
        return [
            usage_pb2.GpuUsage(
                uuid=report.uuid,
                model=report.model,
                avg_utilization_bps=report.avg_utilization_bps,
                peak_memory_bytes=report.peak_memory_bytes,
                energy_millijoules=report.energy_millijoules,
            )
            for report in reports
        ]


def open_daemon(
    config: ProviderConfig, runtime: Runtime | None, poll_seconds: float = 5.0
) -> Daemon:
    """A daemon for config: its key from the keyring, its state, nodes and inventory."""
    try:
        key = Keyring(config.keyring_home, config.keyring_backend).private_key(config.key)
    except KeyringError as error:
        raise StartError(
            f"key: {error} (keyring {config.keyring_backend} in {config.keyring_home})"
        ) from None
    state = State(config.data_dir)
    nodes = NodePool(config.nodes)
    sender = Sender(nodes, state, key, config.chain_id, config.gas_price)
    gpus, note = detect_gpus()
    inventory = host_inventory(config.data_dir, gpus, note)
    daemon = Daemon(config, sender, state, nodes, inventory, runtime, poll_seconds)
    if inventory.gpus:
        meter = GpuMeter(daemon)
        daemon.usage = meter.usage
        threading.Thread(target=meter.run, name="gpu-meter", daemon=True).start()
    return daemon


def _order_id(event: Event) -> market_pb2.OrderID | None:
    try:
        return market_pb2.OrderID(
            owner=event.attributes["owner"],
            dseq=int(event.attributes["dseq"]),
            gseq=int(event.attributes["gseq"]),
            oseq=int(event.attributes["oseq"]),
        )
    except (KeyError, ValueError):
        log.warning("event %s without a valid order id: %s", event.type, event.attributes)
        return None


def _with(lease: Lease, **changes: Any) -> Lease:
    return replace(lease, **changes)
