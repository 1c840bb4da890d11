"""A newcomer's CLI on a real node: client.toml settings, a simulation before anything is
spent, and errors that say how to fix them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from conftest import ENVIRONMENT, FEE, REPOSITORY, Chain

from chain.crypto import decode_address, encode_validator_address

FEE_AMOUNT = int(FEE.removesuffix("ugpc"))


def bare(
    *argv: str, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """`gpuchain ARGV` with no flag added: what client.toml and the environment decide."""
    return subprocess.run(
        [sys.executable, "-m", "chain.cli.main", *argv],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        env={**ENVIRONMENT, **(env or {})},
        timeout=90,
        check=False,
    )


def client_home(tmp_path: Path, **settings: str) -> Path:
    """A home holding only a client.toml, written by `gpuchain config set client`."""
    home = tmp_path / "client-home"
    for key, value in settings.items():
        done = bare("config", "set", "client", key.replace("_", "-"), value, "--home", str(home))
        assert done.returncode == 0, done.stderr
    return home


def test_client_toml_settings_apply_and_flags_override_them(
    chain: Chain, tmp_path: Path, no_node: str
) -> None:
    alice = chain.addresses["alice"]
    home = client_home(tmp_path, node=chain.node.rpc_address, output="json")

    from_file = bare("query", "bank", "balances", alice, "--home", str(home))
    from_env = bare("query", "bank", "balances", alice, env={"GPUCHAIN_HOME": str(home)})
    text_flag = bare("query", "bank", "balances", alice, "--home", str(home), "-o", "text")

    assert from_file.returncode == 0, from_file.stderr
    assert json.loads(from_file.stdout)["balances"][0]["denom"] == "ugpc"
    assert json.loads(from_env.stdout) == json.loads(from_file.stdout)
    assert text_flag.returncode == 0 and "ugpc" in text_flag.stdout
    assert not text_flag.stdout.lstrip().startswith("{")

    assert bare("config", "set", "client", "node", no_node, "--home", str(home)).returncode == 0
    unreachable = bare("query", "bank", "balances", alice, "--home", str(home))
    node_flag = bare(
        "query", "bank", "balances", alice, "--home", str(home), "--node", chain.node.rpc_address
    )
    assert unreachable.returncode == 1
    assert no_node.removeprefix("tcp://") in unreachable.stdout
    assert node_flag.returncode == 0, node_flag.stdout
    got = bare("config", "get", "client", "node", "--home", str(home), "-o", "text")
    assert got.stdout.strip() == no_node


def test_config_refuses_unknown_keys_and_bad_values_naming_the_valid_ones(tmp_path: Path) -> None:
    home = str(tmp_path)
    unknown = bare("config", "set", "client", "fee", "1ugpc", "--home", home)
    bad = bare("config", "set", "client", "output", "xml", "--home", home)
    gas = bare("config", "set", "client", "gas", "lots", "--home", home)

    assert unknown.returncode == 1
    assert "unknown client.toml key 'fee'" in unknown.stderr
    assert "chain-id, keyring-backend, node, output, broadcast-mode, gas" in unknown.stderr
    assert bad.returncode == 1 and "'xml' is not one of text, json, yaml" in bad.stderr
    assert gas.returncode == 1 and "'lots' is not an integer" in gas.stderr
    assert not (tmp_path / "config" / "client.toml").exists()


def test_a_wrong_denom_is_refused_before_broadcast_naming_the_chains_denom(
    chain: Chain, stranger: str
) -> None:
    alice = chain.addresses["alice"]
    before, sequence = chain.balance(alice), chain.account("alice").sequence

    for amount in ("1000gpc", "1000atom"):
        done = chain.run("tx", "bank", "send", "alice", stranger, amount, "--fees", FEE, "--yes")
        assert done.returncode == 1
        denom = amount.removeprefix("1000")
        assert f"unknown denom '{denom}': this chain's denoms are ugpc" in done.stderr
        assert "nothing was sent" in done.stderr and len(done.stderr.splitlines()) == 1

    assert chain.balance(alice) == before  # not even the fee
    assert chain.account("alice").sequence == sequence


def test_dry_run_prints_the_simulation_and_sends_nothing(chain: Chain, stranger: str) -> None:
    alice = chain.addresses["alice"]
    before = chain.balance(alice)

    text = chain.run("tx", "bank", "send", "alice", stranger, "7ugpc", "--fees", FEE, "--dry-run")
    as_json = chain.json(
        "tx", "bank", "send", "alice", stranger, "7ugpc", "--fees", FEE, "--dry-run"
    )

    assert text.returncode == 0, text.stderr
    assert "dry run, nothing was sent" in text.stdout and "gas used: " in text.stdout
    used = int(as_json["gas_info"]["gas_used"])
    assert int(as_json["gas_estimate"]) == -(-used * 13 // 10)
    assert any(event["type"] == "transfer" for event in as_json["events"])
    assert chain.balance(alice) == before and chain.balance(stranger) == 0


def test_gas_prices_pay_the_gas_limit_times_the_price(chain: Chain, stranger: str) -> None:
    alice = chain.addresses["alice"]
    before = chain.balance(alice)

    response = chain.json(
        "tx", "bank", "send", "alice", stranger, "11ugpc", "--gas", "150000",
        "--gas-prices", "0.002ugpc", "--yes",
    )  # fmt: skip
    both = chain.run(
        "tx", "bank", "send", "alice", stranger, "1ugpc", "--fees", FEE,
        "--gas-prices", "0.002ugpc", "--yes",
    )  # fmt: skip

    assert response["code"] == 0, response
    assert chain.balance(alice) == before - 11 - 300
    assert both.returncode == 1 and "either --fees or --gas-prices" in both.stderr


def test_the_default_simulates_and_signs_with_the_adjusted_estimate(
    chain: Chain, stranger: str
) -> None:
    done = chain.run("tx", "bank", "send", "alice", stranger, "3ugpc", "--fees", FEE, "--yes")

    assert done.returncode == 0, done.stderr
    estimated = int(done.stderr.split("estimated gas: ")[1].split()[0])
    assert 0 < estimated < 200_000
    assert chain.balance(stranger) == 3


def test_a_sequence_mismatch_says_what_to_do(chain: Chain, stranger: str) -> None:
    sequence = chain.account("alice").sequence

    done = chain.run(
        "tx", "bank", "send", "alice", stranger, "1ugpc", "--fees", FEE, "--gas", "200000",
        "--sequence", str(sequence + 5), "--yes",
    )  # fmt: skip

    assert done.returncode == 1
    assert (
        "another tx from this account is pending; wait for it, "
        f"or pass --sequence {sequence}" in done.stderr
    )
    assert chain.balance(stranger) == 0


def test_an_account_address_or_key_name_is_no_validator(chain: Chain) -> None:
    alice = chain.addresses["alice"]
    by_address, by_key, query = chain.run_all(
        ("tx", "staking", "delegate", alice, "1ugpc", "--from", "alice", "--yes"),
        ("tx", "staking", "delegate", "alice", "1ugpc", "--from", "alice", "--yes"),
        ("query", "staking", "validator", "alice"),
    )

    for done in (by_address, by_key, query):
        assert done.returncode == 1
        assert "a validator is named by its gpuvaloper1… operator address" in done.stderr
        assert len(done.stderr.splitlines()) == 1
    assert "an account address (gpu1…)" in by_address.stderr
    assert "'alice' is a key name" not in by_key.stderr and "a key name" in by_key.stderr


def test_negative_amounts_are_refused_as_amounts(chain: Chain, stranger: str) -> None:
    done = chain.run("tx", "bank", "send", "alice", stranger, "-5ugpc", "--fees", FEE, "--yes")

    assert done.returncode == 1
    assert "invalid amount '-5ugpc'" in done.stderr
    assert "unrecognized" not in done.stderr and "expected one argument" not in done.stderr


def test_yaml_output_and_async_broadcast(chain: Chain, stranger: str) -> None:
    balance = yaml.safe_load(
        chain.ok("query", "bank", "balances", chain.addresses["alice"], "-o", "yaml")
    )
    sent = chain.json(
        "tx", "bank", "send", "alice", stranger, "4ugpc", "--fees", FEE, "--yes", "-b", "async"
    )

    assert balance["balances"][0]["denom"] == "ugpc"
    assert len(sent["txhash"]) == 64 and sent["height"] == "0"
    chain.node.wait_for_height(chain.node.last_height() + 2, timeout=30)
    assert chain.json("query", "tx", sent["txhash"])["code"] == 0


def test_an_unknown_flag_shows_the_subcommands_usage(chain: Chain, stranger: str) -> None:
    done = chain.run("tx", "bank", "send", "alice", stranger, "1ugpc", "--bogus")

    assert done.returncode == 2
    assert done.stderr.startswith("usage: gpuchain tx bank send ")
    assert done.stderr.splitlines()[-1] == (
        "Error: gpuchain tx bank send: unrecognized arguments: --bogus"
    )


def test_keys_hints_name_the_backend_path_and_flags(chain: Chain, tmp_path: Path) -> None:
    home = str(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    added = subprocess.run(
        [sys.executable, "-m", "chain.cli.main", "keys", "add", "dora", "--home", home,
         "--keyring-backend", "test"],
        capture_output=True, text=True, cwd=REPOSITORY, env=env, timeout=60, check=False,
    )  # fmt: skip
    listed = bare("keys", "list", "--home", home)
    missing = bare("keys", "show", "dora", "--home", home)

    assert added.returncode == 0, added.stderr
    assert f"gpuchain keys add dora --recover --home {home} --keyring-backend test" in added.stdout
    assert f"No keys in the file keyring at {home}/keyring-file" in listed.stdout
    assert "--keyring-backend test" in listed.stdout
    assert missing.returncode == 1
    assert f"the test keyring at {home}/keyring-test has that key" in missing.stderr


def test_a_delegation_to_no_validator_fails_on_the_client_and_costs_nothing(
    chain: Chain, stranger: str
) -> None:
    nobody = encode_validator_address(decode_address(stranger))
    alice = chain.addresses["alice"]
    before, sequence = chain.balance(alice), chain.account("alice").sequence

    done = chain.run(
        "tx", "staking", "delegate", nobody, "1000ugpc", "--from", "alice", "--fees", "400ugpc",
        "--yes",
    )  # fmt: skip

    assert done.returncode == 1
    assert done.stderr.startswith("Error: simulation failed, nothing was sent")
    assert "(staking/" in done.stderr and len(done.stderr.splitlines()) == 1
    assert chain.balance(alice) == before
    assert chain.account("alice").sequence == sequence
