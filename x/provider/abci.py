"""The provider begin-block hook: pay back deleted providers' collateral that is due."""

from __future__ import annotations

from chain.context import Context
from x.provider.keeper import ProviderKeeper


def begin_block(ctx: Context, keeper: ProviderKeeper) -> None:
    keeper.release_due(ctx)
