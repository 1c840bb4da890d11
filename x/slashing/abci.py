"""The slashing begin-block hook: evidence first, then the last commit's votes."""

from __future__ import annotations

from chain.context import Context
from x.slashing.keeper import SlashingKeeper


def begin_block(ctx: Context, keeper: SlashingKeeper) -> None:
    """Punish the misbehavior CometBFT verified, then record who signed the last block.

    Evidence goes first so a validator tombstoned in this block is jailed before its vote
    would count against its liveness window.
    """
    if not ctx.block.misbehavior and not ctx.block.votes:
        return
    params = keeper.params(ctx.store)
    for evidence in ctx.block.misbehavior:
        keeper.handle_double_sign(ctx, params, evidence)
    for vote in ctx.block.votes:
        keeper.handle_signature(ctx, params, vote.validator_address, vote.power, vote.signed)
