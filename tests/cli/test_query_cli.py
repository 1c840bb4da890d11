"""`gpuchain query` against a real node, and `--prove` checking state against block headers."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from chain.cli.output import CommandError
from chain.cli.query import header_app_hash, read_store_key, verify_read
from chain.crypto import decode_address
from chain.rpc import CometRpc
from x.bank.keys import balance_key

if TYPE_CHECKING:
    from conftest import Chain

FEE = "200ugpc"


@pytest.fixture(scope="module")
def transfer(chain: Chain) -> dict[str, str]:
    """One committed transfer from alice to a fresh address: its hash, height and recipient."""
    from chain.crypto import PrivateKey

    recipient = PrivateKey.generate().bech32_address
    response = chain.send("alice", recipient, "4242ugpc")
    return {"hash": response["txhash"], "height": response["height"], "recipient": recipient}


def test_balances_list_every_denom_and_one_denom_on_request(chain: Chain) -> None:
    alice = chain.addresses["alice"]

    listed, one, text = chain.run_all(
        ("query", "bank", "balances", alice, "-o", "json"),
        ("query", "bank", "balances", "alice", "--denom", "ugpc", "-o", "json"),
        ("query", "bank", "balances", alice),
    )

    assert [coin["denom"] for coin in json.loads(listed.stdout)["balances"]] == ["ugpc"]
    coin = json.loads(one.stdout)
    assert coin["denom"] == "ugpc" and int(coin["amount"]) == chain.balance(alice)
    assert "balances:" in text.stdout and "denom: ugpc" in text.stdout


def test_total_supply_counts_every_genesis_balance(chain: Chain) -> None:
    total, of_ugpc, text = chain.run_all(
        ("query", "bank", "total", "-o", "json"),
        ("query", "bank", "total", "--denom", "ugpc", "-o", "json"),
        ("query", "bank", "total"),
    )

    # At least what genesis gave the keys: other modules (staking, rewards) may add to it,
    # and the two queries may see different heights.
    at_least = 1_000_000_000 + 5 + 10_000 + 1_000_000 + 1_000_000
    supply = json.loads(total.stdout)["supply"]
    assert [coin["denom"] for coin in supply] == ["ugpc"]
    assert int(supply[0]["amount"]) >= at_least
    coin = json.loads(of_ugpc.stdout)
    assert coin["denom"] == "ugpc" and int(coin["amount"]) >= at_least
    assert "supply:" in text.stdout and "denom: ugpc" in text.stdout


def test_account_shows_number_sequence_and_public_key(chain: Chain, stranger: str) -> None:
    found, missing, text = chain.run_all(
        ("query", "account", "alice", "-o", "json"),
        ("query", "account", stranger),
        ("query", "auth", "account", chain.addresses["alice"]),
    )

    account = json.loads(found.stdout)["account"]
    assert account["@type"] == "/cosmos.auth.v1beta1.BaseAccount"
    assert account["address"] == chain.addresses["alice"]
    assert int(account["sequence"]) >= 0 and account["account_number"].isdigit()
    assert f"address: {chain.addresses['alice']}" in text.stdout
    assert missing.returncode == 1 and f"account {stranger} not found" in missing.stderr


def test_query_tx_finds_the_transfer_by_hash(chain: Chain, transfer: dict[str, str]) -> None:
    as_json, as_text, unknown = chain.run_all(
        ("query", "tx", transfer["hash"].lower(), "-o", "json"),
        ("query", "tx", "0x" + transfer["hash"]),
        ("query", "tx", "AB" * 32),
    )

    found = json.loads(as_json.stdout)
    text = as_text.stdout

    assert (found["txhash"], found["height"], found["code"]) == (
        transfer["hash"],
        transfer["height"],
        0,
    )
    message = found["tx"]["body"]["messages"][0]
    assert message["to_address"] == transfer["recipient"]
    assert message["amount"] == [{"denom": "ugpc", "amount": "4242"}]
    assert f"txhash: {transfer['hash']}" in text and "/cosmos.bank.v1beta1.MsgSend" in text
    assert unknown.returncode == 1 and "not found" in unknown.stderr


def test_query_txs_finds_the_transfer_by_its_events(chain: Chain, transfer: dict[str, str]) -> None:
    recipient = transfer["recipient"]

    matching, not_matching, bad = chain.run_all(
        (
            "query", "txs", "--events", f"transfer.recipient={recipient}",
            "--events", f"transfer.sender={chain.addresses['alice']}", "--limit", "10",
            "-o", "json",
        ),
        (
            "query", "txs", "--events", f"transfer.recipient={recipient}&transfer.amount=1ugpc",
            "-o", "json",
        ),
        ("query", "txs", "--events", "recipient"),
    )  # fmt: skip

    result, none = json.loads(matching.stdout), json.loads(not_matching.stdout)

    assert result["total_count"] == "1" and result["limit"] == "10"
    assert [tx["txhash"] for tx in result["txs"]] == [transfer["hash"]]
    assert none["total_count"] == "0" and none["txs"] == []
    assert bad.returncode == 1 and "expected type.attribute=value" in bad.stderr


def test_query_block_lists_the_transfer_in_its_block(
    chain: Chain, transfer: dict[str, str]
) -> None:
    as_json, as_text, latest, future = chain.run_all(
        ("query", "block", transfer["height"], "-o", "json"),
        ("query", "block", transfer["height"]),
        ("query", "block"),
        ("query", "block", "100000000"),
    )

    block = json.loads(as_json.stdout)
    assert block["block"]["header"]["height"] == transfer["height"]
    assert block["block"]["header"]["chain_id"] == "gpuchain-test"
    assert f"- {transfer['hash']}" in as_text.stdout and "txs: 1" in as_text.stdout
    assert "app_hash: " in latest.stdout
    assert future.returncode == 1 and "height" in future.stderr


def test_prove_verifies_a_present_balance(chain: Chain, transfer: dict[str, str]) -> None:
    prove = ("query", "bank", "balances", transfer["recipient"], "--denom", "ugpc", "--prove")
    as_json, as_text = chain.run_all((*prove, "-o", "json"), prove)

    proven, text = json.loads(as_json.stdout), as_text.stdout

    assert proven["amount"] == "4242" and proven["proof"]["verified"] is True
    assert int(proven["proof"]["app_hash_height"]) == int(proven["proof"]["height"]) + 1
    assert "proof verified against app hash " in text and 'amount: "4242"' in text


def test_prove_verifies_an_absent_balance_as_zero(chain: Chain, stranger: str) -> None:
    proven = chain.json("query", "bank", "balances", stranger, "--denom", "ugpc", "--prove")

    assert proven["amount"] == "0" and proven["proof"]["verified"] is True


def test_prove_verifies_an_account_and_an_absent_one(chain: Chain, stranger: str) -> None:
    present, absent, needs_denom = chain.run_all(
        ("query", "account", "alice", "--prove", "-o", "json"),
        ("query", "account", stranger, "--prove"),
        ("query", "bank", "balances", "alice", "--prove"),
    )

    proven = json.loads(present.stdout)

    assert proven["account"]["address"] == chain.addresses["alice"]
    assert proven["proof"]["verified"] is True
    assert absent.returncode == 1
    assert "not found (its absence is proven: proof verified" in absent.stderr
    assert needs_denom.returncode == 1 and "--prove needs --denom" in needs_denom.stderr


def _alice_balance_read(chain: Chain) -> tuple[CometRpc, bytes]:
    rpc = chain.node.rpc
    return rpc, balance_key(decode_address(chain.addresses["alice"]), "ugpc")


def test_a_tampered_proof_fails_verification(chain: Chain) -> None:
    rpc, key = _alice_balance_read(chain)
    read = read_store_key(rpc, key)
    app_hash = header_app_hash(rpc, read.height + 1)
    verify_read(read, app_hash)  # the untouched proof holds

    for position in (len(read.proof) // 2, len(read.proof) - 1):
        tampered = bytearray(read.proof)
        tampered[position] ^= 0x01
        with pytest.raises(CommandError, match="proof verification failed"):
            verify_read(type(read)(read.key, read.value, read.height, bytes(tampered)), app_hash)
    with pytest.raises(CommandError, match="proof verification failed"):
        verify_read(type(read)(read.key, read.value, read.height, read.proof[:-1]), app_hash)
    assert read.value is not None
    forged_value = read.value + b"\x01"
    with pytest.raises(CommandError, match="proof verification failed"):
        verify_read(type(read)(read.key, forged_value, read.height, read.proof), app_hash)
    with pytest.raises(CommandError, match="proof verification failed"):
        verify_read(type(read)(read.key, None, read.height, read.proof), app_hash)


def test_a_proof_against_the_wrong_app_hash_fails(chain: Chain) -> None:
    rpc, key = _alice_balance_read(chain)
    read = read_store_key(rpc, key)
    app_hash = header_app_hash(rpc, read.height + 1)

    wrong = bytes([app_hash[0] ^ 0xFF]) + app_hash[1:]
    with pytest.raises(CommandError, match=f"does not match app hash {wrong.hex().upper()}"):
        verify_read(read, wrong)
    with pytest.raises(CommandError, match="proof verification failed"):
        verify_read(read, bytes(32))


def test_json_errors_are_json(chain: Chain) -> None:
    done = chain.run("query", "tx", "not-a-hash", "-o", "json")

    assert done.returncode == 1
    assert "invalid tx hash" in json.loads(done.stdout)["error"]


def test_list_queries_take_cosmos_page_flags(chain: Chain) -> None:
    forward, backward, first, text = chain.run_all(
        ("query", "staking", "validators", "-o", "json"),
        ("query", "staking", "validators", "--reverse", "-o", "json"),
        ("query", "staking", "validators", "--limit", "1", "--count-total", "-o", "json"),
        ("query", "staking", "validators", "--limit", "1", "--count-total"),
    )

    every = json.loads(forward.stdout)["validators"]
    assert every, forward.stderr
    assert json.loads(backward.stdout)["validators"] == every[::-1]
    page = json.loads(first.stdout)
    assert page["validators"] == every[:1]
    assert page["pagination"]["total"] == str(len(every))
    assert (page["pagination"]["next_key"] is None) == (len(every) == 1)
    assert f"total: {len(every)}" in text.stdout


def test_page_flags_are_checked_before_asking_the_node(chain: Chain, no_node: str) -> None:
    both, not_base64 = chain.run_all(
        ("query", "staking", "validators", "--page-key", "AQ==", "--offset", "1"),
        ("query", "bank", "balances", "alice", "--page-key", "not base64!"),
        node=no_node,
    )

    assert both.returncode == 1 and "either --page-key or --offset" in both.stderr
    assert not_base64.returncode == 1 and "is not base64" in not_base64.stderr
