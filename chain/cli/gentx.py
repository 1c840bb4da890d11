"""Genesis transactions: how a new chain's first validators bond, as in Cosmos SDK.

A gentx is a signed MsgCreateValidator for the node's consensus key, delivered in
InitChain. Gentxs sign with account number 0 (numbers are not final while genesis is
assembled), and `collect_gentxs` places them in `app_state.genutil.gen_txs`.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from google.protobuf import any_pb2

from chain.coins import Coin, Coins
from chain.config import Home
from chain.crypto import PUBKEY_TYPE_URL, PrivateKey, encode_validator_address
from chain.pb.cosmos.base.v1beta1 import coin_pb2
from chain.pb.cosmos.crypto.ed25519 import keys_pb2
from chain.pb.cosmos.staking.v1beta1 import staking_pb2, tx_pb2
from chain.tx import build_and_sign

GENTX_GAS = 400_000
NODE_KEY_BALANCE = 1_000_000_000
NODE_KEY_STAKE = 100_000_000


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
    commission: tuple[str, str, str] = ("0.10", "0.20", "0.01"),
    denom: str = "ugpc",
) -> bytes:
    """A signed MsgCreateValidator bonding `amount` from operator's account to this node's key."""
    rate, max_rate, max_change = commission
    message = tx_pb2.MsgCreateValidator(
        description=staking_pb2.Description(moniker=moniker),
        commission=staking_pb2.CommissionRates(
            rate=rate, max_rate=max_rate, max_change_rate=max_change
        ),
        min_self_delegation="1",
        validator_address=encode_validator_address(operator.address),
        pubkey=any_pb2.Any(
            type_url=PUBKEY_TYPE_URL,
            value=keys_pb2.PubKey(key=consensus_key(home).public_key).SerializeToString(),
        ),
        value=coin_pb2.Coin(denom=denom, amount=str(amount)),
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


def bond_node_key(home: Home, moniker: str, chain_id: str) -> None:
    """Make a lone node a working chain: fund its consensus key's account and bond it."""
    genesis = json.loads(home.genesis.read_text())
    key = consensus_key(home)
    fund(genesis, key.bech32_address, Coins.of([Coin("ugpc", NODE_KEY_BALANCE)]))
    gentx = build_gentx(home, key, NODE_KEY_STAKE, moniker, chain_id)
    collect_gentxs(genesis, [base64.b64encode(gentx).decode()])
    home.genesis.write_text(json.dumps(genesis, indent=2) + "\n")
