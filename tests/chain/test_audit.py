"""Audited attributes end to end, in process over real LevelDB: any account vouches for
attributes of an existing provider; records are kept per (provider, auditor) and are
readable by provider, by pair and by auditor."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from chain_fixtures import ALICE, BOB, CAROL, Chain
from provider_helpers import create, deliver, events_of, provider_chain

from chain.pb.gpuchain.audit.v1 import query_pb2
from chain.testing import TestNode
from x.audit.msgs import delete_attributes_msg, sign_attributes_msg
from x.audit.queries import (
    AUDITOR_ATTRIBUTES_PATH,
    PROVIDER_ATTRIBUTES_PATH,
    PROVIDER_AUDITOR_PATH,
)


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Chain]:
    funded = provider_chain(tmp_path / "node")
    assert deliver(funded, ALICE, create(ALICE)).code == 0
    yield funded
    funded.node.close()


def signed(chain: Chain, owner: str = ALICE.bech32_address) -> dict[str, dict[str, str]]:
    """auditor → {key: value} for every auditor of owner."""
    response = chain.node.query(
        PROVIDER_ATTRIBUTES_PATH,
        query_pb2.QueryProviderAttributesRequest(owner=owner),
        query_pb2.QueryAttributesResponse(),
    )
    return {r.auditor: {a.key: a.value for a in r.attributes} for r in response.attributes}


def sign(auditor: str, *pairs: tuple[str, str], owner: str = ALICE.bech32_address) -> object:
    return sign_attributes_msg(owner, auditor, list(pairs))


def test_auditors_sign_attributes_per_provider(chain: Chain) -> None:
    result = deliver(chain, BOB, sign(BOB.bech32_address, ("tier", "gold"), ("gpu", "h100")))
    assert result.code == 0, result.log
    [event] = events_of(result, "audit_attributes_signed")
    assert (event["auditor"], event["keys"]) == (BOB.bech32_address, "gpu,tier")
    assert deliver(chain, CAROL, sign(CAROL.bech32_address, ("tier", "silver"))).code == 0
    assert signed(chain) == {
        BOB.bech32_address: {"gpu": "h100", "tier": "gold"},
        CAROL.bech32_address: {"tier": "silver"},
    }
    # signing again replaces the values of the same keys and keeps the others
    assert deliver(chain, BOB, sign(BOB.bech32_address, ("tier", "platinum"))).code == 0
    assert signed(chain)[BOB.bech32_address] == {"gpu": "h100", "tier": "platinum"}
    pair = chain.node.query(
        PROVIDER_AUDITOR_PATH,
        query_pb2.QueryProviderAuditorRequest(
            owner=ALICE.bech32_address, auditor=CAROL.bech32_address
        ),
        query_pb2.QueryAttributesResponse(),
    )
    assert [(a.key, a.value) for a in pair.attributes[0].attributes] == [("tier", "silver")]
    by_auditor = chain.node.query(
        AUDITOR_ATTRIBUTES_PATH,
        query_pb2.QueryAuditorAttributesRequest(auditor=BOB.bech32_address),
        query_pb2.QueryAttributesResponse(),
    )
    assert [r.owner for r in by_auditor.attributes] == [ALICE.bech32_address]


def test_signing_on_an_account_that_is_not_a_provider_fails(chain: Chain) -> None:
    result = deliver(
        chain, BOB, sign(BOB.bech32_address, ("tier", "gold"), owner=CAROL.bech32_address)
    )
    assert (result.codespace, result.code) == ("audit", 3), result.log
    assert signed(chain, CAROL.bech32_address) == {}


def test_signing_needs_valid_attributes(chain: Chain) -> None:
    result = deliver(chain, BOB, sign(BOB.bech32_address, ("tier", "")))
    assert (result.codespace, result.code) == ("audit", 2), result.log
    assert "value is empty" in result.log
    empty = deliver(chain, BOB, sign(BOB.bech32_address))
    assert (empty.codespace, empty.code) == ("audit", 2)


def test_only_the_auditor_signs_for_itself(chain: Chain) -> None:
    result = deliver(chain, BOB, sign(CAROL.bech32_address, ("tier", "gold")))
    assert (result.codespace, result.code) == ("sdk", 4), result.log
    assert f"must be signed by {CAROL.bech32_address}" in result.log
    assert signed(chain) == {}


def test_delete_named_keys_then_all(chain: Chain) -> None:
    pairs = (("tier", "gold"), ("gpu", "h100"), ("region", "eu"))
    assert deliver(chain, BOB, sign(BOB.bech32_address, *pairs)).code == 0
    some = deliver(
        chain, BOB, delete_attributes_msg(ALICE.bech32_address, BOB.bech32_address, ["gpu"])
    )
    assert some.code == 0, some.log
    assert events_of(some, "audit_attributes_deleted")[0]["keys"] == "gpu"
    assert signed(chain) == {BOB.bech32_address: {"region": "eu", "tier": "gold"}}
    everything = deliver(
        chain, BOB, delete_attributes_msg(ALICE.bech32_address, BOB.bech32_address)
    )
    assert everything.code == 0, everything.log
    assert signed(chain) == {}


def test_delete_of_a_key_never_signed_fails(chain: Chain) -> None:
    assert deliver(chain, BOB, sign(BOB.bech32_address, ("tier", "gold"))).code == 0
    result = deliver(
        chain, BOB, delete_attributes_msg(ALICE.bech32_address, BOB.bech32_address, ["gpu"])
    )
    assert (result.codespace, result.code) == ("audit", 5), result.log
    nothing = deliver(
        chain, CAROL, delete_attributes_msg(ALICE.bech32_address, CAROL.bech32_address)
    )
    assert (nothing.codespace, nothing.code) == ("audit", 4), nothing.log
    assert signed(chain) == {BOB.bech32_address: {"tier": "gold"}}


def test_genesis_export_then_import_is_the_identity(chain: Chain, tmp_path: Path) -> None:
    assert deliver(chain, BOB, sign(BOB.bech32_address, ("tier", "gold"))).code == 0
    assert deliver(chain, CAROL, sign(CAROL.bech32_address, ("gpu", "h100"))).code == 0
    exported = chain.node.app.export_genesis()
    assert len(exported["audit"]["attributes"]) == 2
    copy = TestNode(tmp_path / "copy")
    try:
        copy.init_chain(exported)
        copy.block()
        assert copy.app.export_genesis()["audit"] == exported["audit"]
        assert copy.app.export_genesis()["provider"] == exported["provider"]
    finally:
        copy.close()
