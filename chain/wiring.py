"""Where the app meets its modules: the one place that names them all, in block-hook order."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

from google.protobuf.message import Message

from chain.app import AppConfig, Application
from chain.coins import Coin
from chain.context import GasSchedule
from chain.module import Module, module_accounts
from chain.pb.cosmos.staking.v1beta1 import staking_pb2
from chain.store import CommitStore
from x.audit.keeper import AuditKeeper
from x.audit.module import AuditModule
from x.auth.ante import AnteHandler
from x.auth.keeper import AccountKeeper
from x.auth.module import AuthModule
from x.bank.keeper import BankKeeper
from x.bank.module import BankModule
from x.deployment.keeper import DeploymentKeeper
from x.deployment.module import DeploymentModule
from x.distribution.keeper import DistributionKeeper
from x.distribution.module import DistributionModule
from x.escrow.keeper import EscrowKeeper
from x.escrow.module import EscrowModule
from x.genutil.module import GenutilModule
from x.market.keeper import MarketKeeper
from x.market.module import MarketModule
from x.market.usage_keeper import UsageKeeper
from x.market.usage_module import UsageModule
from x.provider.keeper import ProviderKeeper
from x.provider.module import ProviderModule
from x.slashing.keeper import SlashingKeeper
from x.slashing.module import SlashingModule
from x.staking.keeper import StakingKeeper
from x.staking.module import StakingModule
from x.staking.msgs import DEFAULT_COMMISSION, create_validator_msg

ModuleT = TypeVar("ModuleT", bound=Module)

_MARKET_IDS = ("owner", "dseq", "gseq", "oseq")
# What `gpuchain init` writes as app.toml's index-events: the attributes that the CLI
# (`query txs --events`), Cosmos clients (GetTxsEvent by message.sender), explorers and
# the provider's tools search txs by. CometBFT always indexes tx.hash and tx.height. The
# rest (coin_spent, coin_received, the fee, the signature, ...) stay in the block results
# unindexed: indexing every attribute cost ~23 % of the node's throughput
# (docs/benchmarks.md). The provider daemon reads /block_results, which holds every event.
DEFAULT_INDEX_EVENTS: tuple[str, ...] = (
    "message.action",
    "message.sender",
    "transfer.recipient",
    "transfer.sender",
    "transfer.amount",
    "tx.acc_seq",
    *(
        f"deployment_{transition}.{key}"
        for transition in ("created", "updated", "closed")
        for key in ("owner", "dseq")
    ),
    *(
        f"order_{transition}.{key}"
        for transition in ("created", "reopened", "closed")
        for key in _MARKET_IDS
    ),
    *(
        f"{kind}_{transition}.{key}"
        for kind, transitions in (
            ("bid", ("created", "closed", "lost")),
            ("lease", ("created", "closed", "withdrawn")),
        )
        for transition in transitions
        for key in (*_MARKET_IDS, "provider")
    ),
)


class Modules:
    """Every wired module in block-hook order, found by name or (typed) by its class."""

    def __init__(self, modules: Sequence[Module]) -> None:
        self._modules = tuple(modules)
        self._by_name: dict[str, Module] = {}
        for module in self._modules:
            if module.name in self._by_name:
                raise ValueError(f"two modules are named {module.name!r}")
            self._by_name[module.name] = module

    def in_order(self) -> list[Module]:
        return list(self._modules)

    def __getitem__(self, name: str) -> Module:
        return self._by_name[name]

    def get(self, module_class: type[ModuleT]) -> ModuleT:
        """The wired module of that class (raises LookupError when none is wired)."""
        for module in self._modules:
            if isinstance(module, module_class):
                return module
        raise LookupError(f"no {module_class.__name__} is wired")


def wire_modules() -> Modules:
    """Build every keeper once, hand each the others it needs through their expected
    interfaces, and list the modules. Adding a module is one line in that list."""
    accounts = AccountKeeper()
    bank = BankKeeper(accounts)
    staking = StakingKeeper(bank)
    distribution = DistributionKeeper(bank, staking)
    staking.hooks.append(distribution)
    slashing = SlashingKeeper(staking)
    staking.status_hooks.append(slashing)
    escrow = EscrowKeeper(bank, distribution)
    deployment = DeploymentKeeper(escrow)
    provider = ProviderKeeper(bank, staking)
    audit = AuditKeeper(provider)
    market = MarketKeeper(bank, escrow, deployment, provider, audit)
    deployment.hooks.append(market)
    provider.obligations.append(market)
    usage = UsageKeeper(market, escrow, provider, distribution, bank)
    market.lease_hooks.append(usage)
    escrow.payout_limits.append(usage)
    # Hook order on every node: begin-block pays last block's rewards, then punishes
    # evidence and downtime; end-block then recomputes the validator set.
    modules = Modules(
        [
            AuthModule(accounts),
            BankModule(bank),
            DistributionModule(distribution),
            SlashingModule(slashing),
            StakingModule(staking, bank),
            EscrowModule(escrow),
            DeploymentModule(deployment),
            ProviderModule(provider),
            AuditModule(audit),
            MarketModule(market),
            UsageModule(usage),
            GenutilModule(),
        ]
    )
    declared = module_accounts(modules.in_order())
    accounts.set_module_accounts(declared.values())
    bank.set_module_accounts(declared)
    return modules


def build_modules() -> list[Module]:
    return wire_modules().in_order()


def build_app(
    data_dir: Path,
    config: AppConfig,
    extra_modules: Sequence[Module] = (),
    modules: Modules | None = None,
) -> Application:
    """Open (or create) the node's state database and wire every module (tests may add
    modules of their own after them, and keep the wired modules to reach their keepers)."""
    modules = modules or wire_modules()
    ante = AnteHandler(
        modules.get(AuthModule).keeper,
        modules.get(BankModule).keeper,
        GasSchedule(),
        verified_entries=2 * config.mempool_size,
    )
    return Application(CommitStore(data_dir), [*modules.in_order(), *extra_modules], ante, config)


def default_app_state() -> dict[str, object]:
    return {module.name: module.default_genesis() for module in build_modules()}


def gentx_message(
    operator: bytes,
    consensus_pubkey: bytes,
    amount: Coin,
    moniker: str,
    commission: tuple[str, str, str] | None = None,
) -> Message:
    """What a gentx signs: staking's MsgCreateValidator bonding amount from operator's
    account to the node's ed25519 consensus key (commission: rate, max rate, max change)."""
    return create_validator_msg(
        operator,
        consensus_pubkey,
        amount,
        staking_pb2.Description(moniker=moniker),
        commission or DEFAULT_COMMISSION,
    )
