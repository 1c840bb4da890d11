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

    listed = chain.json("query", "bank", "balances", alice)
    one = chain.json("query", "bank", "balances", "alice", "--denom", "ugpc")
    text = chain.ok("query", "bank", "balances", alice)

    assert [coin["denom"] for coin in listed["balances"]] == ["ugpc"]
    assert one["denom"] == "ugpc" and int(one["amount"]) > 0
    assert "balances:" in text and "denom: ugpc" in text


def test_total_supply_counts_every_genesis_balance(chain: Chain) -> None:
    total = chain.json("query", "bank", "total")
    of_ugpc = chain.json("query", "bank", "total", "--denom", "ugpc")

    assert total["supply"] == [of_ugpc]
    assert int(of_ugpc["amount"]) == 1_000_000_000 + 5 + 10_000 + 1_000_000 + 1_000_000


def test_account_shows_number_sequence_and_public_key(chain: Chain, stranger: str) -> None:
    account = chain.json("query", "account", "alice")["account"]

    assert account["@type"] == "/cosmos.auth.v1beta1.BaseAccount"
    assert account["address"] == chain.addresses["alice"]
    assert int(account["sequence"]) >= 0 and account["account_number"].isdigit()
    missing = chain.run("query", "account", stranger)
    assert missing.returncode == 1 and f"account {stranger} not found" in missing.stderr


def test_query_tx_finds_the_transfer_by_hash(chain: Chain, transfer: dict[str, str]) -> None:
    found = chain.json("query", "tx", transfer["hash"].lower())
    text = chain.ok("query", "tx", "0x" + transfer["hash"])

    assert (found["txhash"], found["height"], found["code"]) == (
        transfer["hash"],
        transfer["height"],
        0,
    )
    message = found["tx"]["body"]["messages"][0]
    assert message["to_address"] == transfer["recipient"]
    assert message["amount"] == [{"denom": "ugpc", "amount": "4242"}]
    assert f"txhash: {transfer['hash']}" in text and "/cosmos.bank.v1beta1.MsgSend" in text
    unknown = chain.run("query", "tx", "AB" * 32)
    assert unknown.returncode == 1 and "not found" in unknown.stderr


def test_query_txs_finds_the_transfer_by_its_events(chain: Chain, transfer: dict[str, str]) -> None:
    recipient = transfer["recipient"]

    result = chain.json(
        "query", "txs", "--events", f"transfer.recipient={recipient}",
        "--events", f"transfer.sender={chain.addresses['alice']}", "--limit", "10",
    )  # fmt: skip
    none = chain.json(
        "query", "txs", "--events", f"transfer.recipient={recipient}&transfer.amount=1ugpc"
    )

    assert result["total_count"] == "1" and result["limit"] == "10"
    assert [tx["txhash"] for tx in result["txs"]] == [transfer["hash"]]
    assert none["total_count"] == "0" and none["txs"] == []
    bad = chain.run("query", "txs", "--events", "recipient")
    assert bad.returncode == 1 and "expected type.attribute=value" in bad.stderr


def test_query_block_lists_the_transfer_in_its_block(
    chain: Chain, transfer: dict[str, str]
) -> None:
    block = chain.json("query", "block", transfer["height"])
    latest = chain.ok("query", "block")

    assert block["block"]["header"]["height"] == transfer["height"]
    assert block["block"]["header"]["chain_id"] == "gpuchain-test"
    text = chain.ok("query", "block", transfer["height"])
    assert f"- {transfer['hash']}" in text and "txs: 1" in text
    assert "app_hash: " in latest
    future = chain.run("query", "block", "100000000")
    assert future.returncode == 1 and "height" in future.stderr


def test_prove_verifies_a_present_balance(chain: Chain, transfer: dict[str, str]) -> None:
    proven = chain.json(
        "query", "bank", "balances", transfer["recipient"], "--denom", "ugpc", "--prove"
    )
    text = chain.ok(
        "query", "bank", "balances", transfer["recipient"], "--denom", "ugpc", "--prove"
    )

    assert proven["amount"] == "4242" and proven["proof"]["verified"] is True
    assert int(proven["proof"]["app_hash_height"]) == int(proven["proof"]["height"]) + 1
    assert "proof verified against app hash " in text and 'amount: "4242"' in text


def test_prove_verifies_an_absent_balance_as_zero(chain: Chain, stranger: str) -> None:
    proven = chain.json("query", "bank", "balances", stranger, "--denom", "ugpc", "--prove")

    assert proven["amount"] == "0" and proven["proof"]["verified"] is True


def test_prove_verifies_an_account_and_an_absent_one(chain: Chain, stranger: str) -> None:
    proven = chain.json("query", "account", "alice", "--prove")
    absent = chain.run("query", "account", stranger, "--prove")

    assert proven["account"]["address"] == chain.addresses["alice"]
    assert proven["proof"]["verified"] is True
    assert absent.returncode == 1
    assert "not found (its absence is proven: proof verified" in absent.stderr
    needs_denom = chain.run("query", "bank", "balances", "alice", "--prove")
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
