"""Genesis transactions: how a new chain's first validators bond, as in Cosmos SDK.

A gentx is a MsgCreateValidator for the node's consensus key, signed by the operator's
keyring account key: the consensus key (`priv_validator_key.json`, online on the node)
only signs blocks and owns no funds. Gentxs sign with account number 0 (numbers are not
final while genesis is assembled), and `collect_gentxs` places them in
`app_state.genutil.gen_txs`.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from chain.coins import Coin, Coins
from chain.config import Home
from chain.crypto import PrivateKey
from chain.pb.cosmos.base.v1beta1 import coin_pb2
from chain.pb.cosmos.staking.v1beta1 import staking_pb2
from chain.tx import build_and_sign
from x.staking.msgs import DEFAULT_COMMISSION, create_validator_msg

GENTX_GAS = 400_000
OPERATOR_BALANCE = 1_000_000_000
OPERATOR_STAKE = 100_000_000


def consensus_key(home: Home) -> PrivateKey:
    """The node's CometBFT validator key (priv_validator_key.json holds seed ‖ public key)."""
    data = json.loads((home.config_dir / "priv_validator_key.json").read_text())
    return PrivateKey(base64.b64decode(data["priv_key"]["value"])[:32])


def build_gentx(
    home: Home,
    operator: PrivateKey,
    amount: int,
    moniker: str,
    chain_id: str,
    commission: tuple[str, str, str] = DEFAULT_COMMISSION,
    denom: str = "ugpc",
) -> bytes:
    """A signed MsgCreateValidator bonding `amount` from operator's account to this node's key."""
    message = create_validator_msg(
        operator.address,
        consensus_key(home).public_key,
        coin_pb2.Coin(denom=denom, amount=str(amount)),
        staking_pb2.Description(moniker=moniker),
        commission,
    )
    return build_and_sign(
        operator,
        [message],
        chain_id=chain_id,
        account_number=0,
        sequence=0,
        fee=Coins(),
        gas_limit=GENTX_GAS,
        memo=moniker,
    )


def write_gentx(home: Home, raw: bytes, name: str) -> Path:
    directory = home.config_dir / "gentx"
    directory.mkdir(exist_ok=True)
    path = directory / f"gentx-{name}.json"
    path.write_text(json.dumps({"tx": base64.b64encode(raw).decode()}) + "\n")
    return path


def read_gentxs(directory: Path) -> list[str]:
    """Base64 gentxs from every gentx-*.json in directory, in file-name order."""
    return [json.loads(p.read_text())["tx"] for p in sorted(directory.glob("gentx-*.json"))]


def collect_gentxs(genesis: dict[str, Any], gentxs: list[str]) -> None:
    """Make the gentxs the chain's way to its first validator set."""
    genesis.setdefault("app_state", {}).setdefault("genutil", {})["gen_txs"] = gentxs
    genesis["validators"] = []


def fund(genesis: dict[str, Any], address: str, coins: Coins) -> None:
    """Add coins to address's genesis balance (creating it) and keep the supply in step."""
    bank = genesis.setdefault("app_state", {}).setdefault("bank", {"balances": [], "supply": []})
    balances = bank.setdefault("balances", [])
    existing = next((b for b in balances if b["address"] == address), None)
    if existing is None:
        existing = {"address": address, "coins": []}
        balances.append(existing)
    held = Coins.of(Coin(c["denom"], int(c["amount"])) for c in existing["coins"])
    existing["coins"] = (held + coins).to_json()
    balances.sort(key=lambda entry: entry["address"])
    total = Coins()
    for entry in balances:
        total = total + Coins.of(Coin(c["denom"], int(c["amount"])) for c in entry["coins"])
    bank["supply"] = total.to_json()


def bond_operator(home: Home, operator: PrivateKey, moniker: str, chain_id: str) -> None:
    """Make a lone node a working chain: fund operator's account in genesis and bond this
    node's consensus key from it with a gentx (`gpuchain init --from KEY`)."""
    genesis = json.loads(home.genesis.read_text())
    fund(genesis, operator.bech32_address, Coins.of([Coin("ugpc", OPERATOR_BALANCE)]))
    gentx = build_gentx(home, operator, OPERATOR_STAKE, moniker, chain_id)
    collect_gentxs(genesis, [base64.b64encode(gentx).decode()])
    home.genesis.write_text(json.dumps(genesis, indent=2) + "\n")
