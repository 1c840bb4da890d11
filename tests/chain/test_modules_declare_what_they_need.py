"""Modules declare their store prefix and module accounts; wiring builds the tables from
those declarations and refuses a start-up where two modules would share keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from chain_fixtures import ALICE, Chain, send

from chain.app import AppConfig
from chain.coins import Coin, Coins
from chain.context import Context, ExecMode, infinite_gas
from chain.crypto import encode_address, module_address
from chain.errors import AppError
from chain.module import Module, module_accounts
from chain.store import Overlay
from chain.wiring import build_app, build_modules
from x.bank.module import BankModule


def test_each_wired_module_owns_its_own_store_prefix(tmp_path: Path) -> None:
    app = build_app(tmp_path / "node", AppConfig())
    assert app.store_prefixes == {
        b"\x00": "app",
        b"\x01": "auth",
        b"\x02": "bank",
        b"\x03": "staking",
        b"\x04": "slashing",
        b"\x05": "distribution",
        b"\x06": "provider",
        b"\x07": "audit",
        b"\x08": "deployment",
        b"\x09": "market",
        b"\x0a": "escrow",
    }
    app.store.close()


@pytest.mark.parametrize(("prefix", "owner"), [(b"\x03", "staking"), (b"\x00\x07", "app")])
def test_a_module_whose_prefix_overlaps_another_stops_the_app_from_starting(
    tmp_path: Path, prefix: bytes, owner: str
) -> None:
    class Intruder(Module):
        name = "intruder"
        store_prefix = prefix

    with pytest.raises(ValueError, match=f"intruder claims store prefix .* overlaps {owner}'s"):
        build_app(tmp_path / "node", AppConfig(), [Intruder()])


def test_no_declared_module_account_can_be_paid_by_transfer(chain: Chain) -> None:
    declared = module_accounts(build_modules())
    assert {account.name for account in declared.values()} == {
        "fee_collector",
        "bonded_tokens_pool",
        "not_bonded_tokens_pool",
        "distribution",
        "escrow",
        "provider_collateral",
        "market",
    }
    for address in sorted(declared):
        raw = chain.node.sign(ALICE, [send(ALICE, encode_address(address), "1")])
        result = chain.node.block([raw]).tx_results[0]
        assert result.code == 4 and "module account" in result.log


def test_only_a_module_account_with_the_burner_permission_may_burn(chain: Chain) -> None:
    bank = chain.node.modules.get(BankModule).keeper
    store = Overlay(chain.node.app.store.committed())
    ctx = Context(store, "gpuchain-test", 1, 0, ExecMode.FINALIZE, infinite_gas())
    for holder in (ALICE.address, module_address("fee_collector")):
        with pytest.raises(AppError, match="may not burn"):
            bank.burn(ctx, holder, Coins.of([Coin("ugpc", 1)]))
    bank.burn(ctx, module_address("bonded_tokens_pool"), Coins())
