"""slashing queries over committed state, answered as canonical JSON (gpuchain.base.v1)."""

from __future__ import annotations

from typing import Any

from chain.errors import INVALID_ADDRESS, INVALID_REQUEST
from chain.module import QueryRoute, json_route
from chain.msgs import validator_address
from chain.pagination import PageRequest, paginate
from chain.store import KVStore
from x.slashing import keys
from x.slashing.errors import NO_SIGNING_INFO, UNKNOWN_VALIDATOR
from x.slashing.keeper import SlashingKeeper
from x.slashing.types import SigningInfo

SERVICE = "/gpuchain.slashing.v1.Query/"


def signing_info_json(info: SigningInfo) -> dict[str, Any]:
    return info.to_json()


def _consensus_address(keeper: SlashingKeeper, store: KVStore, arguments: dict[str, Any]) -> bytes:
    """From {"consensus_address": hex} or {"validator": gpuvaloper1…}."""
    if "consensus_address" in arguments:
        text = str(arguments["consensus_address"])
        try:
            address = bytes.fromhex(text)
        except ValueError:
            raise INVALID_ADDRESS(f"consensus_address {text!r} is not hex") from None
        if len(address) != 20:
            raise INVALID_ADDRESS(f"consensus_address is {len(address)} bytes, expected 20")
        return address
    if "validator" in arguments:
        operator = validator_address(str(arguments["validator"]), "validator")
        validator = keeper.staking.validator(store, operator)
        if validator is None:
            raise UNKNOWN_VALIDATOR(str(arguments["validator"]))
        return keeper.consensus_address(validator)
    raise INVALID_REQUEST("name a consensus_address (hex) or a validator (gpuvaloper1…)")


def query_routes(keeper: SlashingKeeper) -> list[QueryRoute]:
    def params(store: KVStore, _: dict[str, Any]) -> Any:
        return keeper.params(store).to_json()

    def signing_info(store: KVStore, arguments: dict[str, Any]) -> Any:
        address = _consensus_address(keeper, store, arguments)
        info = keeper.signing_info(store, address)
        if info is None:
            raise NO_SIGNING_INFO(address.hex().upper())
        return signing_info_json(info)

    def signing_infos(store: KVStore, arguments: dict[str, Any]) -> Any:
        """{pagination?} → one page of signing infos in consensus-address order."""
        page = paginate(
            store,
            keys.SIGNING_INFO_PREFIX,
            PageRequest.from_json(arguments),
            lambda _, raw: SigningInfo.decode(raw),
        )
        return {
            "signing_infos": [signing_info_json(info) for info in page.items],
            "pagination": page.to_json(),
        }

    return [
        json_route(SERVICE + "Params", params),
        json_route(SERVICE + "SigningInfo", signing_info),
        json_route(SERVICE + "SigningInfos", signing_infos),
    ]
