"""Wires the auth module into the app (its ante checks are wired in chain.wiring)."""

from __future__ import annotations

from chain.module import KeeperModule
from x.auth import genesis as auth_genesis
from x.auth import keys, queries
from x.auth.keeper import AccountKeeper


class AuthModule(KeeperModule[AccountKeeper]):
    name = "auth"
    genesis = auth_genesis
    store_prefix = keys.MODULE_PREFIX
    queries = queries
    cli = "x.auth.cli"
