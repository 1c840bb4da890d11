"""List queries answer a page at a time, with Cosmos's `pagination` fields: a client walks
every entry exactly once by following next_key, and no request can ask for everything."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chain_fixtures import ALICE, BOB, CAROL
from hypothesis import given
from hypothesis import strategies as st
from staking_helpers import consensus_address, consensus_key, create_validator, delegate

from chain.app import Application
from chain.errors import AppError
from chain.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, PageRequest, paginate
from chain.pb.cosmos.bank.v1beta1 import query_pb2 as bank_query
from chain.pb.cosmos.base.query.v1beta1 import pagination_pb2
from chain.pb.gpuchain.base.v1 import query_pb2
from chain.pb.tendermint.abci import types_pb2 as abci
from chain.store import MemoryStore
from chain.testing import TestNode, genesis_state, vote

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


@pytest.mark.parametrize(
    ("pagination", "words"),
    [
        ({"key": "AQ==", "offset": "1"}, "either key or offset"),
        ({"key": "not base64!"}, "not base64"),
        ({"limit": "-1"}, "unsigned 64-bit integer"),
        ({"limit": str(2**64)}, "unsigned 64-bit integer"),
        ({"limit": True}, "unsigned integer"),
        ({"count_total": "yes"}, "true or false"),
        ({"page": "2"}, "unknown field 'page'"),
        ("100", "must be a JSON object"),
    ],
)
def test_a_malformed_page_request_is_refused_naming_the_field(pagination: Any, words: str) -> None:
    with pytest.raises(AppError) as refused:
        PageRequest.from_json({"pagination": pagination})

    assert (refused.value.kind.codespace, refused.value.kind.code) == ("sdk", 18)
    assert words in refused.value.log


def test_a_page_request_survives_json_and_protobuf() -> None:
    request = PageRequest(key=b"\x00\xff", limit=7, count_total=True, reverse=True)

    assert PageRequest.from_json({"pagination": request.to_json()}) == request
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


def json_ask(app: Application, path: str, arguments: dict[str, Any]) -> Any:
    answer = ask(app, path, query_pb2.JsonRequest(json=json.dumps(arguments).encode()))
    assert answer.code == 0, answer.log
    return json.loads(query_pb2.JsonResponse.FromString(answer.value).json)


@pytest.mark.parametrize(
    ("path", "arguments", "listed"),
    [
        ("/gpuchain.staking.v1.Query/Validators", {}, "validators"),
        (
            "/gpuchain.staking.v1.Query/Delegations",
            {"delegator": ALICE.bech32_address},
            "delegations",
        ),
        ("/gpuchain.slashing.v1.Query/SigningInfos", {}, "signing_infos"),
    ],
)
def test_json_list_queries_page_with_next_key(
    node: TestNode, path: str, arguments: dict[str, Any], listed: str
) -> None:
    everything = json_ask(node.app, path, {**arguments, "pagination": {"count_total": True}})
    first = json_ask(node.app, path, {**arguments, "pagination": {"limit": "2"}})
    rest = json_ask(
        node.app,
        path,
        {**arguments, "pagination": {"key": first["pagination"]["next_key"], "limit": "2"}},
    )
    backwards = json_ask(node.app, path, {**arguments, "pagination": {"reverse": True}})

    assert len(everything[listed]) == 3
    assert everything["pagination"] == {"next_key": None, "total": "3"}
    assert first[listed] + rest[listed] == everything[listed]
    assert first["pagination"]["next_key"] and rest["pagination"]["next_key"] is None
    assert backwards[listed] == everything[listed][::-1]


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


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nests deeper than"),
        (json.dumps({"pagination": {"key": [[[[[[[[["deep"]]]]]]]]]}}).encode(), "nests deeper"),
        (b"{not json", "is not JSON"),
        (b"\xff\xfe", "is not JSON"),
        (b"[]", "must be a JSON object"),
    ],
)
def test_malformed_or_deep_json_queries_get_an_error_code_and_one_log_line(
    node: TestNode, caplog: pytest.LogCaptureFixture, data: bytes, words: str
) -> None:
    caplog.set_level(logging.INFO)

    answer = ask(
        node.app, "/gpuchain.staking.v1.Query/Validators", query_pb2.JsonRequest(json=data)
    )

    assert (answer.codespace, answer.code) == ("sdk", 18)
    assert words in answer.log and "\n" not in answer.log
    logged = [record for record in caplog.records if "Validators" in record.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info is None
