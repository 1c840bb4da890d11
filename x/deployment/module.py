"""Wires the deployment module into the app."""

from __future__ import annotations

from chain.module import Handles, KeeperModule
from chain.pb.gpuchain.deployment.v1 import tx_pb2
from x.deployment import genesis as deployment_genesis
from x.deployment import handlers, invariants, keys, msgs, queries
from x.deployment.keeper import DeploymentKeeper


class DeploymentModule(KeeperModule[DeploymentKeeper]):
    name = "deployment"
    genesis = deployment_genesis
    store_prefix = keys.MODULE_PREFIX
    queries = queries
    checks = invariants
    cli = "x.deployment.cli"
    handles = (
        Handles(
            tx_pb2.MsgCreateDeployment,
            msgs.validate_create,
            msgs.owner_signer,
            handlers.handle_create,
        ),
        Handles(
            tx_pb2.MsgDepositDeployment,
            msgs.validate_deposit,
            msgs.depositor_signer,
            handlers.handle_deposit,
        ),
        Handles(
            tx_pb2.MsgUpdateDeployment,
            msgs.validate_update,
            msgs.owner_signer,
            handlers.handle_update,
        ),
        Handles(
            tx_pb2.MsgCloseDeployment, msgs.validate_close, msgs.owner_signer, handlers.handle_close
        ),
        Handles(
            tx_pb2.MsgCloseGroup,
            msgs.validate_group_msg,
            msgs.owner_signer,
            handlers.handle_close_group,
        ),
        Handles(
            tx_pb2.MsgPauseGroup,
            msgs.validate_group_msg,
            msgs.owner_signer,
            handlers.handle_pause_group,
        ),
        Handles(
            tx_pb2.MsgStartGroup,
            msgs.validate_group_msg,
            msgs.owner_signer,
            handlers.handle_start_group,
        ),
    )
