"""Prometheus metrics of the provider daemon: what it bid on, won, lost, and why it skipped."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

REGISTRY = CollectorRegistry()

BIDS = Counter("gpuchain_provider_bids_total", "Bids committed on chain", registry=REGISTRY)
WINS = Counter("gpuchain_provider_wins_total", "Bids that won a lease", registry=REGISTRY)
LOSSES = Counter("gpuchain_provider_losses_total", "Bids that lost", registry=REGISTRY)
SKIPS = Counter(
    "gpuchain_provider_skips_total",
    "Orders not bid on, by reason (as `gpuchain-provider explain` names it)",
    ["reason"],
    registry=REGISTRY,
)
PROCESSED_HEIGHT = Gauge(
    "gpuchain_provider_processed_height", "Last block the daemon handled", registry=REGISTRY
)
ACTIVE_LEASES = Gauge(
    "gpuchain_provider_active_leases", "Leases the provider runs now", registry=REGISTRY
)
