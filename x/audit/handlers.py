"""One function per audit message: ordered checks, then one keeper call."""

from __future__ import annotations

from chain.attributes import MAX_ATTRIBUTES
from chain.context import Context
from chain.msgs import account_address
from chain.pb.gpuchain.audit.v1 import tx_pb2
from x.audit.errors import INVALID_ATTRIBUTES, NO_ATTRIBUTES, UNKNOWN_ATTRIBUTE, UNKNOWN_PROVIDER
from x.audit.keeper import AuditKeeper


def handle_sign(
    ctx: Context, keeper: AuditKeeper, msg: tx_pb2.MsgSignProviderAttributes
) -> tx_pb2.MsgSignProviderAttributesResponse:
    """Raises UNKNOWN_PROVIDER, and INVALID_ATTRIBUTES when the record would hold more than
    MAX_ATTRIBUTES keys."""
    owner = account_address(msg.owner, "owner")
    auditor = account_address(msg.auditor, "auditor")
    if keeper.providers.provider(ctx.store, owner) is None:
        raise UNKNOWN_PROVIDER(f"{msg.owner} is not a provider")
    signed = {attribute.key: attribute.value for attribute in msg.attributes}
    current = keeper.record(ctx.store, owner, auditor)
    held = {key for key, _ in current.attributes} if current is not None else set()
    if len(held | set(signed)) > MAX_ATTRIBUTES:
        raise INVALID_ATTRIBUTES(
            f"{msg.auditor} would sign more than {MAX_ATTRIBUTES} attributes on {msg.owner}"
        )
    keeper.sign(ctx, owner, auditor, signed)
    return tx_pb2.MsgSignProviderAttributesResponse()


def handle_delete(
    ctx: Context, keeper: AuditKeeper, msg: tx_pb2.MsgDeleteProviderAttributes
) -> tx_pb2.MsgDeleteProviderAttributesResponse:
    """Raises NO_ATTRIBUTES (nothing signed on that provider) and UNKNOWN_ATTRIBUTE (a named
    key the auditor did not sign). No keys removes them all."""
    owner = account_address(msg.owner, "owner")
    auditor = account_address(msg.auditor, "auditor")
    record = keeper.record(ctx.store, owner, auditor)
    if record is None:
        raise NO_ATTRIBUTES(f"{msg.auditor} signed no attributes on {msg.owner}")
    held = [key for key, _ in record.attributes]
    for key in msg.keys:
        if key not in held:
            raise UNKNOWN_ATTRIBUTE(f"{msg.auditor} did not sign {key!r} on {msg.owner}")
    keeper.delete(ctx, record, list(msg.keys) or held)
    return tx_pb2.MsgDeleteProviderAttributesResponse()
