"""List queries answer a page at a time, with Cosmos's `pagination` fields: a client walks
every entry exactly once by following next_key, and no request can ask for everything."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from chain_fixtures import ALICE, BOB, CAROL
from google.protobuf.message import Message
from hypothesis import given
from hypothesis import strategies as st
from staking_helpers import consensus_address, consensus_key, create_validator, delegate

from chain.app import Application
from chain.errors import AppError
from chain.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Page,
    PageRequest,
    paginate,
    paginate_items,
)
from chain.pb.cosmos.auth.v1beta1 import query_pb2 as auth_query
from chain.pb.cosmos.bank.v1beta1 import query_pb2 as bank_query
from chain.pb.cosmos.base.query.v1beta1 import pagination_pb2
from chain.pb.cosmos.slashing.v1beta1 import query_pb2 as slashing_query
from chain.pb.cosmos.staking.v1beta1 import query_pb2 as staking_query
from chain.pb.cosmos.staking.v1beta1 import staking_pb2
from chain.pb.gpuchain.slashing.v1 import query_pb2 as gpuchain_slashing_query
from chain.pb.tendermint.abci import types_pb2 as abci
from chain.store import MemoryStore
from chain.testing import TestNode, genesis_state, vote

M = TypeVar("M", bound=Message)
PREFIX = b"\x07\x01"
POWER = 1_000_000


def store_with(suffixes: set[bytes]) -> MemoryStore:
    """suffixes under PREFIX, plus neighbours on both sides that no page may include."""
    items = {PREFIX + suffix: suffix for suffix in suffixes}
    items[b"\x07\x00\xff"] = b"before"
    items[b"\x07\x02"] = b"after"
    return MemoryStore(items)


def walk(store: MemoryStore, limit: int, reverse: bool) -> list[list[bytes]]:
    """Every page, following next_key until it is empty."""
    pages = []
    key = b""
    while True:
        page = paginate(
            store, PREFIX, PageRequest(key=key, limit=limit, reverse=reverse), lambda k, _: k
        )
        pages.append(page.items)
        if not page.next_key:
            return pages
        key = page.next_key


suffix_sets = st.sets(st.binary(min_size=1, max_size=3), max_size=30)


@given(suffixes=suffix_sets, limit=st.integers(1, 7), reverse=st.booleans())
def test_following_next_key_lists_every_entry_once_in_order(
    suffixes: set[bytes], limit: int, reverse: bool
) -> None:
    pages = walk(store_with(suffixes), limit, reverse)

    assert [key for page in pages for key in page] == sorted(suffixes, reverse=reverse)
    assert all(len(page) <= limit for page in pages)
    assert all(pages[:-1]), "only the last page may be empty"


@given(suffixes=suffix_sets, offset=st.integers(0, 35), limit=st.integers(1, 7))
def test_an_offset_skips_entries_and_count_total_counts_them_all(
    suffixes: set[bytes], offset: int, limit: int
) -> None:
    request = PageRequest(offset=offset, limit=limit, count_total=True)

    page = paginate(store_with(suffixes), PREFIX, request, lambda k, _: k)

    ordered = sorted(suffixes)
    assert page.items == ordered[offset : offset + limit]
    assert page.total == len(suffixes)
    assert page.next_key == (ordered[offset + limit] if offset + limit < len(ordered) else b"")


def test_limit_defaults_to_100_and_is_cut_to_the_maximum() -> None:
    store = store_with({index.to_bytes(2, "big") for index in range(MAX_LIMIT + 5)})

    default = paginate(store, PREFIX, PageRequest(), lambda k, _: k)
    huge = paginate(store, PREFIX, PageRequest(limit=10**9), lambda k, _: k)

    assert len(default.items) == DEFAULT_LIMIT and default.next_key
    assert len(huge.items) == MAX_LIMIT and huge.next_key == MAX_LIMIT.to_bytes(2, "big")
    assert default.total == 0, "nothing is counted unless asked for"


@given(
    suffixes=suffix_sets, offset=st.integers(0, 35), limit=st.integers(1, 7), reverse=st.booleans()
)
def test_a_list_built_in_memory_pages_as_the_store_does(
    suffixes: set[bytes], offset: int, limit: int, reverse: bool
) -> None:
    ordered = sorted(suffixes)
    first = PageRequest(offset=offset, limit=limit, count_total=True, reverse=reverse)
    from_store = paginate(store_with(suffixes), PREFIX, first, lambda k, _: k)
    in_memory = paginate_items([(key, key) for key in ordered], first)
    assert in_memory == from_store
    if from_store.next_key:
        following = PageRequest(key=from_store.next_key, limit=limit, reverse=reverse)
        assert paginate_items([(key, key) for key in ordered], following) == paginate(
            store_with(suffixes), PREFIX, following, lambda k, _: k
        )


@pytest.mark.parametrize(
    ("pagination", "words"),
    [
        (pagination_pb2.PageRequest(key=b"\x01", offset=1), "either key or offset"),
        (pagination_pb2.PageRequest(key=b"\x01" * 1025), "longer than 1024 bytes"),
    ],
)
def test_a_malformed_page_request_is_refused_naming_the_field(
    pagination: pagination_pb2.PageRequest, words: str
) -> None:
    with pytest.raises(AppError) as refused:
        PageRequest.from_proto(pagination)

    assert (refused.value.kind.codespace, refused.value.kind.code) == ("sdk", 18)
    assert words in refused.value.log


def test_a_page_request_survives_protobuf() -> None:
    request = PageRequest(key=b"\x00\xff", limit=7, count_total=True, reverse=True)

    assert PageRequest.from_proto(request.to_proto()) == request
    assert Page([], b"\x01", 3).to_json() == {"next_key": "AQ==", "total": "3"}
    assert Page([]).to_json() == {"next_key": None, "total": "0"}


# --- through the application's Query ---------------------------------------------------


@pytest.fixture
def node(tmp_path: Path) -> Iterator[TestNode]:
    """Three validators (ALICE, BOB, CAROL) that have signed a block, and ALICE delegating
    to all three."""
    test_node = TestNode(tmp_path / "node")
    funds = "10000000000ugpc,5uatom,6ubtc,7ueth"
    test_node.init_chain(genesis_state({k.bech32_address: funds for k in (ALICE, BOB, CAROL)}))
    test_node.block()
    creations = [
        test_node.sign(key, [create_validator(key, consensus_key(seed), POWER)], gas=400_000)
        for seed, key in enumerate((ALICE, BOB, CAROL), start=1)
    ]
    assert all(r.code == 0 for r in test_node.block(creations).tx_results)
    delegations = test_node.sign(
        ALICE, [delegate(ALICE, BOB, POWER), delegate(ALICE, CAROL, POWER)], gas=800_000
    )
    assert test_node.block([delegations]).tx_results[0].code == 0
    test_node.block(votes=[vote(consensus_address(consensus_key(seed)), 1) for seed in (1, 2, 3)])
    yield test_node
    test_node.close()


def ask(app: Application, path: str, request: Any) -> abci.ResponseQuery:
    return app.query(abci.RequestQuery(path=path, data=request.SerializeToString()))


def typed_ask(app: Application, path: str, request: Message, response_class: type[M]) -> M:
    answer = ask(app, path, request)
    assert answer.code == 0, answer.log
    return response_class.FromString(answer.value)


def listed(response: Message) -> list[Message]:
    """The entries of a list query's answer (its one repeated field)."""
    (field,) = [f for f in response.DESCRIPTOR.fields if f.is_repeated]
    return list(getattr(response, field.name))


LIST_QUERIES = [
    (
        "/cosmos.staking.v1beta1.Query/Validators",
        staking_query.QueryValidatorsRequest(),
        staking_query.QueryValidatorsResponse,
    ),
    (
        "/cosmos.staking.v1beta1.Query/DelegatorDelegations",
        staking_query.QueryDelegatorDelegationsRequest(delegator_addr=ALICE.bech32_address),
        staking_query.QueryDelegatorDelegationsResponse,
    ),
    (
        "/cosmos.slashing.v1beta1.Query/SigningInfos",
        slashing_query.QuerySigningInfosRequest(),
        slashing_query.QuerySigningInfosResponse,
    ),
    (
        "/gpuchain.slashing.v1.Query/SigningInfos",
        gpuchain_slashing_query.QuerySigningInfosRequest(),
        gpuchain_slashing_query.QuerySigningInfosResponse,
    ),
    (
        "/cosmos.auth.v1beta1.Query/Accounts",
        auth_query.QueryAccountsRequest(),
        auth_query.QueryAccountsResponse,
    ),
]


@pytest.mark.parametrize(("path", "request_message", "response_class"), LIST_QUERIES)
def test_typed_list_queries_page_with_next_key(
    node: TestNode, path: str, request_message: Message, response_class: type[Message]
) -> None:
    def page(**fields: Any) -> Message:
        request = type(request_message)()
        request.CopyFrom(request_message)
        request.pagination.CopyFrom(pagination_pb2.PageRequest(**fields))  # type: ignore[attr-defined]
        return typed_ask(node.app, path, request, response_class)

    everything = page(count_total=True)
    count = len(listed(everything))
    first = page(limit=2)
    rest = page(key=first.pagination.next_key, limit=count)  # type: ignore[attr-defined]
    backwards = page(reverse=True)

    assert count >= 3 and everything.pagination.total == count  # type: ignore[attr-defined]
    assert not everything.pagination.next_key  # type: ignore[attr-defined]
    assert listed(first) + listed(rest) == listed(everything)
    assert first.pagination.next_key and not rest.pagination.next_key  # type: ignore[attr-defined]
    assert listed(backwards) == listed(everything)[::-1]


def test_validators_filtered_by_status_page_over_that_status_only(node: TestNode) -> None:
    bonded = typed_ask(
        node.app,
        "/cosmos.staking.v1beta1.Query/Validators",
        staking_query.QueryValidatorsRequest(
            status="BOND_STATUS_BONDED", pagination=pagination_pb2.PageRequest(count_total=True)
        ),
        staking_query.QueryValidatorsResponse,
    )
    unbonded = typed_ask(
        node.app,
        "/cosmos.staking.v1beta1.Query/Validators",
        staking_query.QueryValidatorsRequest(status="BOND_STATUS_UNBONDED"),
        staking_query.QueryValidatorsResponse,
    )
    refused = ask(
        node.app,
        "/cosmos.staking.v1beta1.Query/Validators",
        staking_query.QueryValidatorsRequest(status="BONDED"),
    )

    assert len(bonded.validators) == bonded.pagination.total == 3
    assert {v.status for v in bonded.validators} == {staking_pb2.BOND_STATUS_BONDED}
    assert list(unbonded.validators) == []
    assert (refused.codespace, refused.code) == ("sdk", 18)
    assert "BOND_STATUS_BONDED" in refused.log


def test_bank_list_queries_page_with_cosmos_page_fields(node: TestNode) -> None:
    pages = []
    request = pagination_pb2.PageRequest(limit=3, count_total=True)
    while True:
        answer = ask(
            node.app,
            "/cosmos.bank.v1beta1.Query/AllBalances",
            bank_query.QueryAllBalancesRequest(address=BOB.bech32_address, pagination=request),
        )
        assert answer.code == 0, answer.log
        page = bank_query.QueryAllBalancesResponse.FromString(answer.value)
        pages.append([coin.denom for coin in page.balances])
        if not page.pagination.next_key:
            break
        request = pagination_pb2.PageRequest(limit=3, key=page.pagination.next_key)
    supply = ask(
        node.app,
        "/cosmos.bank.v1beta1.Query/TotalSupply",
        bank_query.QueryTotalSupplyRequest(pagination=pagination_pb2.PageRequest(limit=1)),
    )

    assert pages == [["uatom", "ubtc", "ueth"], ["ugpc"]]
    first = bank_query.QueryTotalSupplyResponse.FromString(supply.value)
    assert [coin.denom for coin in first.supply] == ["uatom"]
    assert base64.b64encode(first.pagination.next_key) == base64.b64encode(b"ubtc")
