"""Where the app meets its modules: the one place that names them all, in block-hook order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
from x.bank.types import MODULE_ACCOUNT_NAMES
from x.distribution.keeper import DistributionKeeper
from x.distribution.module import DistributionModule
from x.genutil.module import GenutilModule
from x.slashing.keeper import SlashingKeeper
from x.slashing.module import SlashingModule
from x.staking.keeper import StakingKeeper
from x.staking.module import StakingModule


@dataclass(frozen=True)
class Modules:
    """Every module and keeper, built once and wired through their expected interfaces."""

    auth: AuthModule
    bank: BankModule
    distribution: DistributionModule
    slashing: SlashingModule
    staking: StakingModule
    genutil: GenutilModule

    def in_order(self) -> list[Module]:
        """Hook order on every node: begin-block pays last block's rewards, then punishes
        evidence and downtime; end-block then recomputes the validator set."""
        return [self.auth, self.bank, self.distribution, self.slashing, self.staking, self.genutil]


def wire_modules() -> Modules:
    accounts = AccountKeeper(module_accounts=MODULE_ACCOUNT_NAMES)
    bank = BankKeeper(accounts)
    staking = StakingKeeper(bank)
    distribution = DistributionKeeper(bank, staking)
    staking.hooks.append(distribution)
    slashing = SlashingKeeper(staking)
    staking.status_hooks.append(slashing)
    return Modules(
        auth=AuthModule(accounts),
        bank=BankModule(bank),
        distribution=DistributionModule(distribution),
        slashing=SlashingModule(slashing),
        staking=StakingModule(staking, bank),
        genutil=GenutilModule(),
    )


def build_modules() -> list[Module]:
    return wire_modules().in_order()


def build_app(
    data_dir: Path, config: AppConfig, extra_modules: Sequence[Module] = ()
) -> Application:
    """Open (or create) the node's state database and wire every module (tests may add
    modules of their own after them)."""
    modules = wire_modules()
    ante = AnteHandler(modules.auth.keeper, modules.bank.keeper, GasSchedule())
    return Application(CommitStore(data_dir), [*modules.in_order(), *extra_modules], ante, config)


def default_app_state() -> dict[str, object]:
    return {module.name: module.default_genesis() for module in build_modules()}
