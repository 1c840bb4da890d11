"""One function per deployment message: ordered checks, then one keeper call."""

from __future__ import annotations

from chain.context import Context
from chain.crypto import encode_address
from chain.msgs import account_address
from chain.pb.gpuchain.deployment.v1 import tx_pb2
from x.deployment.errors import (
    DEPLOYMENT_EXISTS,
    GROUP_NOT_OPEN,
    GROUP_NOT_PAUSED,
    INSUFFICIENT_DEPOSIT,
)
from x.deployment.keeper import DeploymentKeeper
from x.deployment.msgs import deposit_amount
from x.deployment.types import GROUP_CLOSED, GROUP_OPEN, GROUP_PAUSED


def handle_create(
    ctx: Context, keeper: DeploymentKeeper, msg: tx_pb2.MsgCreateDeployment
) -> tx_pb2.MsgCreateDeploymentResponse:
    """Raises DEPLOYMENT_EXISTS (that owner's dseq is taken, even by a closed deployment),
    INSUFFICIENT_DEPOSIT (below min_deposit), INSUFFICIENT_FUNDS."""
    owner = account_address(msg.owner, "owner")
    if keeper.deployment(ctx.store, owner, msg.dseq) is not None:
        raise DEPLOYMENT_EXISTS(f"{msg.owner} already has deployment {msg.dseq}")
    amount = deposit_amount(msg.deposit, "deposit")
    minimum = keeper.params(ctx.store).min_deposit
    if amount < minimum:
        raise INSUFFICIENT_DEPOSIT(f"deposit {amount}ugpc is below the minimum {minimum}ugpc")
    keeper.create(ctx, owner, msg.dseq, list(msg.groups), bytes(msg.manifest_hash), amount)
    return tx_pb2.MsgCreateDeploymentResponse()


def handle_deposit(
    ctx: Context, keeper: DeploymentKeeper, msg: tx_pb2.MsgDepositDeployment
) -> tx_pb2.MsgDepositDeploymentResponse:
    """Raises DEPLOYMENT_NOT_FOUND, DEPLOYMENT_CLOSED, INSUFFICIENT_FUNDS."""
    owner = account_address(msg.owner, "owner")
    keeper.require_active(ctx.store, owner, msg.dseq)
    depositor = account_address(msg.depositor, "depositor")
    keeper.escrow.deposit(ctx, owner, msg.dseq, depositor, deposit_amount(msg.amount, "amount"))
    return tx_pb2.MsgDepositDeploymentResponse()


def handle_update(
    ctx: Context, keeper: DeploymentKeeper, msg: tx_pb2.MsgUpdateDeployment
) -> tx_pb2.MsgUpdateDeploymentResponse:
    """Raises DEPLOYMENT_NOT_FOUND, DEPLOYMENT_CLOSED."""
    deployment = keeper.require_active(ctx.store, account_address(msg.owner, "owner"), msg.dseq)
    keeper.update(ctx, deployment, bytes(msg.manifest_hash))
    return tx_pb2.MsgUpdateDeploymentResponse()


def handle_close(
    ctx: Context, keeper: DeploymentKeeper, msg: tx_pb2.MsgCloseDeployment
) -> tx_pb2.MsgCloseDeploymentResponse:
    """Raises DEPLOYMENT_NOT_FOUND, DEPLOYMENT_CLOSED (closing twice)."""
    deployment = keeper.require_active(ctx.store, account_address(msg.owner, "owner"), msg.dseq)
    keeper.close(ctx, deployment)
    return tx_pb2.MsgCloseDeploymentResponse()


def handle_close_group(
    ctx: Context, keeper: DeploymentKeeper, msg: tx_pb2.MsgCloseGroup
) -> tx_pb2.MsgCloseGroupResponse:
    """Raises DEPLOYMENT_NOT_FOUND, DEPLOYMENT_CLOSED, GROUP_NOT_FOUND, GROUP_CLOSED."""
    owner = account_address(msg.owner, "owner")
    group = keeper.require_group(ctx.store, owner, msg.dseq, msg.gseq)
    keeper.set_group_state(ctx, group, GROUP_CLOSED, "closed")
    return tx_pb2.MsgCloseGroupResponse()


def handle_pause_group(
    ctx: Context, keeper: DeploymentKeeper, msg: tx_pb2.MsgPauseGroup
) -> tx_pb2.MsgPauseGroupResponse:
    """Raises what close-group does, and GROUP_NOT_OPEN (already paused)."""
    owner = account_address(msg.owner, "owner")
    group = keeper.require_group(ctx.store, owner, msg.dseq, msg.gseq)
    if group.state != GROUP_OPEN:
        raise GROUP_NOT_OPEN(f"group {msg.gseq} of deployment {msg.dseq} is {group.state}")
    keeper.set_group_state(ctx, group, GROUP_PAUSED, "paused")
    return tx_pb2.MsgPauseGroupResponse()


def handle_start_group(
    ctx: Context, keeper: DeploymentKeeper, msg: tx_pb2.MsgStartGroup
) -> tx_pb2.MsgStartGroupResponse:
    """Raises what close-group does, and GROUP_NOT_PAUSED."""
    owner = account_address(msg.owner, "owner")
    group = keeper.require_group(ctx.store, owner, msg.dseq, msg.gseq)
    if group.state != GROUP_PAUSED:
        raise GROUP_NOT_PAUSED(
            f"group {msg.gseq} of deployment {msg.dseq} of {encode_address(owner)} is {group.state}"
        )
    keeper.set_group_state(ctx, group, GROUP_OPEN, "started")
    return tx_pb2.MsgStartGroupResponse()
