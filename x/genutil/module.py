"""Wires genutil: `app_state.genutil.gen_txs` is a list of base64 signed transactions."""

from __future__ import annotations

import base64
import binascii

from chain.errors import INVALID_REQUEST
from chain.module import JsonDict, Module
from chain.store import KVStore


class GenutilModule(Module):
    name = "genutil"

    def default_genesis(self) -> JsonDict:
        return {"gen_txs": []}

    def validate_genesis(self, state: JsonDict) -> None:
        for index, encoded in enumerate(state.get("gen_txs", [])):
            try:
                base64.b64decode(encoded, validate=True)
            except (binascii.Error, TypeError):
                raise INVALID_REQUEST(f"genutil.gen_txs[{index}] is not base64") from None

    def export_genesis(self, store: KVStore) -> JsonDict:
        return {"gen_txs": []}  # an exported chain's validators are in staking's state
