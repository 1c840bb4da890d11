"""Pages of list queries, with Cosmos SDK's `pagination` fields and semantics.

A request names where to start (`key`: the `next_key` of the previous page, or `offset`:
how many entries to skip, not both), how many entries it wants (`limit`: DEFAULT_LIMIT when
0, at most MAX_LIMIT, a larger one is cut to MAX_LIMIT), whether to count every entry
(`count_total`, only with an offset, as in Cosmos) and the direction (`reverse`). The answer
carries `next_key` (empty when nothing follows) and `total` (0 unless counted).

Unlike Cosmos, leaving `limit` at 0 does not imply `count_total`: counting reads every
entry under the prefix, so a client must ask for it.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from chain.errors import INVALID_REQUEST
from chain.pb.cosmos.base.query.v1beta1 import pagination_pb2
from chain.store import KVStore, prefix_end

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_KEY_BYTES = 1024

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    key: bytes = b""
    offset: int = 0
    limit: int = 0
    count_total: bool = False
    reverse: bool = False

    def __post_init__(self) -> None:
        if self.key and self.offset:
            raise INVALID_REQUEST("pagination: give either key or offset, not both")
        if len(self.key) > MAX_KEY_BYTES:
            raise INVALID_REQUEST(f"pagination: key is longer than {MAX_KEY_BYTES} bytes")

    @property
    def page_size(self) -> int:
        return min(self.limit or DEFAULT_LIMIT, MAX_LIMIT)

    def to_proto(self) -> pagination_pb2.PageRequest:
        return pagination_pb2.PageRequest(
            key=self.key,
            offset=self.offset,
            limit=self.limit,
            count_total=self.count_total,
            reverse=self.reverse,
        )

    @classmethod
    def from_proto(cls, message: pagination_pb2.PageRequest) -> PageRequest:
        """From a typed request's `pagination` field; raises INVALID_REQUEST."""
        return cls(
            key=bytes(message.key),
            offset=message.offset,
            limit=message.limit,
            count_total=message.count_total,
            reverse=message.reverse,
        )


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of entries, the key to ask for the next one (empty: none), and the count of
    every entry when the request asked for it (else 0)."""

    items: list[T]
    next_key: bytes = b""
    total: int = 0

    def to_json(self) -> dict[str, Any]:
        """As Cosmos's gRPC-gateway writes a PageResponse."""
        return {
            "next_key": base64.b64encode(self.next_key).decode() if self.next_key else None,
            "total": str(self.total),
        }

    def to_proto(self) -> pagination_pb2.PageResponse:
        return pagination_pb2.PageResponse(next_key=self.next_key, total=self.total)


def paginate(
    store: KVStore,
    prefix: bytes,
    request: PageRequest,
    decode: Callable[[bytes, bytes], T],
    keep: Callable[[bytes], bool] | None = None,
) -> Page[T]:
    """One page of the entries under prefix, each as decode(key after prefix, value); with
    keep, only the entries whose key after prefix it keeps (offset and total count those).

    Reads at most offset + limit + 1 kept entries, or every entry under prefix when the
    request counts them; next_key is the key after prefix of the first entry not returned.
    """
    end = prefix_end(prefix)
    if request.reverse:
        upper = prefix + request.key + b"\x00" if request.key else end
        entries = store.iterate(prefix, upper, reverse=True)
    else:
        entries = store.iterate(prefix + request.key, end)
    rests = ((key[len(prefix) :], value) for key, value in entries)
    if keep is not None:
        rests = (entry for entry in rests if keep(entry[0]))
    return _page(rests, request, decode)


def paginate_items(items: Sequence[tuple[bytes, T]], request: PageRequest) -> Page[T]:
    """One page of a list built in memory, as (key, item) pairs in ascending key order,
    with paginate's semantics (next_key is the key of the first item not returned)."""
    if request.reverse:
        chosen = [pair for pair in reversed(items) if not request.key or pair[0] <= request.key]
    else:
        chosen = [pair for pair in items if pair[0] >= request.key]
    return _page(iter(chosen), request, lambda _, item: item)


def _page(
    entries: Iterator[tuple[bytes, Any]], request: PageRequest, decode: Callable[[bytes, Any], T]
) -> Page[T]:
    items: list[T] = []
    next_key = b""
    count_total = request.count_total and not request.key
    seen = 0
    for key, value in entries:
        seen += 1
        if seen <= request.offset:
            continue
        if len(items) < request.page_size:
            items.append(decode(key, value))
            continue
        if not next_key:
            next_key = key
        if not count_total:
            break
    return Page(items, next_key, seen if count_total else 0)
