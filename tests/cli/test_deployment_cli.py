"""Deployments through `gpuchain tx|query deployment` and `query escrow` on the session's
real node: a GPU SDL file (tests/data/deployment, one of ../shared/sdl/public priced in ugpc)
becomes a deployment, a third party tops up its escrow, and close refunds it to the ugpc."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import Chain

GPU_SDL = str(Path(__file__).resolve().parents[1] / "data" / "deployment" / "gpu_deploy.yaml")
CREATE_FEE = 600  # the minimum gas price (0.001ugpc) times create's default 600000 gas
FEE = 200  # ... times the default 200000 gas
DEPOSIT = 5_000_000
TOP_UP = 1_234
DSEQ = "4242"


def test_a_gpu_sdl_deployment_is_created_topped_up_and_closed_with_an_exact_refund(
    chain: Chain,
) -> None:
    alice = chain.addresses["alice"]
    before = chain.balance(alice)
    created = chain.json(
        "tx", "deployment", "create", GPU_SDL, "--deposit", f"{DEPOSIT}ugpc", "--dseq", DSEQ,
        "--from", "alice", "--fees", f"{CREATE_FEE}ugpc", "--yes",
    )  # fmt: skip
    assert created["code"] == 0, created
    assert chain.balance(alice) == before - DEPOSIT - CREATE_FEE

    found = chain.json("query", "deployment", "get", "--owner", "alice", "--dseq", DSEQ)
    assert found["state"] == "active" and len(found["groups"]) == 1
    unit = found["groups"][0]["spec"]["resources"][0]
    assert unit["resource"]["gpu_units"] == 1 and unit["price"]["denom"] == "ugpc"
    assert unit["resource"]["gpu_attributes"] == [{"key": "vendor/nvidia/model/*", "value": "true"}]

    carol = chain.addresses["carol"]
    carol_before = chain.balance(carol)
    topped = chain.json(
        "tx", "deployment", "deposit", f"{TOP_UP}ugpc", "--dseq", DSEQ, "--owner", alice,
        "--from", "carol", "--fees", f"{FEE}ugpc", "--yes",
    )  # fmt: skip
    assert topped["code"] == 0, topped
    assert chain.balance(carol) == carol_before - TOP_UP - FEE
    escrow = chain.json("query", "escrow", "balance", "--owner", alice, "--dseq", DSEQ)
    assert (escrow["balance"], escrow["deposited"]) == (str(DEPOSIT + TOP_UP),) * 2

    closed = chain.json(
        "tx", "deployment", "close", "--dseq", DSEQ, "--from", "alice", "--fees", f"{FEE}ugpc",
        "--yes",
    )  # fmt: skip
    assert closed["code"] == 0, closed
    # Alice gets back her deposit and Carol's top-up: nothing was paid to a provider.
    assert chain.balance(alice) == before - CREATE_FEE - FEE + TOP_UP
    escrow = chain.json("query", "escrow", "balance", "--owner", alice, "--dseq", DSEQ)
    assert (escrow["state"], escrow["balance"]) == ("closed", "0")
    assert escrow["refunded"] == str(DEPOSIT + TOP_UP)

    listed = chain.json("query", "deployment", "list", "--owner", "alice", "--state", "closed")
    assert DSEQ in [d["dseq"] for d in listed["deployments"]]
    table = chain.ok("query", "deployment", "list", "--owner", "alice", "--state", "closed")
    assert table.startswith("OWNER") and f"{alice}  {DSEQ}" in table and "closed" in table
    text = chain.ok("query", "escrow", "balance", "--owner", alice, "--dseq", DSEQ)
    assert "state: closed" in text and f"refunded: {DEPOSIT + TOP_UP}" in text

    again = chain.run(
        "tx", "deployment", "close", "--dseq", DSEQ, "--from", "alice", "--fees", f"{FEE}ugpc",
        "--yes", "-o", "json",
    )  # fmt: skip
    # the simulation refuses it before anything is signed: no fee is paid
    assert again.returncode != 0
    error = json.loads(again.stdout)["error"]
    assert error.startswith("simulation failed, nothing was sent")
    assert "(deployment/4)" in error and "closed" in error


def test_a_missing_sdl_file_is_named_in_one_line(chain: Chain, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    done = chain.run(
        "tx", "deployment", "create", str(missing), "--deposit", "5000000ugpc", "--from", "alice",
        "--yes",
    )  # fmt: skip
    assert done.returncode != 0
    assert str(missing) in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_an_sdl_signed_by_an_akash_auditor_is_refused_in_one_line_before_signing(
    chain: Chain, tmp_path: Path
) -> None:
    akash_auditor = "akash1365yvmc4s7awdyj3n2sav7xfx76adc6dnmlx63"
    signed = tmp_path / "signed.yaml"
    placement = "  placement:\n    akash:\n"
    signed.write_text(
        Path(GPU_SDL)
        .read_text()
        .replace(placement, f"{placement}      signedBy:\n        anyOf: [{akash_auditor}]\n")
    )
    alice = chain.addresses["alice"]
    before = chain.balance(alice)
    done = chain.run(
        "tx", "deployment", "create", str(signed), "--deposit", f"{DEPOSIT}ugpc", "--from",
        "alice", "--yes",
    )  # fmt: skip
    assert done.returncode != 0
    [line] = done.stderr.strip().splitlines()
    assert akash_auditor in line and "signedBy.anyOf" in line
    assert "auditors on this chain are gpu1… addresses" in line
    assert chain.balance(alice) == before  # nothing was sent


def test_a_deposit_in_another_denom_is_refused_before_signing(chain: Chain) -> None:
    done = chain.run(
        "tx", "deployment", "deposit", "10uatom", "--dseq", "1", "--from", "alice", "--yes"
    )
    assert done.returncode != 0
    assert "uatom" in done.stderr and "ugpc" in done.stderr


def test_update_changes_only_the_manifest_and_groups_pause_and_start(
    chain: Chain, tmp_path: Path
) -> None:
    dseq = "4343"
    created = chain.json(
        "tx", "deployment", "create", GPU_SDL, "--deposit", f"{DEPOSIT}ugpc", "--dseq", dseq,
        "--from", "alice", "--fees", f"{CREATE_FEE}ugpc", "--yes",
    )  # fmt: skip
    assert created["code"] == 0, created
    text = Path(GPU_SDL).read_text()
    new_image = tmp_path / "new-env.yaml"
    new_image.write_text(text.replace('"LINK_MODEL="', '"LINK_MODEL=v2"'))
    other_groups = tmp_path / "less-cpu.yaml"
    other_groups.write_text(text.replace("units: 16.0", "units: 8.0"))
    old_hash = chain.json("query", "deployment", "get", "--owner", "alice", "--dseq", dseq)[
        "manifest_hash"
    ]

    refused = chain.run(
        "tx", "deployment", "update", str(other_groups), "--dseq", dseq, "--from", "alice",
        "--fees", f"{FEE}ugpc", "--yes",
    )  # fmt: skip
    assert refused.returncode != 0 and "groups differ" in refused.stderr
    updated = chain.json(
        "tx", "deployment", "update", str(new_image), "--dseq", dseq, "--from", "alice",
        "--fees", f"{FEE}ugpc", "--yes",
    )  # fmt: skip
    assert updated["code"] == 0, updated
    found = chain.json("query", "deployment", "get", "--owner", "alice", "--dseq", dseq)
    assert found["manifest_hash"] != old_hash

    for action, state in (("pause", "paused"), ("start", "open"), ("close", "closed")):
        done = chain.json(
            "tx", "deployment", "group", action, "--dseq", dseq, "--gseq", "1", "--from", "alice",
            "--fees", f"{FEE}ugpc", "--yes",
        )  # fmt: skip
        assert done["code"] == 0, done
        found = chain.json("query", "deployment", "get", "--owner", "alice", "--dseq", dseq)
        assert found["groups"][0]["state"] == state
    text_output = chain.ok("query", "deployment", "get", "--owner", "alice", "--dseq", dseq)
    assert "group 1 akash: closed" in text_output
