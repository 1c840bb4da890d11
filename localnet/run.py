"""`make localnet`: a local gpuchain network under localnet/.data/, for development.

Today it is one validator making blocks with a funded test key, in the foreground until
Ctrl-C. The home is kept between runs (delete localnet/.data to start a new chain).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from chain.cli.node_commands import init_home
from chain.config import Home, NodeConfig
from chain.genesis import write_genesis
from chain.keyring import Keyring
from chain.rpc import CometRpc, RpcError

DATA = Path(__file__).resolve().parent / ".data"
CHAIN_ID = "gpuchain-local"
FUNDED_KEYS = {"alice": "1000000000000ugpc", "bob": "1000000000000ugpc"}
RPC = "tcp://127.0.0.1:26657"


def create(home_path: Path) -> None:
    home = init_home(home_path, "validator0", CHAIN_ID, node_config=NodeConfig())
    keyring = Keyring(home_path, "test")
    genesis = json.loads(home.genesis.read_text())
    balances = []
    for name, amount in sorted(FUNDED_KEYS.items()):
        address = keyring.add(name).address
        balances.append(
            {
                "address": address,
                "coins": [{"denom": "ugpc", "amount": amount.removesuffix("ugpc")}],
            }
        )
    genesis["app_state"]["bank"]["balances"] = sorted(balances, key=lambda b: b["address"])
    write_genesis(home.genesis, genesis)


def run() -> int:
    home_path = DATA / "validator0"
    if not Home(home_path).genesis.exists():
        create(home_path)
        print(f"created a new chain {CHAIN_ID} in {home_path}")
    keyring = Keyring(home_path, "test")
    print(
        "RPC: http://127.0.0.1:26657   gRPC: 127.0.0.1:9090   metrics: http://127.0.0.1:26660/metrics"
    )
    print("funded test keys (keyring-backend test, --home " + str(home_path) + "):")
    for info in keyring.list():
        print(f"  {info.name}: {info.address}")
    print(
        "try: .venv/bin/gpuchain tx bank send alice BOB_ADDRESS 1000ugpc --fees 500ugpc --yes "
        f"--keyring-backend test --home {home_path}"
    )
    print("logs below; Ctrl-C stops the network")
    log_path = home_path / "node.log"
    with log_path.open("ab") as log:
        node = subprocess.Popen(
            [sys.executable, "-m", "chain.cli.main", "start", "--home", str(home_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        (DATA / "validator0.pid").write_text(str(node.pid))
        try:
            return node.wait()
        except KeyboardInterrupt:
            node.send_signal(signal.SIGINT)
            return node.wait()


def stop() -> int:
    pid_file = DATA / "validator0.pid"
    if not pid_file.exists():
        print("no localnet is running")
        return 0
    try:
        os.kill(int(pid_file.read_text()), signal.SIGTERM)
        print("stopped validator0")
    except ProcessLookupError:
        print("validator0 was not running")
    pid_file.unlink()
    return 0


def status() -> int:
    try:
        info = CometRpc(RPC).status()
    except RpcError as error:
        print(f"validator0: down ({error})")
        return 1
    sync = info["sync_info"]
    print(f"validator0: height {sync['latest_block_height']}, catching up {sync['catching_up']}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stop", action="store_true")
    parser.add_argument("--status", action="store_true")
    args = parser.parse_args()
    if args.stop:
        return stop()
    if args.status:
        return status()
    return run()


if __name__ == "__main__":
    sys.exit(main())
