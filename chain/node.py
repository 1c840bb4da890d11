"""`gpuchain start`: the ABCI app and its child CometBFT process, living and dying together."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import ipaddress
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

from prometheus_client import start_http_server

from chain.abci_server import AbciServer
from chain.app import AppConfig, Application
from chain.config import (
    ConfigError,
    Home,
    NodeConfig,
    cometbft_binary,
    cometbft_environment,
)
from chain.grpc_server import start_grpc_server
from chain.metrics import REGISTRY
from chain.rest import RestServer
from chain.rpc import CometRpc
from chain.tendermint_service import TendermintService
from chain.tx_service import TxService
from chain.wiring import build_app

log = logging.getLogger("gpuchain.node")
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Runs in the CometBFT child: the kernel kills it if the app process dies (even kill -9)."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def open_app(home: Home, config: NodeConfig) -> Application:
    return build_app(
        home.app_db,
        AppConfig(
            min_gas_price=config.min_gas_price(),
            invariant_check_period=config.invariant_check_period,
            index_events=frozenset(config.index_events or ()),
            mempool_size=home.mempool_size(),
        ),
    )


def check_abci_exposure(address: str, allow_remote: bool) -> None:
    """Refuse a TCP ABCI address off loopback unless the operator allowed it explicitly.

    Whoever reaches the ABCI socket can drive FinalizeBlock and Commit: the protocol has
    no authentication, so it belongs on a unix socket or loopback. Raises ConfigError.
    """
    if not address.startswith("tcp://"):
        return
    host = address.removeprefix("tcp://").rpartition(":")[0].strip("[]")
    if _is_loopback(host):
        return
    if not allow_remote:
        raise ConfigError(
            f"refusing to serve ABCI on {address}: it is not a loopback address and ABCI has "
            "no authentication (anyone who reaches it can drive FinalizeBlock and Commit); "
            "use unix:// or 127.0.0.1, or pass --abci-allow-remote behind a firewall"
        )
    log.warning(
        "ABCI listens on %s, off loopback: the ABCI protocol has no authentication, so anyone "
        "who can reach this address can drive the node's state; firewall it",
        address,
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # an empty host (every interface) or a name that may resolve anywhere


def _split_host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host or "127.0.0.1", int(port)


async def run_node(
    home: Home, with_comet: bool, abci_address: str | None, allow_remote_abci: bool = False
) -> int:
    """Serve until SIGINT/SIGTERM (exit 0) or until CometBFT dies (exit 1)."""
    config = NodeConfig.load(home.app_config)
    address = abci_address or config.abci_address or f"unix://{home.abci_socket}"
    check_abci_exposure(address, allow_remote_abci)
    app = open_app(home, config)
    server = AbciServer(app)
    await server.start(address)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    comet: subprocess.Popen[bytes] | None = None
    if with_comet:
        # One log per process: CometBFT writes HOME/cometbft.log, the app its own stderr.
        with home.comet_log.open("ab") as comet_log:
            comet = subprocess.Popen(
                [cometbft_binary(), "node", "--home", str(home.root), "--proxy_app", address],
                env=cometbft_environment(),
                stdout=comet_log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        log.info("started cometbft (pid %d), logging to %s", comet.pid, home.comet_log)

    # After the fork: gRPC's threads must not be running when CometBFT is forked off.
    comet_rpc = CometRpc(home.rpc_address())
    routes = [
        *app.queries.values(),
        *TxService(comet_rpc).routes(),
        *TendermintService(comet_rpc).routes(),
    ]
    grpc_server = (
        start_grpc_server(app, routes, config.grpc_address) if config.grpc_address else None
    )
    rest_server = RestServer(routes, app.answer) if config.api_enable else None
    if rest_server is not None:
        await rest_server.start(config.api_address)
    if config.metrics_address:
        host, port = _split_host_port(config.metrics_address)
        start_http_server(port, addr=host, registry=REGISTRY)

    _tune_garbage_collector()
    exit_code = 0
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=0.5)
        if comet is not None and comet.poll() is not None:
            log.error("cometbft exited with code %s; stopping", comet.returncode)
            exit_code = 1
            break

    if comet is not None and comet.poll() is None:
        comet.terminate()
        # Keep serving ABCI while CometBFT shuts down: it may still be finishing a block.
        for _ in range(150):
            if comet.poll() is not None:
                break
            await asyncio.sleep(0.1)
        else:
            comet.kill()
            comet.wait()
    if grpc_server is not None:
        grpc_server.stop(grace=1)
    if rest_server is not None:
        await rest_server.close()
    await server.close()
    app.store.close()
    return exit_code


# Allocations between gen-0 collections (CPython's default is 700).
GC_GEN0_THRESHOLD = 50_000


def _tune_garbage_collector() -> None:
    """Collect cycles less often, and never walk what lives as long as the node.

    Blocks allocate many short-lived objects (decoded txs, events) and hardly any cycles;
    every collection holds the GIL and so pauses CheckTx too. Measured in process on 16,000
    sends: collections took 69 ms with the defaults, 21 ms with this.
    """
    gc.freeze()  # modules, descriptors, servers: all already here for the node's life
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GC_GEN0_THRESHOLD, gen1, gen2)


def start(
    home_path: Path,
    with_comet: bool = True,
    abci_address: str | None = None,
    allow_remote_abci: bool = False,
) -> int:
    logging.basicConfig(
        level=os.environ.get("GPUCHAIN_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    home = Home(home_path)
    if not home.genesis.exists():
        raise ConfigError(
            f"{home.genesis} not found: run `gpuchain init MONIKER --home {home_path}`"
        )
    return asyncio.run(run_node(home, with_comet, abci_address, allow_remote_abci))
