"""`gpuchain tx` against a real node: send, fail, and sign offline as in the Cosmos SDK."""

from __future__ import annotations

import base64
import json
import os
import pty
from pathlib import Path
from typing import TYPE_CHECKING

from chain.cli.client import fetch_tx, raw_from_tx, tx_from_json, tx_from_raw, wait_for_tx
from chain.pb.cosmos.tx.v1beta1 import tx_pb2

if TYPE_CHECKING:
    from conftest import Chain

FEE = "200ugpc"  # the node's minimum gas price (0.001ugpc) times the default 200000 gas
FEE_AMOUNT = 200


def sequence_of(chain: Chain, key: str) -> int:
    return int(chain.account(key).sequence)


def test_send_moves_the_amount_and_charges_the_fee(chain: Chain, stranger: str) -> None:
    before = chain.balance(chain.addresses["alice"])

    done = chain.run("tx", "bank", "send", "alice", stranger, "12345ugpc", "--fees", FEE, "--yes")

    assert done.returncode == 0, done.stderr
    assert "code: 0" in done.stdout and "height: " in done.stdout and "gas_used: " in done.stdout
    assert chain.balance(stranger) == 12345
    assert chain.balance(chain.addresses["alice"]) == before - 12345 - FEE_AMOUNT


def test_send_in_json_reports_the_block_result_like_cosmos(chain: Chain, stranger: str) -> None:
    response = chain.send("alice", stranger, "1ugpc", "--memo", "hello")

    assert set(response) >= {"txhash", "height", "code", "codespace", "raw_log", "gas_wanted"}
    assert int(response["height"]) > 0 and 0 < int(response["gas_used"]) <= 200_000
    transfer = [event for event in response["events"] if event["type"] == "transfer"]
    assert {"key": "recipient", "value": stranger, "index": True} in transfer[-1]["attributes"]
    included = fetch_tx(chain.node.rpc, response["txhash"])
    assert included is not None and int(included["height"]) == int(response["height"])
    assert tx_from_raw(base64.b64decode(included["tx"])).body.memo == "hello"


def test_send_beyond_the_balance_fails_in_the_block_and_keeps_only_the_fee(
    chain: Chain, stranger: str
) -> None:
    carol = chain.addresses["carol"]
    before = chain.balance(carol)

    # --gas N skips the simulation (as in Cosmos), so the tx reaches a block
    done = chain.run(
        "tx", "bank", "send", "carol", stranger, "999999ugpc", "--fees", FEE, "--gas", "200000",
        "--yes", "-o", "json",
    )  # fmt: skip

    assert done.returncode != 0
    response = json.loads(done.stdout)
    assert (response["codespace"], response["code"]) == ("sdk", 5)
    assert "insufficient funds" in response["raw_log"]
    assert "insufficient funds" in done.stderr and response["txhash"] in done.stderr
    assert chain.balance(carol) == before - FEE_AMOUNT
    assert chain.balance(stranger) == 0


def test_a_fee_below_the_minimum_is_rejected_by_check_tx(chain: Chain, stranger: str) -> None:
    sequence = sequence_of(chain, "alice")

    done = chain.run(
        "tx", "bank", "send", "alice", stranger, "1ugpc", "--fees", "1ugpc", "--yes", "-b", "sync"
    )

    assert done.returncode != 0
    assert "rejected by CheckTx" in done.stderr and "insufficient fee" in done.stderr
    assert sequence_of(chain, "alice") == sequence


def test_sync_mode_prints_the_check_tx_result_and_hash(chain: Chain, stranger: str) -> None:
    response = chain.json(
        "tx", "bank", "send", "alice", stranger, "2ugpc", "--fees", FEE, "--yes", "-b", "sync"
    )

    assert response["code"] == 0 and response["height"] == "0" and len(response["txhash"]) == 64
    assert wait_for_tx(chain.node.rpc, response["txhash"], timeout=10) is not None
    assert chain.balance(stranger) == 2


def test_without_yes_and_without_a_terminal_nothing_is_broadcast(
    chain: Chain, stranger: str
) -> None:
    sequence = sequence_of(chain, "sender")

    done = chain.run("tx", "bank", "send", "sender", stranger, "1ugpc", "--fees", FEE)

    assert done.returncode == 1
    assert "not a terminal" in done.stderr and "--yes" in done.stderr
    assert sequence_of(chain, "sender") == sequence


def test_multi_send_gives_each_recipient_the_amount(chain: Chain, stranger: str) -> None:
    other = chain.addresses["unfunded"]
    sender = chain.addresses["sender"]
    before = chain.balance(sender)

    response = chain.json(
        "tx", "bank", "multi-send", "sender", stranger, other, "700ugpc", "--fees", FEE, "--yes"
    )

    assert response["code"] == 0
    assert chain.balance(stranger) == 700
    assert chain.balance(other) >= 700
    assert chain.balance(sender) == before - 1400 - FEE_AMOUNT


def test_a_key_without_an_account_is_told_to_get_funds_first(chain: Chain, stranger: str) -> None:
    from chain.keyring import Keyring

    Keyring(chain.home, "test").add("newcomer")

    done = chain.run("tx", "bank", "send", "newcomer", stranger, "1ugpc", "--fees", FEE, "--yes")

    assert done.returncode == 1
    assert "not found: it must receive funds first" in done.stderr


def test_bad_arguments_are_named(chain: Chain, stranger: str) -> None:
    send = ("tx", "bank", "send")
    cases = {
        "invalid recipient 'gpu1nothing'": (*send, "alice", "gpu1nothing", "1ugpc"),
        "invalid amount 'ten-ugpc'": (*send, "alice", stranger, "ten-ugpc"),
        "unknown key": (*send, "nobody", stranger, "1ugpc"),
        "does not match the node's chain 'gpuchain-test'": (
            *send, "alice", stranger, "1ugpc", "--chain-id", "other-chain",
        ),
        "multi-send needs at least one recipient": ("tx", "bank", "multi-send", "alice", "1ugpc"),
    }  # fmt: skip

    results = chain.run_all(*((*argv, "--fees", FEE, "--yes") for argv in cases.values()))

    for problem, done in zip(cases, results, strict=True):
        assert done.returncode == 1 and problem in done.stderr, (problem, done.stderr)
    assert chain.balance(stranger) == 0


def test_on_a_terminal_the_tx_is_shown_and_sent_only_once_confirmed(
    chain: Chain, stranger: str
) -> None:
    running = {}
    for answer in ("n", "y"):
        terminal, child_side = pty.openpty()
        running[answer] = (
            terminal,
            chain.spawn(
                ("tx", "bank", "send", "sender", stranger, "77ugpc", "--fees", FEE),
                stdin=child_side,
            ),
        )
        os.close(child_side)
        os.write(terminal, f"{answer}\n".encode())
    declined, confirmed = (chain.finish(process) for _, process in running.values())
    for terminal, _ in running.values():
        os.close(terminal)

    assert declined.returncode == 1 and "not confirmed" in declined.stderr
    assert "/cosmos.bank.v1beta1.MsgSend" in declined.stderr and "[y/N]" in declined.stderr
    assert confirmed.returncode == 0, confirmed.stderr
    assert chain.balance(stranger) == 77


def test_generate_sign_broadcast_round_trip(chain: Chain, stranger: str, tmp_path: Path) -> None:
    # Generated where no keyring exists: alice's public key comes from her account on chain,
    # where it is recorded once she has signed a tx.
    if not chain.account("alice").HasField("pub_key"):
        chain.send("alice", chain.addresses["unfunded"], "1ugpc")
    unsigned = chain.json(
        "tx", "bank", "send", chain.addresses["alice"], stranger, "321ugpc", "--fees", FEE,
        "--generate-only", home=tmp_path / "no-keyring",
    )  # fmt: skip
    assert unsigned["signatures"] == []
    assert unsigned["body"]["messages"][0]["@type"] == "/cosmos.bank.v1beta1.MsgSend"
    assert unsigned["auth_info"]["signer_infos"][0]["public_key"]["key"]
    unsigned_file = tmp_path / "unsigned.json"
    unsigned_file.write_text(json.dumps(unsigned))

    not_signed = chain.run("tx", "broadcast", str(unsigned_file))
    assert not_signed.returncode == 1 and "is not signed" in not_signed.stderr

    signed = chain.json("tx", "sign", str(unsigned_file), "--from", "alice")
    assert len(signed["signatures"]) == 1
    assert signed["body"] == unsigned["body"]
    signed_file = tmp_path / "signed.json"
    signed_file.write_text(json.dumps(signed))

    response = chain.json("tx", "broadcast", str(signed_file))

    assert response["code"] == 0
    assert chain.balance(stranger) == 321


def test_fully_offline_signing_with_explicit_account_number_and_sequence(
    chain: Chain, stranger: str, no_node: str, tmp_path: Path
) -> None:
    account = chain.account("offline")
    number, sequence = str(account.account_number), str(account.sequence)
    unsigned = chain.ok(
        "tx", "bank", "send", "offline", stranger, "55ugpc", "--fees", FEE,
        "--generate-only", "--offline", "--account-number", number, "--sequence", sequence,
        node=no_node,
    )  # fmt: skip
    (tmp_path / "unsigned.json").write_text(unsigned)
    assert json.loads(unsigned)["auth_info"]["signer_infos"][0]["sequence"] == sequence

    signed = chain.ok(
        "tx", "sign", str(tmp_path / "unsigned.json"), "--from", "offline", "--offline",
        "--account-number", number, "--sequence", sequence, "--chain-id", "gpuchain-test",
        node=no_node,
    )  # fmt: skip
    (tmp_path / "signed.json").write_text(signed)

    response = chain.json("tx", "broadcast", str(tmp_path / "signed.json"))

    assert response["code"] == 0
    assert chain.balance(stranger) == 55
    assert sequence_of(chain, "offline") == int(sequence) + 1


def test_offline_signing_for_another_chain_is_rejected_naming_the_chain_id(
    chain: Chain, stranger: str, no_node: str, tmp_path: Path
) -> None:
    account = chain.account("offline")
    number, sequence = str(account.account_number), str(account.sequence)
    (tmp_path / "unsigned.json").write_text(
        chain.ok(
            "tx", "bank", "send", "offline", stranger, "1ugpc", "--fees", FEE,
            "--generate-only", "--offline", "--sequence", sequence, node=no_node,
        )
    )  # fmt: skip
    (tmp_path / "signed.json").write_text(
        chain.ok(
            "tx", "sign", str(tmp_path / "unsigned.json"), "--from", "offline", "--offline",
            "--account-number", number, "--sequence", sequence, "--chain-id", "some-other-chain",
            node=no_node,
        )
    )  # fmt: skip

    done = chain.run("tx", "broadcast", str(tmp_path / "signed.json"))

    assert done.returncode == 1
    assert "signature verification failed" in done.stderr
    assert "chain-id (this chain is 'gpuchain-test')" in done.stderr
    assert chain.balance(stranger) == 0


def test_offline_signing_needs_the_chain_id_account_number_and_sequence(
    chain: Chain, stranger: str, no_node: str, tmp_path: Path
) -> None:
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_text(
        chain.ok(
            "tx", "bank", "send", "offline", stranger, "1ugpc", "--fees", FEE,
            "--generate-only", "--offline", "--sequence", "0", node=no_node,
        )
    )  # fmt: skip

    # the home's client.toml names the chain id, so `--chain-id ""` takes it away
    incomplete, other_key, broadcast_offline = chain.run_all(
        (
            "tx",
            "sign",
            str(unsigned),
            "--from",
            "offline",
            "--offline",
            "--sequence",
            "0",
            "--chain-id",
            "",
        ),
        ("tx", "sign", str(unsigned), "--from", "alice", "--offline"),
        ("tx", "bank", "send", "offline", stranger, "1ugpc", "--offline", "--yes"),
        node=no_node,
    )

    assert incomplete.returncode == 1
    assert "--offline signing needs --chain-id, --account-number" in incomplete.stderr
    assert other_key.returncode == 1 and "different public key" in other_key.stderr
    assert broadcast_offline.returncode == 1 and "--generate-only" in broadcast_offline.stderr


def test_encode_gives_the_wire_bytes_and_decode_reverses_it(
    chain: Chain, stranger: str, no_node: str, tmp_path: Path
) -> None:
    unsigned = chain.ok(
        "tx", "bank", "send", "alice", stranger, "9ugpc", "--fees", FEE, "--memo", "encoded",
        "--generate-only", "--offline", "--sequence", "4", node=no_node,
    )  # fmt: skip
    (tmp_path / "unsigned.json").write_text(unsigned)

    as_text, as_json, bad = chain.run_all(
        ("tx", "encode", str(tmp_path / "unsigned.json")),
        ("tx", "encode", str(tmp_path / "unsigned.json"), "-o", "json"),
        ("tx", "decode", "not base64!"),
        node=no_node,
    )

    encoded = as_text.stdout.strip()
    raw = base64.b64decode(encoded, validate=True)
    envelope = tx_pb2.TxRaw.FromString(raw)
    assert tx_pb2.TxBody.FromString(envelope.body_bytes).memo == "encoded"
    assert json.loads(as_json.stdout) == {"tx": encoded}
    assert bad.returncode == 1 and "not base64" in bad.stderr
    decoded = chain.json("tx", "decode", encoded, node=no_node)
    assert decoded == json.loads(unsigned)
    assert raw_from_tx(tx_from_json(json.dumps(decoded), "decoded")) == raw


def test_gas_auto_simulates_then_sends_with_the_adjusted_estimate(
    chain: Chain, stranger: str
) -> None:
    done = chain.run(
        "tx",
        "bank",
        "send",
        "alice",
        stranger,
        "5ugpc",
        "--fees",
        FEE,
        "--gas",
        "auto",
        "--gas-adjustment",
        "1.5",
        "--yes",
        "-o",
        "json",
    )

    assert done.returncode == 0, done.stderr
    estimated = int(done.stderr.split("estimated gas: ")[1].split()[0])
    response = json.loads(done.stdout)
    assert int(response["gas_wanted"]) == estimated
    # The node's estimate is the block's figure (give or take the few bytes of the final
    # gas limit), and the adjustment is applied on top.
    used = int(response["gas_used"])
    assert used * 3 // 2 <= estimated <= (used + 100) * 3 // 2
    assert chain.balance(stranger) == 5


def test_gas_auto_stops_a_failing_tx_before_it_costs_a_fee(chain: Chain, stranger: str) -> None:
    carol = chain.addresses["carol"]
    before, sequence = chain.balance(carol), sequence_of(chain, "carol")

    done = chain.run(
        "tx",
        "bank",
        "send",
        "carol",
        stranger,
        "999999999ugpc",
        "--fees",
        FEE,
        "--gas",
        "auto",
        "--yes",
    )

    assert done.returncode == 1
    assert "simulation failed, nothing was sent" in done.stderr
    assert "insufficient funds" in done.stderr
    assert chain.balance(carol) == before
    assert sequence_of(chain, "carol") == sequence


def test_tx_simulate_prints_the_gas_of_an_unsigned_tx(
    chain: Chain, stranger: str, tmp_path: Path
) -> None:
    generated = chain.run(
        "tx", "bank", "send", "alice", stranger, "3ugpc", "--fees", FEE, "--generate-only"
    )
    assert generated.returncode == 0, generated.stderr
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_text(generated.stdout)

    done = chain.run("tx", "simulate", str(unsigned), "-o", "json")

    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert int(answer["gas_info"]["gas_used"]) > 0
    assert any(event["type"] == "transfer" for event in answer["events"])
    assert chain.balance(stranger) == 0


def test_gas_auto_and_a_bad_adjustment_are_refused_by_name(chain: Chain, stranger: str) -> None:
    offline = chain.run(
        "tx",
        "bank",
        "send",
        "alice",
        stranger,
        "1ugpc",
        "--gas",
        "auto",
        "--offline",
        "--generate-only",
        "--sequence",
        "0",
    )
    assert offline.returncode != 0
    assert "--gas auto simulates on a node" in offline.stderr

    low = chain.run("tx", "bank", "send", "alice", stranger, "1ugpc", "--gas-adjustment", "0.5")
    assert low.returncode != 0
    assert "0.5 is below 1" in low.stderr


def test_numbers_past_their_wire_fields_are_refused_in_one_line(
    chain: Chain, stranger: str
) -> None:
    for flag, value in (
        ("--gas", "99999999999999999999"),
        ("--sequence", "18446744073709551616"),
        ("--account-number", "18446744073709551616"),
        ("--timeout-height", "99999999999999999999999"),
    ):
        done = chain.run(
            "tx", "bank", "send", "alice", stranger, "1ugpc", flag, value, "--generate-only"
        )
        assert done.returncode == 2, (flag, done.stderr)
        assert f"argument {flag}: {value} is above the largest allowed" in done.stderr
        assert "Traceback" not in done.stderr
