"""Wires the escrow module into the app."""

from __future__ import annotations

from chain.module import KeeperModule, ModuleAccount
from x.escrow import genesis as escrow_genesis
from x.escrow import invariants, keys, queries
from x.escrow.keeper import MODULE_ACCOUNT_NAME, EscrowKeeper


class EscrowModule(KeeperModule[EscrowKeeper]):
    name = "escrow"
    genesis = escrow_genesis
    store_prefix = keys.MODULE_PREFIX
    queries = queries
    checks = invariants
    cli = "x.escrow.cli"
    module_accounts = (ModuleAccount(MODULE_ACCOUNT_NAME),)
