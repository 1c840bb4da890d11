"""Validators, delegations, rewards and liveness through `gpuchain tx|query` of staking modules.

The tests run in file order on the session's node, one story: a staker delegates to the
genesis validator, unbonds part, creates a second validator (a consensus key no node
signs with, so it is kept far below a third of the power), redelegates to it and
withdraws rewards.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from chain.config import Home, consensus_key
from chain.crypto import PrivateKey, address_from_pubkey, decode_address, encode_validator_address
from chain.keyring import Keyring
from chain.testing import LocalNode

if TYPE_CHECKING:
    from conftest import Chain

OPERATOR = LocalNode.OPERATOR_KEY
STAKING_FEE = "400ugpc"  # the minimum gas price (0.001ugpc) times staking's default 400000 gas
STAKING_FEE_AMOUNT = 400
STAKE = 40_000_000
UNBOND = 1_000_000
SELF_BOND = 1_000_000  # one unit of power: the second validator never signs
REDELEGATE = 1_000_000


@dataclass(frozen=True)
class Validators:
    """The genesis validator (operated by the node's OPERATOR key) and a staker."""

    genesis: str  # gpuvaloper1… of the node's own validator
    operator_account: str  # gpu1… of its operator, the OPERATOR key
    consensus_pubkey: bytes
    staker: str  # gpu1… of the `staker` key
    second: str  # gpuvaloper1… the staker's validator will have
    second_pubkey: str  # base64 of its consensus key, which no node holds


@pytest.fixture(scope="module")
def validators(chain: Chain) -> Validators:
    keyring = Keyring(chain.home, "test")
    operator = keyring.show(OPERATOR)
    staker = keyring.show("staker") if keyring.has("staker") else keyring.add("staker")
    chain.send("alice", staker.address, "100000000ugpc")
    return Validators(
        genesis=encode_validator_address(decode_address(operator.address)),
        operator_account=operator.address,
        consensus_pubkey=consensus_key(Home(chain.home)).public_key,
        staker=staker.address,
        second=encode_validator_address(decode_address(staker.address)),
        second_pubkey=base64.b64encode(PrivateKey.generate().public_key).decode(),
    )


def staking_tx(chain: Chain, *argv: str) -> dict[str, Any]:
    """A staking-family tx in commit mode that must succeed; the tx response."""
    response: dict[str, Any] = chain.json("tx", *argv, "--fees", STAKING_FEE, "--yes")
    assert response["code"] == 0, response
    return response


def answers(chain: Chain, *commands: tuple[str, ...]) -> list[Any]:
    """Run `-o json` commands side by side that must all succeed; their parsed outputs."""
    results = chain.run_all(*((*argv, "-o", "json") for argv in commands))
    for argv, done in zip(commands, results, strict=True):
        assert done.returncode == 0, f"gpuchain {' '.join(argv)} failed:\n{done.stderr}"
    return [json.loads(done.stdout) for done in results]


def power_of(listed: dict[str, Any], operator: str) -> str:
    """A validator's power in a `query staking validators` answer."""
    found = [v for v in listed["validators"] if v["operator_address"] == operator]
    assert len(found) == 1, listed
    return str(found[0]["power"])


def balances(answer: dict[str, Any]) -> dict[str, int]:
    """Validator → delegated tokens in a `query staking delegations` answer."""
    return {d["validator"]: int(d["balance"]) for d in answer["delegations"]}


def event_amounts(response: dict[str, Any], event_type: str) -> list[int]:
    """The ugpc amounts of every event_type event of a tx response."""
    amounts = []
    for event in response["events"]:
        if event["type"] != event_type:
            continue
        for attribute in event["attributes"]:
            if attribute["key"] == "amount":
                amounts.append(int(attribute["value"].removesuffix("ugpc") or 0))
    return amounts


def wait_blocks(chain: Chain, count: int) -> None:
    target = chain.node.last_height() + count
    deadline = time.monotonic() + 30
    while chain.node.last_height() < target:
        assert time.monotonic() < deadline, f"no {count} new blocks in 30 s"
        time.sleep(0.1)


# --- the story, in order ---------------------------------------------------------------


def test_validators_list_the_genesis_validator_bonded_with_power_100(
    chain: Chain, validators: Validators
) -> None:
    listed, text = chain.run_all(
        ("query", "staking", "validators", "-o", "json"),
        ("query", "staking", "validators"),
    )

    assert listed.returncode == 0 and text.returncode == 0, listed.stderr + text.stderr
    genesis = [
        v
        for v in json.loads(listed.stdout)["validators"]
        if v["operator_address"] == validators.genesis
    ]
    assert len(genesis) == 1
    assert genesis[0]["status"] == "bonded" and genesis[0]["jailed"] is False
    assert genesis[0]["power"] == "100" and genesis[0]["tokens"] == "100000000"
    header, row = text.stdout.splitlines()[:2]
    assert header.split()[:5] == ["MONIKER", "OPERATOR", "STATUS", "JAILED", "POWER"]
    assert row.split()[1:5] == [validators.genesis, "bonded", "no", "100"]


def test_delegating_shows_the_delegation_and_raises_the_power(
    chain: Chain, validators: Validators
) -> None:
    response = staking_tx(
        chain, "staking", "delegate", validators.genesis, f"{STAKE}ugpc", "--from", "staker"
    )

    # simulated first: the limit is the estimate, not the command's fixed 400000
    assert int(response["gas_used"]) <= int(response["gas_wanted"]) < 400_000
    delegated, listed, text = chain.run_all(
        ("query", "staking", "delegations", "staker", "-o", "json"),
        ("query", "staking", "validators", "-o", "json"),
        ("query", "staking", "delegations", validators.staker),
    )
    assert balances(json.loads(delegated.stdout)) == {validators.genesis: STAKE}
    assert power_of(json.loads(listed.stdout), validators.genesis) == str(100 + STAKE // 1_000_000)
    assert validators.genesis in text.stdout and str(STAKE) in text.stdout


def test_unbonding_shows_the_entry_and_the_height_it_completes(
    chain: Chain, validators: Validators
) -> None:
    response = staking_tx(
        chain, "staking", "unbond", validators.genesis, f"{UNBOND}ugpc", "--from", "staker"
    )

    params, unbonding, delegated, text = chain.run_all(
        ("query", "staking", "params", "-o", "json"),
        ("query", "staking", "unbonding", "staker", "-o", "json"),
        ("query", "staking", "delegations", "staker", "-o", "json"),
        ("query", "staking", "unbonding", "staker"),
    )
    (entry,) = json.loads(unbonding.stdout)["entries"]
    assert entry["validator"] == validators.genesis and entry["balance"] == str(UNBOND)
    assert int(entry["creation_height"]) == int(response["height"])
    assert int(entry["completion_height"]) == (
        int(response["height"]) + int(json.loads(params.stdout)["unbonding_blocks"])
    )
    assert balances(json.loads(delegated.stdout)) == {validators.genesis: STAKE - UNBOND}
    assert "COMPLETES" in text.stdout and entry["completion_height"] in text.stdout


def test_create_validator_with_a_fresh_consensus_key_adds_a_second_validator(
    chain: Chain, validators: Validators
) -> None:
    staking_tx(
        chain, "staking", "create-validator", "--amount", f"{SELF_BOND}ugpc", "--from", "staker",
        "--pubkey", validators.second_pubkey, "--moniker", "second",
        "--commission-rate", "0.05", "--commission-max-rate", "0.10",
    )  # fmt: skip

    second, listed = answers(
        chain,
        ("query", "staking", "validator", validators.second),
        ("query", "staking", "validators"),
    )
    assert second["operator_address"] == validators.second
    assert second["moniker"] == "second" and second["status"] == "bonded"
    assert second["power"] == "1" and second["commission"]["rate"].startswith("0.05")
    assert base64.b64encode(bytes.fromhex(second["consensus_pubkey"])).decode() == (
        validators.second_pubkey
    )
    assert power_of(listed, validators.second) == "1"
    assert power_of(listed, validators.genesis) == str(100 + (STAKE - UNBOND) // 1_000_000)


def test_edit_validator_renames_it_and_refuses_a_second_commission_change_within_a_day(
    chain: Chain, validators: Validators
) -> None:
    staking_tx(
        chain, "staking", "edit-validator", "--moniker", "renamed", "--min-self-delegation", "2",
        "--from", "staker",
    )  # fmt: skip

    edited, too_soon = chain.run_all(
        ("query", "staking", "validator", validators.second, "-o", "json"),
        ("tx", "staking", "edit-validator", "--commission-rate", "0.06", "--from", "staker",
         "--fees", STAKING_FEE, "--yes"),
    )  # fmt: skip
    answer = json.loads(edited.stdout)
    assert answer["moniker"] == "renamed" and answer["min_self_delegation"] == "2"
    assert answer["commission"]["rate"].startswith("0.05")
    assert too_soon.returncode == 1 and "at most once per 24 hours" in too_soon.stderr


def test_redelegating_moves_stake_from_one_validator_to_the_other(
    chain: Chain, validators: Validators
) -> None:
    staking_tx(
        chain, "staking", "redelegate", validators.genesis, validators.second,
        f"{REDELEGATE}ugpc", "--from", "staker",
    )  # fmt: skip

    delegated, listed, transit = answers(
        chain,
        ("query", "staking", "delegations", "staker"),
        ("query", "staking", "validators"),
        ("query", "staking", "redelegations", "staker"),
    )
    # The moved stake still answers for the genesis validator's faults until the
    # unbonding period ends.
    [entry] = transit["entries"]
    assert (entry["source_validator"], entry["destination_validator"]) == (
        validators.genesis,
        validators.second,
    )
    assert entry["initial_balance"] == str(REDELEGATE)
    assert int(entry["completion_height"]) > int(entry["creation_height"])
    moved = balances(delegated)
    assert moved[validators.genesis] == STAKE - UNBOND - REDELEGATE
    # The second validator never signs: about 100 blocks after it joined, it is jailed and
    # slashed 0.01% for downtime, which on a slow machine may happen before this query.
    slashed = SELF_BOND + REDELEGATE - moved[validators.second]
    assert 0 <= slashed <= (SELF_BOND + REDELEGATE) // 10_000
    second = [v for v in listed["validators"] if v["operator_address"] == validators.second]
    assert second[0]["power"] == ("0" if second[0]["jailed"] else "2")


def test_rewards_accrue_and_withdrawing_pays_exactly_what_the_event_reports(
    chain: Chain, validators: Validators
) -> None:
    wait_blocks(chain, 3)
    rewards, unbonding = answers(
        chain,
        ("query", "distribution", "rewards", "staker", validators.genesis),
        ("query", "staking", "unbonding", "staker"),
    )
    assert int(rewards["total"][0]["amount"]) > 0, rewards
    first_height, before = chain.balance_at(validators.staker)

    response = staking_tx(
        chain, "distribution", "withdraw-rewards", validators.genesis, "--from", "staker"
    )

    (paid,) = event_amounts(response, "withdraw_rewards")
    assert paid >= int(rewards["total"][0]["amount"])
    last_height, after = chain.balance_at(validators.staker)
    # An unbonding of a previous test pays out in its completion block, which may fall
    # between the two reads: count exactly those.
    matured = sum(
        first_height < int(entry["completion_height"]) <= last_height
        for entry in unbonding["entries"]
    )
    assert after == before + paid - STAKING_FEE_AMOUNT + matured * UNBOND


def test_the_operator_withdraws_rewards_and_commission_in_one_tx(
    chain: Chain, validators: Validators
) -> None:
    operator = validators.operator_account
    commission = chain.json("query", "distribution", "commission", validators.genesis)
    assert int(commission["commission"][0]["amount"]) > 0, commission
    before = chain.balance(operator)

    response = staking_tx(
        chain, "distribution", "withdraw-rewards", validators.genesis, "--commission",
        "--from", OPERATOR,
    )  # fmt: skip

    (reward,) = event_amounts(response, "withdraw_rewards")
    (commission_paid,) = event_amounts(response, "withdraw_commission")
    assert commission_paid >= int(commission["commission"][0]["amount"])
    assert chain.balance(operator) == before + reward + commission_paid - STAKING_FEE_AMOUNT


def test_withdraw_all_rewards_settles_every_delegation_in_one_tx(
    chain: Chain, validators: Validators
) -> None:
    response = staking_tx(chain, "distribution", "withdraw-all-rewards", "--from", "staker")

    withdrawn_from = {
        attribute["value"]
        for event in response["events"]
        if event["type"] == "withdraw_rewards"
        for attribute in event["attributes"]
        if attribute["key"] == "validator"
    }
    assert withdrawn_from == {validators.genesis, validators.second}


def test_generate_only_prints_the_unsigned_tx_with_staking_gas(
    chain: Chain, validators: Validators
) -> None:
    sequence = chain.account(validators.staker).sequence

    unsigned = chain.json(
        "tx", "staking", "delegate", validators.genesis, "1ugpc", "--from", "staker",
        "--generate-only",
    )  # fmt: skip

    (message,) = unsigned["body"]["messages"]
    assert message["@type"] == "/cosmos.staking.v1beta1.MsgDelegate"
    assert message["validator_address"] == validators.genesis
    assert message["amount"] == {"denom": "ugpc", "amount": "1"}
    assert unsigned["auth_info"]["fee"]["gas_limit"] == "400000"
    assert unsigned["signatures"] == []
    assert chain.account(validators.staker).sequence == sequence


def test_signing_info_names_the_validator_by_operator_consensus_address_or_key(
    chain: Chain, validators: Validators
) -> None:
    consensus_address = address_from_pubkey(validators.consensus_pubkey).hex().upper()
    pubkey = base64.b64encode(validators.consensus_pubkey).decode()

    by_operator, by_address, by_key, params, text = chain.run_all(
        ("query", "slashing", "signing-info", validators.genesis, "-o", "json"),
        ("query", "slashing", "signing-info", consensus_address, "-o", "json"),
        ("query", "slashing", "signing-info", pubkey, "-o", "json"),
        ("query", "slashing", "params", "-o", "json"),
        ("query", "slashing", "params"),
    )

    answers = [json.loads(done.stdout) for done in (by_operator, by_address, by_key)]
    assert answers[0]["address"] == consensus_address and answers[0]["tombstoned"] is False
    assert answers[0]["missed_blocks_counter"] == "0"
    assert {answer["address"] for answer in answers} == {consensus_address}
    assert json.loads(params.stdout)["signed_blocks_window"] == "100"
    assert "signed_blocks_window: 100" in text.stdout


def test_distribution_and_staking_params_are_shown(chain: Chain) -> None:
    distribution, staking, text, pool, pool_text = chain.run_all(
        ("query", "distribution", "params", "-o", "json"),
        ("query", "staking", "params", "-o", "json"),
        ("query", "distribution", "params"),
        ("query", "distribution", "community-pool", "-o", "json"),
        ("query", "distribution", "community-pool"),
    )

    assert json.loads(distribution.stdout)["inflation_rate"].startswith("0.07")
    assert json.loads(distribution.stdout)["community_tax"].startswith("0.02")
    # 2% of every rewarded block's inflation and fees
    [coin] = json.loads(pool.stdout)["pool"]
    assert coin["denom"] == "ugpc" and int(coin["amount"]) > 0
    assert pool_text.stdout.startswith("pool: ") and pool_text.stdout.strip().endswith("ugpc")
    assert json.loads(staking.stdout)["bond_denom"] == "ugpc"
    assert "blocks_per_year: " in text.stdout


def test_bad_inputs_fail_with_a_message_naming_the_problem(
    chain: Chain, validators: Validators
) -> None:
    unknown = encode_validator_address(PrivateKey.generate().address)
    fee = ("--fees", STAKING_FEE, "--yes")
    local = {
        "invalid validator address 'gpuvaloper1nothing'": (
            "tx", "staking", "delegate", "gpuvaloper1nothing", "1ugpc", "--from", "alice", *fee,
        ),
        "is not the operator of": (
            "tx", "distribution", "withdraw-rewards", validators.genesis, "--commission",
            "--from", "alice", *fee,
        ),
        "commission.rate cannot exceed commission.max_rate": (
            "tx", "staking", "create-validator", "--amount", "1ugpc", "--from", "alice",
            "--pubkey", validators.second_pubkey, "--commission-rate", "0.5", *fee,
        ),
        "is 3 bytes, an ed25519 public key is 32": (
            "tx", "staking", "create-validator", "--amount", "1ugpc", "--from", "alice",
            "--pubkey", "AAAA", *fee,
        ),
        f"validator {unknown} not found": ("query", "staking", "validator", unknown),
        "nothing to edit": ("tx", "staking", "edit-validator", "--from", "staker", *fee),
        "invalid validator 'nonsense'": ("query", "slashing", "signing-info", "nonsense"),
    }  # fmt: skip
    # Each from its own key: these reach the chain, so their sequences must not collide.
    on_chain = {
        "validator does not exist": (
            "tx", "staking", "delegate", unknown, "1000000ugpc", "--from", "carol", *fee,
        ),
        "insufficient delegation": (
            "tx", "staking", "unbond", validators.genesis, f"{STAKE}ugpc", "--from", "staker",
            *fee,
        ),
        "validator not jailed": ("tx", "slashing", "unjail", "--from", OPERATOR, *fee),
        # Without --pubkey, the key is this --home's node's, which already signs for genesis.
        "consensus pubkey already used by a validator": (
            "tx", "staking", "create-validator", "--amount", "1000000ugpc", "--from", "alice",
            *fee,
        ),
    }  # fmt: skip
    cases = {**local, **on_chain}

    results = chain.run_all(*cases.values())

    for problem, done in zip(cases, results, strict=True):
        assert done.returncode == 1 and problem in done.stderr, (problem, done.stderr)
    (delegated,) = answers(chain, ("query", "staking", "delegations", "staker"))
    assert balances(delegated)[validators.genesis] == STAKE - UNBOND - REDELEGATE


def test_init_writes_an_evidence_max_age_the_unbonding_period_covers(
    chain: Chain, tmp_path: Path
) -> None:
    """`gpuchain init` sets the evidence max age to the unbonding period (blocks, and
    seconds at one block per timeout_commit); `genesis validate` refuses a shorter period."""
    genesis = json.loads((chain.home / "config" / "genesis.json").read_text())
    unbonding = genesis["app_state"]["staking"]["params"]["unbonding_blocks"]
    evidence = genesis["consensus_params"]["evidence"]
    assert evidence["max_age_num_blocks"] == unbonding
    assert evidence["max_age_duration"] == str(int(unbonding) * 1_000_000_000)

    shorter = tmp_path / "genesis.json"
    genesis["app_state"]["staking"]["params"]["unbonding_blocks"] = str(int(unbonding) - 1)
    shorter.write_text(json.dumps(genesis))
    valid, refused = chain.run_all(("genesis", "validate"), ("genesis", "validate", str(shorter)))
    assert valid.returncode == 0, valid.stderr
    assert refused.returncode != 0
    assert "shorter than consensus_params.evidence.max_age_num_blocks" in refused.stderr
