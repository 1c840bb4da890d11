"""Genesis files: CometBFT's genesis.json with our modules' `app_state` inside."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chain.context import EvidenceParams
from chain.errors import AppError
from chain.module import Module


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
