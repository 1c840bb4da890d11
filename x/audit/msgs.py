"""Stateless checks of audit messages, their signer (the auditor), and their builders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chain.attributes import MAX_ATTRIBUTES, validate_attributes, validate_key
from chain.msgs import account_address
from chain.pb.gpuchain.audit.v1 import tx_pb2
from chain.pb.gpuchain.provider.v1 import provider_pb2
from x.audit.errors import INVALID_ATTRIBUTES


def validate_sign(msg: tx_pb2.MsgSignProviderAttributes) -> None:
    account_address(msg.owner, "owner")
    account_address(msg.auditor, "auditor")
    if not msg.attributes:
        raise INVALID_ATTRIBUTES("attributes is empty: sign at least one KEY=VALUE")
    validate_attributes(msg.attributes, "attributes", INVALID_ATTRIBUTES)


def validate_delete(msg: tx_pb2.MsgDeleteProviderAttributes) -> None:
    account_address(msg.owner, "owner")
    account_address(msg.auditor, "auditor")
    if len(msg.keys) > MAX_ATTRIBUTES:
        raise INVALID_ATTRIBUTES(f"keys has more than {MAX_ATTRIBUTES} entries")
    for index, key in enumerate(msg.keys):
        validate_key(key, f"keys[{index}]", INVALID_ATTRIBUTES)
    if len(set(msg.keys)) != len(msg.keys):
        raise INVALID_ATTRIBUTES("keys lists a key twice")


def auditor_signer(msg: Any) -> str:
    """Audit messages are signed by the auditor."""
    auditor: str = msg.auditor
    return auditor


def sign_attributes_msg(
    owner: str, auditor: str, attributes: Sequence[tuple[str, str]]
) -> tx_pb2.MsgSignProviderAttributes:
    return tx_pb2.MsgSignProviderAttributes(
        owner=owner,
        auditor=auditor,
        attributes=[provider_pb2.Attribute(key=k, value=v) for k, v in attributes],
    )


def delete_attributes_msg(
    owner: str, auditor: str, keys: Sequence[str] = ()
) -> tx_pb2.MsgDeleteProviderAttributes:
    return tx_pb2.MsgDeleteProviderAttributes(owner=owner, auditor=auditor, keys=list(keys))
