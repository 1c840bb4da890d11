"""Wires the audit module into the app."""

from __future__ import annotations

from chain.module import Handles, KeeperModule
from chain.pb.gpuchain.audit.v1 import tx_pb2
from x.audit import genesis as audit_genesis
from x.audit import handlers, invariants, keys, msgs, queries
from x.audit.keeper import AuditKeeper


class AuditModule(KeeperModule[AuditKeeper]):
    name = "audit"
    genesis = audit_genesis
    store_prefix = keys.MODULE_PREFIX
    queries = queries
    checks = invariants
    cli = "x.audit.cli"
    handles = (
        Handles(
            tx_pb2.MsgSignProviderAttributes,
            msgs.validate_sign,
            msgs.auditor_signer,
            handlers.handle_sign,
        ),
        Handles(
            tx_pb2.MsgDeleteProviderAttributes,
            msgs.validate_delete,
            msgs.auditor_signer,
            handlers.handle_delete,
        ),
    )
