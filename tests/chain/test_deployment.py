"""Deployments end to end in process over real LevelDB: create funds an escrow account, anyone
tops it up, close refunds the rest; groups pause, start and close; every group is re-checked
statelessly. The node checks every invariant after every block (escrow conservation too)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from chain_fixtures import ALICE, BOB, CAROL, Chain, assert_reimports_identically
from google.protobuf.message import Message
from market_helpers import FEE, deliver, ok, ugpc
from market_helpers import gpu_group as market_gpu_group

from chain.coins import Coin
from chain.crypto import PrivateKey, module_address
from chain.errors import AppError
from chain.pb.gpuchain.deployment.v1 import deployment_pb2, query_pb2
from chain.pb.gpuchain.escrow.v1 import query_pb2 as escrow_query_pb2
from chain.pb.tendermint.abci import types_pb2 as abci
from x.deployment import msgs, queries
from x.deployment.cli import read_sdl
from x.deployment.module import DeploymentModule
from x.escrow import queries as escrow_queries

MIN_DEPOSIT = 5_000_000
MANIFEST = bytes(range(32))
GPU_SDL = Path(__file__).resolve().parents[1] / "data" / "deployment" / "gpu_deploy.yaml"
ESCROW = module_address("escrow")


def gpu_group(name: str = "akash", count: int = 1) -> deployment_pb2.GroupSpec:
    """One GPU unit as `tx deployment create` derives it from an SDL file."""
    return market_gpu_group(name, "10000.5", count, any_of=[CAROL.bech32_address], endpoint_kind=1)


def refused(chain: Chain, key: PrivateKey, message: Message) -> tuple[str, int, str]:
    result = deliver(chain, key, message)
    assert result.code != 0
    return result.codespace, result.code, result.log


def create(chain: Chain, dseq: int = 1, deposit: int = MIN_DEPOSIT, groups: int = 2) -> None:
    specs = [gpu_group(f"group{index}") for index in range(groups)]
    ok(chain, ALICE, msgs.create_msg(ALICE.bech32_address, dseq, specs, MANIFEST, ugpc(deposit)))


def deployment(chain: Chain, dseq: int = 1) -> deployment_pb2.Deployment:
    request = query_pb2.QueryDeploymentRequest(owner=ALICE.bech32_address, dseq=dseq)
    return chain.node.query(
        queries.DEPLOYMENT_PATH, request, query_pb2.QueryDeploymentResponse()
    ).deployment


def escrow(chain: Chain, dseq: int = 1) -> escrow_query_pb2.Account:
    request = escrow_query_pb2.QueryBalanceRequest(owner=ALICE.bech32_address, dseq=dseq)
    return chain.node.query(
        escrow_queries.BALANCE_PATH, request, escrow_query_pb2.QueryBalanceResponse()
    ).account


def event_types(result: abci.ExecTxResult) -> list[str]:
    return [event.type for event in result.events]


def test_create_opens_groups_and_funds_the_escrow_from_the_owner(chain: Chain) -> None:
    before = chain.balance(ALICE)
    result = ok(
        chain,
        ALICE,
        msgs.create_msg(
            ALICE.bech32_address, 7, [gpu_group("a"), gpu_group("b")], MANIFEST, ugpc(6_000_000)
        ),
    )
    assert chain.balance(ALICE) == before - 6_000_000 - FEE
    assert chain.balance(ESCROW) == 6_000_000
    found = deployment(chain, 7)
    assert (found.state, bytes(found.manifest_hash), found.created_at) == ("active", MANIFEST, 2)
    assert [(g.gseq, g.spec.name, g.state) for g in found.groups] == [
        (1, "a", "open"),
        (2, "b", "open"),
    ]
    assert found.groups[0].spec == gpu_group("a")
    account = escrow(chain, 7)
    assert (account.state, account.balance, account.deposited) == ("open", "6000000", "6000000")
    assert account.blocks_remaining == 0 and account.dry_height == 0  # nothing pays a rate yet
    kinds = event_types(result)
    assert kinds.count("group_created") == 2
    assert {"deployment_created", "escrow_account_opened", "escrow_deposit"} <= set(kinds)


def test_a_dseq_is_taken_once_per_owner_even_after_close(chain: Chain) -> None:
    create(chain, dseq=3)
    again = msgs.create_msg(ALICE.bech32_address, 3, [gpu_group()], MANIFEST, ugpc(MIN_DEPOSIT))
    assert refused(chain, ALICE, again)[:2] == ("deployment", 2)
    ok(chain, ALICE, msgs.close_msg(ALICE.bech32_address, 3))
    assert refused(chain, ALICE, again)[:2] == ("deployment", 2)


def test_a_deposit_below_the_minimum_is_refused(chain: Chain) -> None:
    small = msgs.create_msg(ALICE.bech32_address, 1, [gpu_group()], MANIFEST, ugpc(MIN_DEPOSIT - 1))
    codespace, code, log = refused(chain, ALICE, small)
    assert (codespace, code) == ("deployment", 12) and "5000000" in log


def test_a_deposit_in_an_unknown_denom_is_refused(chain: Chain) -> None:
    create(chain)
    in_atom = msgs.deposit_msg(ALICE.bech32_address, 1, Coin("uatom", 100), ALICE.bech32_address)
    codespace, code, log = refused(chain, ALICE, in_atom)
    assert (codespace, code) == ("deployment", 11) and "uatom" in log
    at_create = msgs.create_msg(ALICE.bech32_address, 2, [gpu_group()], MANIFEST, Coin("uatom", 10))
    assert refused(chain, ALICE, at_create)[:2] == ("deployment", 11)


def test_a_manifest_hash_must_be_32_bytes(chain: Chain) -> None:
    short = msgs.create_msg(
        ALICE.bech32_address, 1, [gpu_group()], MANIFEST[:31], ugpc(MIN_DEPOSIT)
    )
    assert refused(chain, ALICE, short)[:2] == ("deployment", 10)


def _edit(change: Callable[[deployment_pb2.GroupSpec], Any]) -> list[deployment_pb2.GroupSpec]:
    group = gpu_group()
    change(group)
    return [group]


def _unit(group: deployment_pb2.GroupSpec) -> deployment_pb2.Resources:
    return group.resources[0].resource


GROUP_FAULTS: dict[str, Callable[[], list[deployment_pb2.GroupSpec]]] = {
    "no groups": lambda: [],
    "21 groups": lambda: [gpu_group(f"g{index}") for index in range(21)],
    "two groups of one name": lambda: [gpu_group("same"), gpu_group("same")],
    "51 replicas": lambda: _edit(lambda g: setattr(g.resources[0], "count", 51)),
    "no replicas": lambda: _edit(lambda g: setattr(g.resources[0], "count", 0)),
    "too much cpu": lambda: _edit(lambda g: setattr(_unit(g), "cpu_millis", 384_001)),
    "too little memory": lambda: _edit(lambda g: setattr(_unit(g), "memory", 1000)),
    "no storage": lambda: _edit(lambda g: _unit(g).ClearField("storage")),
    "25 gpus": lambda: _edit(lambda g: setattr(_unit(g), "gpu_units", 25)),
    "gpu without a vendor": lambda: _edit(lambda g: _unit(g).ClearField("gpu_attributes")),
    "unknown gpu vendor": lambda: _edit(
        lambda g: setattr(_unit(g).gpu_attributes[0], "key", "vendor/acme/model/x1")
    ),
    "gpu attribute not true": lambda: _edit(
        lambda g: setattr(_unit(g).gpu_attributes[0], "value", "false")
    ),
    "price in uatom": lambda: _edit(lambda g: setattr(g.resources[0].price, "denom", "uatom")),
    "zero price": lambda: _edit(lambda g: setattr(g.resources[0].price, "amount", "0")),
    "price not a decimal": lambda: _edit(lambda g: setattr(g.resources[0].price, "amount", "1e3")),
    "unknown endpoint kind": lambda: _edit(lambda g: setattr(_unit(g).endpoints[0], "kind", 7)),
    "21 resource units": lambda: _edit(
        lambda g: g.resources.extend(
            [
                deployment_pb2.ResourceUnit(resource=deployment_pb2.Resources(id=i))
                for i in range(2, 22)
            ]
        )
    ),
}


@pytest.mark.parametrize("fault", sorted(GROUP_FAULTS))
def test_every_group_is_rechecked_by_the_chain(fault: str) -> None:
    message = msgs.create_msg(
        ALICE.bech32_address, 1, GROUP_FAULTS[fault](), MANIFEST, ugpc(MIN_DEPOSIT)
    )
    with pytest.raises(AppError) as refused_error:
        msgs.validate_create(message)
    assert (refused_error.value.kind.codespace, refused_error.value.kind.code) == ("deployment", 9)


def test_an_auditor_must_be_an_account_address() -> None:
    groups = _edit(lambda g: g.requirements.signed_by.any_of.append("akash1notours"))
    message = msgs.create_msg(ALICE.bech32_address, 1, groups, MANIFEST, ugpc(MIN_DEPOSIT))
    with pytest.raises(AppError, match=r"signed_by\.any_of"):
        msgs.validate_create(message)


def test_the_gpu_sdl_file_turns_into_groups_the_chain_accepts(chain: Chain) -> None:
    groups, manifest_hash = read_sdl(str(GPU_SDL))
    ok(
        chain,
        ALICE,
        msgs.create_msg(ALICE.bech32_address, 9, groups, manifest_hash, ugpc(MIN_DEPOSIT)),
    )
    unit = deployment(chain, 9).groups[0].spec.resources[0]
    assert (unit.resource.cpu_millis, unit.resource.gpu_units, unit.count) == (16_000, 1, 1)
    assert unit.resource.gpu_attributes[0].key == "vendor/nvidia/model/*"
    assert unit.price.denom == "ugpc"


def test_tokens_are_conserved_through_create_third_party_deposit_and_close(chain: Chain) -> None:
    alice, bob, supply = chain.balance(ALICE), chain.balance(BOB), chain.balance(ESCROW)
    create(chain, deposit=MIN_DEPOSIT)
    result = ok(
        chain, BOB, msgs.deposit_msg(ALICE.bech32_address, 1, ugpc(300_001), BOB.bech32_address)
    )
    assert "escrow_deposit" in event_types(result)
    assert escrow(chain).balance == str(MIN_DEPOSIT + 300_001)
    assert chain.balance(BOB) == bob - 300_001 - FEE
    close = ok(chain, ALICE, msgs.close_msg(ALICE.bech32_address, 1))
    # The owner gets back everything anyone deposited: nothing was paid out.
    assert chain.balance(ALICE) == alice - 2 * FEE + 300_001
    assert chain.balance(ESCROW) == supply == 0
    account = escrow(chain)
    assert (account.state, account.balance, account.refunded) == (
        "closed",
        "0",
        str(MIN_DEPOSIT + 300_001),
    )
    assert {"deployment_closed", "escrow_account_closed", "group_closed"} <= set(event_types(close))


def test_closing_a_closed_deployment_is_refused(chain: Chain) -> None:
    create(chain)
    ok(chain, ALICE, msgs.close_msg(ALICE.bech32_address, 1))
    assert [g.state for g in deployment(chain).groups] == ["closed", "closed"]
    assert refused(chain, ALICE, msgs.close_msg(ALICE.bech32_address, 1))[:2] == ("deployment", 4)
    top_up = msgs.deposit_msg(ALICE.bech32_address, 1, ugpc(10), BOB.bech32_address)
    assert refused(chain, BOB, top_up)[:2] == ("deployment", 4)


def test_an_unknown_deployment_is_refused(chain: Chain) -> None:
    assert refused(chain, ALICE, msgs.close_msg(ALICE.bech32_address, 99))[:2] == ("deployment", 3)


def test_only_the_owner_closes_a_deployment(chain: Chain) -> None:
    create(chain)
    result = deliver(chain, BOB, msgs.close_msg(ALICE.bech32_address, 1))
    assert result.code != 0
    assert deployment(chain).state == "active"


def test_update_sets_a_new_manifest_hash_and_keeps_the_groups(chain: Chain) -> None:
    create(chain)
    groups = deployment(chain).groups
    new_hash = bytes(32)
    result = ok(chain, ALICE, msgs.update_msg(ALICE.bech32_address, 1, new_hash))
    assert "deployment_updated" in event_types(result)
    found = deployment(chain)
    assert bytes(found.manifest_hash) == new_hash and list(found.groups) == list(groups)
    ok(chain, ALICE, msgs.close_msg(ALICE.bech32_address, 1))
    assert refused(chain, ALICE, msgs.update_msg(ALICE.bech32_address, 1, MANIFEST))[:2] == (
        "deployment",
        4,
    )


def test_groups_pause_start_and_close(chain: Chain) -> None:
    create(chain)
    owner = ALICE.bech32_address
    assert "group_paused" in event_types(ok(chain, ALICE, msgs.group_msg("pause", owner, 1, 1)))
    assert refused(chain, ALICE, msgs.group_msg("pause", owner, 1, 1))[:2] == ("deployment", 7)
    assert "group_started" in event_types(ok(chain, ALICE, msgs.group_msg("start", owner, 1, 1)))
    assert refused(chain, ALICE, msgs.group_msg("start", owner, 1, 1))[:2] == ("deployment", 8)
    assert "group_closed" in event_types(ok(chain, ALICE, msgs.group_msg("close", owner, 1, 2)))
    assert refused(chain, ALICE, msgs.group_msg("close", owner, 1, 2))[:2] == ("deployment", 6)
    assert refused(chain, ALICE, msgs.group_msg("start", owner, 1, 3))[:2] == ("deployment", 5)
    assert [g.state for g in deployment(chain).groups] == ["open", "closed"]
    assert deployment(chain).state == "active"


class RecordingHooks:
    """What the market will be: told of every group transition."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int]] = []

    def on_group_created(self, ctx: Any, group: deployment_pb2.Group) -> None:
        self.calls.append(("created", group.dseq, group.gseq))

    def on_group_closed(self, ctx: Any, group: deployment_pb2.Group) -> None:
        self.calls.append(("closed", group.dseq, group.gseq))

    def on_group_paused(self, ctx: Any, group: deployment_pb2.Group) -> None:
        self.calls.append(("paused", group.dseq, group.gseq))

    def on_group_started(self, ctx: Any, group: deployment_pb2.Group) -> None:
        self.calls.append(("started", group.dseq, group.gseq))


def test_hooks_hear_of_every_group_transition(chain: Chain) -> None:
    hooks = RecordingHooks()
    chain.node.modules.get(DeploymentModule).keeper.hooks.append(hooks)
    create(chain, groups=2)
    owner = ALICE.bech32_address
    ok(chain, ALICE, msgs.group_msg("pause", owner, 1, 1))
    ok(chain, ALICE, msgs.group_msg("start", owner, 1, 1))
    ok(chain, ALICE, msgs.group_msg("close", owner, 1, 2))
    ok(chain, ALICE, msgs.close_msg(owner, 1))
    assert hooks.calls == [
        ("created", 1, 1),
        ("created", 1, 2),
        ("paused", 1, 1),
        ("started", 1, 1),
        ("closed", 1, 2),
        ("closed", 1, 1),
    ]


def test_deployments_list_by_owner_and_state_a_page_at_a_time(chain: Chain) -> None:
    for dseq in (1, 2, 3):
        create(chain, dseq=dseq, groups=1)
    ok(chain, ALICE, msgs.close_msg(ALICE.bech32_address, 2))

    def listing(**arguments: Any) -> query_pb2.QueryDeploymentsResponse:
        request = query_pb2.QueryDeploymentsRequest(**arguments)
        return chain.node.query(
            queries.DEPLOYMENTS_PATH, request, query_pb2.QueryDeploymentsResponse()
        )

    owner = ALICE.bech32_address
    assert [d.dseq for d in listing(owner=owner).deployments] == [1, 2, 3]
    assert [d.dseq for d in listing(owner=owner, state="active").deployments] == [1, 3]
    assert [d.dseq for d in listing(state="closed").deployments] == [2]
    assert listing(owner=BOB.bech32_address).deployments == []
    first = listing(owner=owner, pagination={"limit": 2})
    assert [d.dseq for d in first.deployments] == [1, 2] and first.pagination.next_key
    rest = listing(owner=owner, pagination={"key": first.pagination.next_key})
    assert [d.dseq for d in rest.deployments] == [3]
    assert len(listing(state="active").deployments[0].groups) == 1
    answer = chain.node.app.query(
        abci.RequestQuery(
            path=queries.DEPLOYMENTS_PATH,
            data=query_pb2.QueryDeploymentsRequest(state="sleeping").SerializeToString(),
        )
    )
    assert answer.code != 0 and "sleeping" in answer.log


def test_group_query(chain: Chain) -> None:
    create(chain)
    request = query_pb2.QueryGroupRequest(owner=ALICE.bech32_address, dseq=1, gseq=2)
    group = chain.node.query(queries.GROUP_PATH, request, query_pb2.QueryGroupResponse()).group
    assert (group.gseq, group.spec.name, group.state) == (2, "group1", "open")


def test_deployments_and_escrow_round_trip_through_genesis(chain: Chain, tmp_path: Path) -> None:
    create(chain, dseq=1)
    create(chain, dseq=2)
    ok(chain, ALICE, msgs.group_msg("pause", ALICE.bech32_address, 1, 2))
    ok(chain, BOB, msgs.deposit_msg(ALICE.bech32_address, 1, ugpc(77), BOB.bech32_address))
    ok(chain, ALICE, msgs.close_msg(ALICE.bech32_address, 2))
    exported = assert_reimports_identically(chain.node, tmp_path / "copy")
    assert len(exported["deployment"]["deployments"]) == 2
    assert len(exported["escrow"]["accounts"]) == 2
