"""Wires the bank module into the app."""

from __future__ import annotations

from chain.module import Handles, KeeperModule, ModuleAccount
from chain.pb.cosmos.bank.v1beta1 import tx_pb2
from x.bank import genesis as bank_genesis
from x.bank import handlers, invariants, keys, msgs, queries
from x.bank.keeper import BankKeeper
from x.bank.types import FEE_COLLECTOR


class BankModule(KeeperModule[BankKeeper]):
    name = "bank"
    genesis = bank_genesis
    store_prefix = keys.MODULE_PREFIX
    queries = queries
    checks = invariants
    cli = "x.bank.cli"
    module_accounts = (ModuleAccount(FEE_COLLECTOR),)
    handles = (
        Handles(tx_pb2.MsgSend, msgs.validate_send, msgs.send_signer, handlers.handle_send),
        Handles(
            tx_pb2.MsgMultiSend,
            msgs.validate_multi_send,
            msgs.multi_send_signer,
            handlers.handle_multi_send,
        ),
    )
