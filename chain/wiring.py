"""Where the app meets its modules: the one place that names them all, in block-hook order."""

from __future__ import annotations

from pathlib import Path

from chain.app import AppConfig, Application
from chain.context import GasSchedule
from chain.module import Module
from chain.store import CommitStore
from x.auth.ante import AnteHandler
from x.auth.keeper import AccountKeeper
from x.auth.module import AuthModule
from x.bank.keeper import BankKeeper
from x.bank.module import BankModule


def build_modules() -> list[Module]:
    accounts = AccountKeeper()
    return [AuthModule(accounts), BankModule(BankKeeper(accounts))]


def build_app(data_dir: Path, config: AppConfig) -> Application:
    """Open (or create) the node's state database and wire every module."""
    modules = build_modules()
    auth, bank = modules[0], modules[1]
    assert isinstance(auth, AuthModule) and isinstance(bank, BankModule)
    ante = AnteHandler(auth.keeper, bank.keeper, GasSchedule())
    return Application(CommitStore(data_dir), modules, ante, config)


def default_app_state() -> dict[str, object]:
    return {module.name: module.default_genesis() for module in build_modules()}
