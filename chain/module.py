"""The interface every application module implements, and how the app finds its parts.

A module contributes message routes (type URL → stateless check, signer, handler),
query routes (gRPC method path → handler over committed state), genesis import/export,
invariants and optional block hooks. The app calls block hooks in module order.
"""

from __future__ import annotations

import argparse
import functools
import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

from chain.context import Context, EvidenceParams
from chain.crypto import module_address
from chain.store import KVStore

JsonDict = dict[str, Any]
KeeperT = TypeVar("KeeperT")


@dataclass(frozen=True)
class MsgRoute:
    """How the app treats one message type."""

    message_class: type[Message]
    validate_basic: Callable[[Any], None]
    signer: Callable[[Any], str]
    handler: Callable[[Context, Any], Message]
    module: str

    @property
    def type_url(self) -> str:
        return "/" + self.message_class.DESCRIPTOR.full_name


@dataclass(frozen=True)
class QueryRoute:
    """A gRPC-style query: method path, request/response classes and the handler."""

    path: str
    request_class: type[Message]
    response_class: type[Message]
    handler: Callable[[KVStore, Any], Message]


MINTER = "minter"
BURNER = "burner"
STAKING = "staking"
APP_STORE_PREFIX = b"\x00"  # the app's own keys (chain id, consensus params)


@dataclass(frozen=True)
class ModuleAccount:
    """An account a module owns, with what it may do to the supply (MINTER, BURNER) or to
    bonded stake (STAKING); nobody may send to it by transfer."""

    name: str
    permissions: frozenset[str] = frozenset()

    @property
    def address(self) -> bytes:
        return module_address(self.name)


@dataclass(frozen=True)
class ValidatorUpdate:
    """A change of one validator's voting power for CometBFT (power 0 removes it)."""

    ed25519_pubkey: bytes
    power: int


@dataclass(frozen=True)
class Invariant:
    """A property of state that must hold after every block; check returns a problem or None."""

    name: str
    check: Callable[[KVStore], str | None]


class ModuleCommands(Protocol):
    """A module's command line (its `cli.py`): `gpuchain tx <module> …` and
    `gpuchain query <module> …`, built with chain.cli.api."""

    def register_tx(
        self,
        commands: argparse._SubParsersAction[argparse.ArgumentParser],
        common: argparse.ArgumentParser,
    ) -> None: ...

    def register_query(
        self,
        commands: argparse._SubParsersAction[argparse.ArgumentParser],
        common: argparse.ArgumentParser,
    ) -> None: ...


class Module:
    """Base with no-op defaults; a module overrides what it has."""

    name: str = ""
    store_prefix: bytes = b""  # the first byte of every key the module writes (empty: none)
    module_accounts: tuple[ModuleAccount, ...] = ()

    def msg_routes(self) -> list[MsgRoute]:
        return []

    def query_routes(self) -> list[QueryRoute]:
        return []

    def default_genesis(self) -> JsonDict:
        return {}

    def validate_genesis(self, state: JsonDict) -> None:
        """Raise AppError naming the first problem in this module's genesis section."""

    def init_genesis(self, ctx: Context, state: JsonDict) -> None:
        pass

    def export_genesis(self, store: KVStore) -> JsonDict:
        return {}

    def validate_evidence_age(self, state: JsonDict, evidence: EvidenceParams) -> None:
        """Raise AppError if this module's genesis section would let stake outlive the
        evidence against it (the consensus evidence max age)."""

    def begin_block(self, ctx: Context) -> None:
        pass

    def end_block(self, ctx: Context) -> list[ValidatorUpdate]:
        return []

    def genesis_validators(self, store: KVStore) -> list[ValidatorUpdate]:
        """The whole validator set after genesis, for InitChain (empty: not this module's)."""
        return []

    def invariants(self) -> list[Invariant]:
        return []

    def commands(self) -> ModuleCommands | None:
        """The module's cli.py, imported only by the command line (None: no commands)."""
        return None


def store_prefix_table(modules: Sequence[Module]) -> dict[bytes, str]:
    """Which module owns each store prefix, the app's own first; raises ValueError when two
    modules claim the same prefix or one prefix starts another (their keys would mix)."""
    table = {APP_STORE_PREFIX: "app"}
    for module in modules:
        if not module.store_prefix:
            continue
        for prefix, owner in table.items():
            if module.store_prefix.startswith(prefix) or prefix.startswith(module.store_prefix):
                raise ValueError(
                    f"module {module.name} claims store prefix 0x{module.store_prefix.hex()}, "
                    f"which overlaps {owner}'s 0x{prefix.hex()}"
                )
        table[module.store_prefix] = module.name
    return table


def module_accounts(modules: Sequence[Module]) -> dict[bytes, ModuleAccount]:
    """Every module account the modules declare, by address; raises ValueError on a name
    declared twice."""
    accounts: dict[bytes, ModuleAccount] = {}
    for module in modules:
        for account in module.module_accounts:
            if account.address in accounts:
                raise ValueError(f"module account {account.name} is declared twice")
            accounts[account.address] = account
    return accounts


class GenesisFunctions(Protocol):
    """A module's genesis.py: the four functions every module's genesis file defines."""

    def default_genesis(self) -> JsonDict: ...

    def validate_genesis(self, state: JsonDict) -> None: ...

    def init_genesis(self, ctx: Context, keeper: Any, state: JsonDict) -> None: ...

    def export_genesis(self, store: KVStore, keeper: Any) -> JsonDict: ...


@dataclass(frozen=True)
class Handles:
    """One message a keeper module handles: stateless check, signer, handler(ctx, keeper, msg)."""

    message_class: type[Message]
    validate_basic: Callable[[Any], None]
    signer: Callable[[Any], str]
    handler: Callable[[Context, Any, Any], Message]


class QueryFunctions(Protocol):
    """A module's queries.py: its query routes over its keeper."""

    def query_routes(self, keeper: Any) -> list[QueryRoute]: ...


class InvariantFunctions(Protocol):
    """A module's invariants.py, when its checks need only its own keeper."""

    def invariants(self, keeper: Any) -> list[Invariant]: ...


class KeeperModule(Module, Generic[KeeperT]):
    """A module built around one keeper: genesis goes through its genesis.py (`genesis`),
    messages through its `handles` table, queries through its queries.py (`queries`),
    invariants through its invariants.py (`checks`) and commands through its cli.py (`cli`,
    a dotted name imported only when the command line asks, so a node's start-up does not
    load argparse code), so a module file only names its parts."""

    genesis: GenesisFunctions
    handles: tuple[Handles, ...] = ()
    queries: QueryFunctions | None = None
    checks: InvariantFunctions | None = None
    cli: str = ""

    def __init__(self, keeper: KeeperT) -> None:
        self.keeper = keeper

    def msg_routes(self) -> list[MsgRoute]:
        return [
            MsgRoute(
                entry.message_class,
                entry.validate_basic,
                entry.signer,
                functools.partial(_call_with_keeper, entry.handler, self.keeper),
                self.name,
            )
            for entry in self.handles
        ]

    def default_genesis(self) -> JsonDict:
        return self.genesis.default_genesis()

    def validate_genesis(self, state: JsonDict) -> None:
        self.genesis.validate_genesis(state)

    def init_genesis(self, ctx: Context, state: JsonDict) -> None:
        self.genesis.init_genesis(ctx, self.keeper, state)

    def export_genesis(self, store: KVStore) -> JsonDict:
        return self.genesis.export_genesis(store, self.keeper)

    def query_routes(self) -> list[QueryRoute]:
        return self.queries.query_routes(self.keeper) if self.queries is not None else []

    def invariants(self) -> list[Invariant]:
        return self.checks.invariants(self.keeper) if self.checks is not None else []

    def commands(self) -> ModuleCommands | None:
        commands: ModuleCommands | None = importlib.import_module(self.cli) if self.cli else None
        return commands


def _call_with_keeper(
    handler: Callable[[Context, Any, Any], Message], keeper: Any, ctx: Context, msg: Any
) -> Message:
    return handler(ctx, keeper, msg)


def query_path(service: ServiceDescriptor, method: str) -> str:
    """A query's method path, `/package.Service/Method`, as routes and clients name it;
    raises KeyError for a method the service does not declare."""
    return f"/{service.full_name}/{service.methods_by_name[method].name}"


def service_routes(
    service: ServiceDescriptor, handlers: Mapping[str, Callable[[KVStore, Any], Message]]
) -> list[QueryRoute]:
    """One route per handler (method name → handler), at `/package.Service/Method`, its
    request and response classes those the service's descriptor declares."""
    routes = []
    for name, handler in handlers.items():
        method = service.methods_by_name[name]
        routes.append(
            QueryRoute(
                query_path(service, name),
                GetMessageClass(method.input_type),
                GetMessageClass(method.output_type),
                handler,
            )
        )
    return routes


def section(state: Mapping[str, Any], name: str) -> JsonDict:
    value = state.get(name, {})
    return dict(value) if isinstance(value, Mapping) else {}
