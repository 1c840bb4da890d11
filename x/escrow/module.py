"""Wires the escrow module into the app."""

from __future__ import annotations

from chain.module import Invariant, KeeperModule, ModuleAccount, ModuleCommands, QueryRoute
from x.escrow import genesis as escrow_genesis
from x.escrow import invariants, keys, queries
from x.escrow.keeper import MODULE_ACCOUNT_NAME, EscrowKeeper


class EscrowModule(KeeperModule[EscrowKeeper]):
    name = "escrow"
    genesis = escrow_genesis
    store_prefix = keys.MODULE_PREFIX
    module_accounts = (ModuleAccount(MODULE_ACCOUNT_NAME),)

    def query_routes(self) -> list[QueryRoute]:
        return queries.query_routes(self.keeper)

    def invariants(self) -> list[Invariant]:
        return invariants.invariants(self.keeper)

    def commands(self) -> ModuleCommands:
        from x.escrow import cli

        return cli
