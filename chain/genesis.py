"""Genesis files: CometBFT's genesis.json with our modules' `app_state` inside, and the
edits that assemble one before a chain starts (funded accounts, gentxs).

A gentx is a signed transaction (for staking, a MsgCreateValidator) that genutil delivers at
InitChain. Gentxs sign with account number 0, as in Cosmos (numbers are not final while
genesis is assembled), and `collect_gentxs` places them in `app_state.genutil.gen_txs`.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from google.protobuf.message import Message

from chain.coins import Coin, Coins
from chain.context import EvidenceParams
from chain.crypto import PrivateKey
from chain.errors import AppError
from chain.module import Module
from chain.tx import build_and_sign

GENTX_GAS = 400_000


class GenesisError(Exception):
    """A genesis file that a node would refuse to start from; the message names the field."""


def load_genesis(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise GenesisError(f"{path} does not exist") from None
    except json.JSONDecodeError as error:
        raise GenesisError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise GenesisError(f"{path}: top level must be a JSON object")
    return data


def validate_genesis(genesis: dict[str, Any], modules: list[Module]) -> None:
    """Raises GenesisError naming the first problem: chain id, unknown module, bad section."""
    chain_id = genesis.get("chain_id")
    if not isinstance(chain_id, str) or not chain_id or len(chain_id) > 50:
        raise GenesisError("chain_id must be a non-empty string of at most 50 characters")
    app_state = genesis.get("app_state", {})
    if not isinstance(app_state, dict):
        raise GenesisError("app_state must be a JSON object")
    try:
        evidence = EvidenceParams.from_genesis(genesis)
    except ValueError as error:
        raise GenesisError(str(error)) from None
    known = {module.name for module in modules}
    for name in sorted(app_state):
        if name not in known:
            raise GenesisError(
                f"app_state.{name}: no such module (known: {', '.join(sorted(known))})"
            )
    for module in modules:
        state = app_state.get(module.name) or module.default_genesis()
        try:
            module.validate_genesis(state)
            module.validate_evidence_age(state, evidence)
        except AppError as error:
            raise GenesisError(f"app_state.{module.name}: {error.log}") from None
        except (KeyError, TypeError, ValueError) as error:
            raise GenesisError(f"app_state.{module.name}: malformed ({error!r})") from None


def write_genesis(path: Path, genesis: dict[str, Any]) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(genesis, indent=2) + "\n")
    temporary.replace(path)


def sign_gentx(operator: PrivateKey, message: Message, chain_id: str, memo: str) -> bytes:
    """A genesis transaction: message signed by operator with account number and sequence 0
    and no fee."""
    return build_and_sign(
        operator,
        [message],
        chain_id=chain_id,
        account_number=0,
        sequence=0,
        fee=Coins(),
        gas_limit=GENTX_GAS,
        memo=memo,
    )


def write_gentx(config_dir: Path, raw: bytes, name: str) -> Path:
    """Save a gentx as CONFIG/gentx/gentx-NAME.json, where `collect-gentxs` looks."""
    directory = config_dir / "gentx"
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


def has_balance(genesis: dict[str, Any], address: str) -> bool:
    balances = genesis.get("app_state", {}).get("bank", {}).get("balances", [])
    return any(entry["address"] == address for entry in balances)
