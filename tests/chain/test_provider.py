"""Providers end to end, in process over real LevelDB: registering locks collateral in the
provider_collateral account, updates rotate the gateway certificate, deletion pays the
collateral back after the unbonding period. Every invariant is checked after every block
(invariant_check_period=1), so each test also shows the collateral account balances."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from chain_fixtures import ALICE, BOB, CAROL, Chain
from provider_helpers import (
    COLLATERAL,
    FINGERPRINT,
    UNBONDING_BLOCKS,
    create,
    deliver,
    events_of,
    provider_chain,
    provider_genesis,
)

from chain.coins import Coin
from chain.errors import AppError
from chain.pb.gpuchain.provider.v1 import query_pb2
from chain.rest import build_request, rest_routes
from chain.store import KVStore
from chain.testing import TestNode, answer_json
from x.audit.queries import PROVIDER_ATTRIBUTES_PATH as AUDIT_PROVIDER_PATH
from x.provider.keeper import COLLATERAL_ACCOUNT
from x.provider.module import ProviderModule
from x.provider.msgs import add_collateral_msg, delete_provider_msg, update_provider_msg
from x.provider.queries import PARAMS_PATH, PROVIDER_PATH, PROVIDERS_PATH, REPUTATION_PATH


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Chain]:
    funded = provider_chain(tmp_path / "node")
    yield funded
    funded.node.close()


def provider(chain: Chain, owner: str) -> query_pb2.QueryProviderResponse:
    return chain.node.query(
        PROVIDER_PATH,
        query_pb2.QueryProviderRequest(owner=owner),
        query_pb2.QueryProviderResponse(),
    )


def owners_with(chain: Chain, key: str = "", value: str = "") -> list[str]:
    response = chain.node.query(
        PROVIDERS_PATH,
        query_pb2.QueryProvidersRequest(attribute_key=key, attribute_value=value),
        query_pb2.QueryProvidersResponse(),
    )
    return [found.owner for found in response.providers]


def test_create_locks_the_collateral_and_stores_the_provider(chain: Chain) -> None:
    before = chain.balance(ALICE)
    result = deliver(chain, ALICE, create(ALICE))
    assert result.code == 0, result.log
    assert chain.balance(ALICE) == before - COLLATERAL.amount - 4000
    assert chain.balance(COLLATERAL_ACCOUNT.address) == COLLATERAL.amount
    stored = answer_json(provider(chain, ALICE.bech32_address).provider)
    assert stored == {
        "owner": ALICE.bech32_address,
        "host_uri": "https://gpu.example.com:8443",
        "attributes": [{"key": "region", "value": "us-west"}, {"key": "gpu", "value": "h100"}],
        "info": {"email": "ops@example.com", "website": "https://example.com"},
        "cert_fingerprint": FINGERPRINT,
        "collateral": {"denom": "ugpc", "amount": "1000000"},
    }
    [created] = events_of(result, "provider_created")
    assert (created["owner"], created["collateral"]) == (ALICE.bech32_address, "1000000ugpc")


@pytest.mark.parametrize(
    ("message", "code", "fragment"),
    [
        (create(ALICE, collateral=Coin("ugpc", 999_999)), 5, "below the minimum"),
        (create(ALICE, collateral=Coin("uatom", 2_000_000)), 6, "must be in ugpc"),
        (create(ALICE, host="http://gpu.example.com"), 2, "must be a https URL"),
        (create(ALICE, attributes=(("1region", "x"),)), 2, "must start with a letter"),
        (create(ALICE, attributes=(("region", "a"), ("region", "b"))), 2, "listed twice"),
        (create(ALICE, attributes=(("region", "us  west"),)), 2, "printable ASCII"),
        (create(ALICE, fingerprint="AB" * 32), 2, "64 lower-case hex"),
        (create(ALICE, fingerprint="ab" * 31), 2, "64 lower-case hex"),
    ],
)
def test_create_refuses_bad_providers(
    chain: Chain, message: object, code: int, fragment: str
) -> None:
    result = deliver(chain, ALICE, message)  # type: ignore[arg-type]
    assert (result.codespace, result.code) == ("provider", code), result.log
    assert fragment in result.log
    assert chain.balance(COLLATERAL_ACCOUNT.address) == 0


def test_create_refuses_an_owner_without_the_collateral(chain: Chain) -> None:
    result = deliver(chain, BOB, create(BOB))  # bob has 1_000_000 and pays a fee
    assert result.code == 5 and "insufficient funds" in result.log
    assert owners_with(chain) == []


def test_create_refuses_an_existing_provider(chain: Chain) -> None:
    assert deliver(chain, ALICE, create(ALICE)).code == 0
    result = deliver(chain, ALICE, create(ALICE))
    assert (result.codespace, result.code) == ("provider", 3)
    assert chain.balance(COLLATERAL_ACCOUNT.address) == COLLATERAL.amount


def test_update_rotates_the_certificate_and_reindexes_attributes(chain: Chain) -> None:
    assert deliver(chain, ALICE, create(ALICE)).code == 0
    assert deliver(chain, CAROL, create(CAROL, attributes=(("region", "eu"),))).code == 0
    assert owners_with(chain, "region", "us-west") == [ALICE.bech32_address]
    update = update_provider_msg(
        ALICE.bech32_address,
        "https://new.example.com",
        [("region", "eu")],
        cert_fingerprint="cd" * 32,
    )
    result = deliver(chain, ALICE, update)
    assert result.code == 0, result.log
    stored = provider(chain, ALICE.bech32_address).provider
    assert (stored.host_uri, stored.cert_fingerprint) == ("https://new.example.com", "cd" * 32)
    assert stored.collateral.amount == str(COLLATERAL.amount)
    assert owners_with(chain, "region", "us-west") == []
    assert sorted(owners_with(chain, "region", "eu")) == sorted(
        [ALICE.bech32_address, CAROL.bech32_address]
    )
    assert events_of(result, "provider_updated")[0]["cert_fingerprint"] == "cd" * 32


def test_update_of_an_unknown_provider_fails(chain: Chain) -> None:
    result = deliver(chain, ALICE, update_provider_msg(ALICE.bech32_address, "https://a.b", []))
    assert (result.codespace, result.code) == ("provider", 4)


def test_add_collateral_locks_more(chain: Chain) -> None:
    assert deliver(chain, ALICE, create(ALICE)).code == 0
    result = deliver(chain, ALICE, add_collateral_msg(ALICE.bech32_address, Coin("ugpc", 500)))
    assert result.code == 0, result.log
    assert provider(chain, ALICE.bech32_address).provider.collateral.amount == "1000500"
    assert chain.balance(COLLATERAL_ACCOUNT.address) == 1_000_500
    wrong = deliver(chain, ALICE, add_collateral_msg(ALICE.bech32_address, Coin("uatom", 5)))
    assert (wrong.codespace, wrong.code) == ("provider", 6)


def test_delete_pays_the_collateral_back_after_the_unbonding_period(chain: Chain) -> None:
    assert deliver(chain, ALICE, create(ALICE)).code == 0
    result = deliver(chain, ALICE, delete_provider_msg(ALICE.bech32_address))
    assert result.code == 0, result.log
    release_at = chain.node.height + UNBONDING_BLOCKS
    assert events_of(result, "provider_deleted")[0]["release_height"] == str(release_at)
    assert owners_with(chain) == [] and owners_with(chain, "region", "us-west") == []
    pending = provider(chain, ALICE.bech32_address)
    assert not pending.HasField("provider")
    assert [(r.completion_height, r.amount.amount) for r in pending.releases] == [
        (release_at, "1000000")
    ]
    before = chain.balance(ALICE)
    while chain.node.height < release_at - 1:
        chain.node.block()
        assert chain.balance(ALICE) == before
    paid = chain.node.block()
    assert chain.balance(ALICE) == before + COLLATERAL.amount
    assert chain.balance(COLLATERAL_ACCOUNT.address) == 0
    [released] = events_of(paid, "provider_collateral_released")
    assert (released["owner"], released["amount"]) == (ALICE.bech32_address, "1000000ugpc")


class Leases:
    def has_obligations(self, store: KVStore, provider: bytes) -> str | None:
        return "1 active lease"


def test_delete_is_refused_while_an_obligation_hook_objects(tmp_path: Path) -> None:
    chain = provider_chain(tmp_path / "node")
    try:
        chain.node.modules.get(ProviderModule).keeper.obligations.append(Leases())
        assert deliver(chain, ALICE, create(ALICE)).code == 0
        result = deliver(chain, ALICE, delete_provider_msg(ALICE.bech32_address))
        assert (result.codespace, result.code) == ("provider", 7)
        assert "1 active lease" in result.log
        assert owners_with(chain) == [ALICE.bech32_address]
    finally:
        chain.node.close()


def test_params_default_to_a_local_minimum(chain: Chain) -> None:
    response = chain.node.query(
        PARAMS_PATH, query_pb2.QueryParamsRequest(), query_pb2.QueryParamsResponse()
    )
    minimum = response.params.min_provider_collateral
    assert (minimum.denom, minimum.amount) == ("ugpc", "1000000")


def test_genesis_export_then_import_is_the_identity(chain: Chain, tmp_path: Path) -> None:
    assert deliver(chain, ALICE, create(ALICE)).code == 0
    assert deliver(chain, CAROL, create(CAROL, fingerprint="")).code == 0
    assert deliver(chain, CAROL, delete_provider_msg(CAROL.bech32_address)).code == 0
    exported = chain.node.app.export_genesis()
    assert len(exported["provider"]["providers"]) == 1
    assert len(exported["provider"]["releases"]) == 1
    copy = TestNode(tmp_path / "copy")
    try:
        copy.init_chain(exported)  # invariants are checked on the imported state too
        copy.block()
        assert copy.app.export_genesis()["provider"] == exported["provider"]
    finally:
        copy.close()


def test_genesis_with_a_bad_provider_is_refused(tmp_path: Path) -> None:
    state = provider_genesis()
    state["provider"]["providers"] = [{"owner": ALICE.bech32_address, "host_uri": "ftp://x"}]
    node = TestNode(tmp_path / "bad")
    try:
        with pytest.raises(AppError, match=r"provider.providers\[0\]"):
            node.init_chain(state)
    finally:
        node.close()


def test_rest_paths_reach_the_typed_queries(chain: Chain) -> None:
    assert deliver(chain, ALICE, create(ALICE)).code == 0
    routes = {
        route.template: route
        for route in rest_routes(
            found for module in chain.node.modules.in_order() for found in module.query_routes()
        )
    }
    served = {template: route.route.path for template, route in routes.items()}
    assert {
        "/gpuchain/provider/v1/providers": PROVIDERS_PATH,
        "/gpuchain/provider/v1/providers/{owner}": PROVIDER_PATH,
        "/gpuchain/provider/v1/params": PARAMS_PATH,
        "/gpuchain/provider/v1/providers/{provider}/reputation": REPUTATION_PATH,
        "/gpuchain/audit/v1/providers/{owner}": AUDIT_PROVIDER_PATH,
    }.items() <= served.items()
    listing = routes["/gpuchain/provider/v1/providers"].route
    request = build_request(
        listing, {}, [("attribute_key", "gpu"), ("attribute_value", "h100")], None
    )
    reader, _, _ = chain.node.app.store.query_view()
    answer = listing.handler(reader, request)
    assert [found.owner for found in answer.providers] == [ALICE.bech32_address]


def test_an_owner_who_leaves_twice_gets_both_collaterals_back(chain: Chain) -> None:
    assert deliver(chain, ALICE, create(ALICE)).code == 0
    assert deliver(chain, ALICE, delete_provider_msg(ALICE.bech32_address)).code == 0
    first_at = chain.node.height + UNBONDING_BLOCKS
    assert deliver(chain, ALICE, create(ALICE, collateral=Coin("ugpc", 3_000_000))).code == 0
    assert deliver(chain, ALICE, delete_provider_msg(ALICE.bech32_address)).code == 0
    second_at = chain.node.height + UNBONDING_BLOCKS
    pending = provider(chain, ALICE.bech32_address).releases
    assert [(r.completion_height, r.amount.amount) for r in pending] == [
        (first_at, "1000000"),
        (second_at, "3000000"),
    ]
    before = chain.balance(ALICE)
    while chain.node.height < second_at:
        chain.node.block()
    assert chain.balance(ALICE) == before + 4_000_000
    with pytest.raises(AssertionError, match="provider/4"):
        provider(chain, ALICE.bech32_address)
