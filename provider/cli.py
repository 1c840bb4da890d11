"""`gpuchain-provider`: set up, run and inspect a provider daemon.

    gpuchain-provider init --home PDIR --from KEY [--node URL]... [--chain-id ID]
    gpuchain-provider start --home PDIR
    gpuchain-provider status --home PDIR
    gpuchain-provider explain DSEQ --home PDIR
    gpuchain-provider benchmark [--seconds S]

Every failure prints one line naming what is wrong and exits 1.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from prometheus_client import start_http_server

from chain.cli.output import CommandError as ChainCommandError
from chain.client_config import default_home, setting
from chain.keyring import BACKENDS, Keyring, KeyringError
from chain.rpc import CometRpc, RpcError
from provider import config as provider_config
from provider import metrics
from provider.bidengine import explain
from provider.config import CONFIG_FILE, ConfigError, ProviderConfig
from provider.inventory import detect_gpus, host_inventory
from provider.state import State
from x.provider.cli import cert_fingerprint

DEFAULT_PROVIDER_HOME = Path.home() / ".gpuchain-provider"
DEFAULT_NODE = setting("node").default
RECORD_FILE = "provider-record.yaml"


class CommandError(Exception):
    """A command cannot go on; its message is the one line printed."""


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--home",
        type=Path,
        default=DEFAULT_PROVIDER_HOME,
        help=f"provider directory: {CONFIG_FILE}, certificate, data "
        f"(default {DEFAULT_PROVIDER_HOME})",
    )
    parser = argparse.ArgumentParser(
        prog="gpuchain-provider",
        parents=[common],
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = commands.add_parser(
        "init",
        parents=[common],
        help="write provider.yaml and the gateway certificate",
        description="Write a commented PDIR/provider.yaml, PDIR/provider-record.yaml (host and "
        "attributes for the on-chain record) and the gateway's self-signed certificate, then "
        "print the `gpuchain tx provider create` command that registers them.",
    )
    init.add_argument("--from", dest="from_key", required=True, metavar="KEY")
    init.add_argument(
        "--node",
        dest="nodes",
        action="append",
        metavar="URL",
        help=f"CometBFT RPC address; repeat for failover (default {DEFAULT_NODE})",
    )
    init.add_argument("--chain-id", default="", help="default: asked from the first node")
    init.add_argument("--keyring-backend", choices=BACKENDS, default="file")
    init.add_argument(
        "--keyring-home",
        type=Path,
        default=default_home(),
        help="the gpuchain home of the key (default $GPUCHAIN_HOME, else ~/.gpuchain)",
    )
    init.add_argument(
        "--host-uri",
        default="",
        help="https URL tenants reach the gateway at (default https://<this host>:8443)",
    )
    init.set_defaults(func=init_command)

    start = commands.add_parser(
        "start",
        parents=[common],
        help="run the daemon in the foreground (SIGTERM stops it cleanly)",
        description="Follow the chain, bid on the orders this host can serve, run won leases "
        "on Docker and withdraw their payments. Logs one line per decision and per tx. The "
        "key's passphrase (file keyring) comes from GPUCHAIN_KEYRING_PASSPHRASE or a prompt.",
    )
    start.set_defaults(func=start_command)

    status = commands.add_parser(
        "status",
        parents=[common],
        help="inventory, open bids, leases and the last processed height",
    )
    status.set_defaults(func=status_command)

    explain = commands.add_parser(
        "explain",
        parents=[common],
        help="per group of a deployment: whether the provider bid, and why not",
    )
    explain.add_argument("dseq", type=int, metavar="DSEQ")
    explain.set_defaults(func=explain_command)

    # Listed here for --help; main() hands its arguments to provider.benchmark unparsed.
    commands.add_parser(
        "benchmark", help="GPU self-test: torch matmul TFLOP/s per device (needs the gpu extra)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["benchmark"]:  # the runtime's GPU self-test has its own options
        from provider import benchmark

        return benchmark.main(arguments[1:])
    args = build_parser().parse_args(arguments)
    try:
        code: int = args.func(args)
    except (CommandError, ConfigError, RpcError, OSError) as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return code


def init_command(args: argparse.Namespace) -> int:
    """`init`: write provider.yaml (checked by loading it back), the record and the cert."""
    home: Path = args.home
    target = home / CONFIG_FILE
    if target.exists():
        raise CommandError(f"{target} already exists; edit it, or remove it to start over")
    try:
        key = Keyring(args.keyring_home, args.keyring_backend).show(args.from_key)
    except KeyringError as error:
        raise CommandError(
            f"{error} (keyring {args.keyring_backend} in {args.keyring_home}: "
            "create the key with `gpuchain keys add`)"
        ) from None
    nodes = args.nodes or [DEFAULT_NODE]
    chain_id = args.chain_id or _node_chain_id(nodes)
    text = provider_config.render(
        args.from_key, nodes, chain_id, args.keyring_backend, args.keyring_home
    )
    home.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    configuration = provider_config.load(home)
    host_uri = args.host_uri or f"https://{_host_name()}:8443"
    record = home / RECORD_FILE
    record.write_text(
        "# Akash's provider file, for `gpuchain tx provider create|update`.\n"
        f'host: {host_uri}\nattributes: []\ninfo:\n  email: ""\n  website: ""\n',
        encoding="utf-8",
    )
    from provider.gateway import make_self_signed_cert  # aiohttp and docker: load on use

    hostname = urllib.parse.urlsplit(host_uri).hostname or "localhost"
    make_self_signed_cert(configuration.cert_path, configuration.key_path, [hostname])
    print(f"wrote {target}, {record}, {configuration.cert_path} and {configuration.key_path}")
    print("register the provider (its gateway certificate's fingerprint goes on chain) with:")
    print(
        f"  gpuchain tx provider create {record} --collateral 1000000ugpc "
        f"--cert {configuration.cert_path} --from {args.from_key} --node {nodes[0]} "
        f"--chain-id {chain_id} --keyring-backend {args.keyring_backend} "
        f"--home {args.keyring_home}"
    )
    print(f"provider account: {key.address}")
    return 0


def start_command(args: argparse.Namespace) -> int:
    """`start`: check the chain and the certificate, then run until SIGTERM or Ctrl-C."""
    from provider.daemon import StartError, open_daemon
    from provider.gateway import Gateway, NodeChainView

    configuration = provider_config.load(args.home)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr
    )
    try:
        fingerprint = cert_fingerprint(str(configuration.cert_path))
    except ChainCommandError as error:
        raise CommandError(f"{error} (made by `gpuchain-provider init`)") from None
    try:
        daemon = open_daemon(configuration, runtime=None)
        daemon.check_chain(fingerprint)
    except (StartError, RpcError) as error:
        raise CommandError(str(error)) from None
    runtime = daemon.runtime = open_runtime(configuration)
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: daemon.stop.set())
    if configuration.metrics_listen:
        host, _, port = configuration.metrics_listen.rpartition(":")
        start_http_server(int(port), addr=host, registry=metrics.REGISTRY)
    gateway = Gateway(
        daemon.address,
        NodeChainView(configuration.nodes),
        runtime,
        daemon.on_manifest,
        cert_path=configuration.cert_path,
        key_path=configuration.key_path,
        listen=configuration.gateway_listen,
    )
    gateway.start()
    try:
        daemon.run()
    finally:
        gateway.stop()
        daemon.state.close()
    return 0


def status_command(args: argparse.Namespace) -> int:
    """`status`: what the daemon's state says, read while it runs or not."""
    configuration = provider_config.load(args.home)
    state = State(configuration.data_dir)
    gpus, note = detect_gpus()
    inventory = host_inventory(configuration.data_dir, gpus, note)
    reservations = state.reservations()
    print(f"last processed height: {state.processed_height()}")
    print(f"inventory: {inventory.summary()}")
    print(f"free: {inventory.free(state.reserved()).summary()}")
    bids = [r for r in reservations if r.state == "bid"]
    print(f"open bids: {len(bids)}")
    for reservation in bids:
        decision = state.decision(reservation.order_key)
        price = decision.price if decision else "?"
        print(f"  {reservation.order_key} at {price} per block")
    leases = state.leases("active")
    print(f"active leases: {len(leases)}")
    for lease in leases:
        manifest = "running" if lease.manifest else "waiting for its manifest"
        print(f"  {lease.lease_key} since height {lease.won_height}, {manifest}")
    return 0


def explain_command(args: argparse.Namespace) -> int:
    """`explain DSEQ`: the stored decision for each group of that deployment."""
    configuration = provider_config.load(args.home)
    decisions = State(configuration.data_dir).decisions_for_deployment(args.dseq)
    if not decisions:
        print(f"no order of deployment {args.dseq} seen by this provider (yet)")
        return 1
    print("\n".join(explain(decisions)))
    return 0


def open_runtime(configuration: ProviderConfig) -> Any:
    """The Docker runtime at docker_host; CommandError naming the field when unreachable."""
    try:
        import docker

        from provider.runtime import Runtime
    except ImportError as error:
        raise CommandError(
            f"the Docker runtime is not installed ({error}): pip install -e '.[provider]'"
        ) from None
    try:
        client = docker.DockerClient(base_url=configuration.docker_host)
        client.ping()
    except docker.errors.DockerException as error:
        raise CommandError(
            f"docker_host: cannot reach the Docker engine at {configuration.docker_host}: {error}"
        ) from None
    return Runtime(client)


def _node_chain_id(nodes: list[str]) -> str:
    for node in nodes:
        try:
            network: str = CometRpc(node, timeout=5).status()["node_info"]["network"]
        except RpcError:
            continue
        return network
    raise CommandError(f"no node answers ({', '.join(nodes)}): give the chain id with --chain-id")


def _host_name() -> str:
    import socket

    return socket.getfqdn()


if __name__ == "__main__":
    sys.exit(main())
