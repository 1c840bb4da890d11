"""A module's params under one store key, as canonical JSON (sorted keys): the one way every
module reads and writes them, so none decodes its own bytes differently."""

from __future__ import annotations

import functools
import json
from typing import Any, Protocol, Self, TypeVar

from google.protobuf import json_format
from google.protobuf.message import Message

from chain.store import KVStore


class Params(Protocol):
    """What a module's Params dataclass offers: defaults from its constructor and JSON both ways."""

    def to_json(self) -> dict[str, Any]: ...

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self: ...


ParamsT = TypeVar("ParamsT", bound=Params)
ResponseT = TypeVar("ResponseT", bound=Message)


def get_params(store: KVStore, key: bytes, params_class: type[ParamsT]) -> ParamsT:
    """The params stored at key, or params_class's defaults before genesis wrote any."""
    raw = store.get(key)
    return _decode(params_class, raw) if raw else params_class()


def set_params(store: KVStore, key: bytes, params: Params) -> None:
    store.set(key, json.dumps(params.to_json(), sort_keys=True).encode())


@functools.lru_cache(maxsize=32)
def _decode(params_class: type[ParamsT], raw: bytes) -> ParamsT:
    """Params are read by every tx; decoding the same bytes once is enough (Params are frozen)."""
    return params_class.from_json(json.loads(raw))


def params_response(params: Params, response_class: type[ResponseT]) -> ResponseT:
    """A module's own Params query answer (gpuchain.<module>.v1): the params in their genesis
    JSON form as the response's `params`, whose proto declares the same fields."""
    return json_format.ParseDict({"params": params.to_json()}, response_class())
