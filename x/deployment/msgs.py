"""Stateless checks of deployment messages, groups above all: a tx can be written by hand,
so every group is re-checked here against the bounds in types.py; and the one builder per
message that the CLI and tests use."""

from __future__ import annotations

from collections.abc import Sequence

from chain.coins import DEC_ONE, MAX_AMOUNT, Coin, parse_amount, parse_dec
from chain.errors import INVALID_COINS
from chain.msgs import account_address
from chain.pb.cosmos.base.v1beta1 import coin_pb2
from chain.pb.gpuchain.deployment.v1 import deployment_pb2, tx_pb2
from x.deployment import types
from x.deployment.errors import (
    INVALID_DEPOSIT_DENOM,
    INVALID_DSEQ,
    INVALID_GROUPS,
    INVALID_MANIFEST_HASH,
)

MAX_PRICE_TEXT = 100


def _dseq(dseq: int) -> None:
    if dseq <= 0:
        raise INVALID_DSEQ("dseq must be positive")


def _gseq(gseq: int) -> None:
    if gseq <= 0:
        raise INVALID_GROUPS("gseq must be positive")


def _manifest_hash(value: bytes) -> None:
    if len(value) != types.MANIFEST_HASH_BYTES:
        raise INVALID_MANIFEST_HASH(
            f"manifest_hash is {len(value)} bytes, expected {types.MANIFEST_HASH_BYTES}"
        )


def deposit_amount(coin: coin_pb2.Coin, field: str) -> int:
    """The ugpc amount of a deposit; raises INVALID_DEPOSIT_DENOM or INVALID_COINS."""
    if coin.denom != types.BOND_DENOM:
        raise INVALID_DEPOSIT_DENOM(
            f"{field} is in {coin.denom[:40]!r}, deposits are in {types.BOND_DENOM}"
        )
    amount = parse_amount(coin.amount, f"{field} amount")
    if amount <= 0:
        raise INVALID_COINS(f"{field} must be positive")
    return amount


def _text(value: str, where: str, limit: int = types.MAX_ATTRIBUTE_TEXT) -> None:
    if not value or len(value) > limit or not value.isprintable():
        raise INVALID_GROUPS(f"{where} must be 1 to {limit} printable characters")


def _attributes(attributes: Sequence[deployment_pb2.Attribute], where: str) -> None:
    if len(attributes) > types.MAX_ATTRIBUTES:
        raise INVALID_GROUPS(f"{where} has more than {types.MAX_ATTRIBUTES} attributes")
    seen: set[str] = set()
    for index, attribute in enumerate(attributes):
        _text(attribute.key, f"{where}[{index}].key")
        _text(attribute.value, f"{where}[{index}].value")
        if attribute.key in seen:
            raise INVALID_GROUPS(f"{where}[{index}].key {attribute.key!r} repeats")
        seen.add(attribute.key)


def _bounded(value: int, low: int, high: int, where: str) -> None:
    if not low <= value <= high:
        raise INVALID_GROUPS(f"{where} {value} is outside {low}..{high}")


def _gpu(resources: deployment_pb2.Resources, where: str) -> None:
    """GPU units need vendor/<amd|nvidia>/model/<model or *>[/...] attributes, set to "true"."""
    _bounded(resources.gpu_units, 0, types.MAX_GPU_UNITS, f"{where}.gpu_units")
    if not resources.gpu_units:
        if resources.gpu_attributes:
            raise INVALID_GROUPS(f"{where}.gpu_attributes set without gpu units")
        return
    if not resources.gpu_attributes:
        raise INVALID_GROUPS(f"{where}.gpu_attributes must name a vendor for gpu units")
    _attributes(resources.gpu_attributes, f"{where}.gpu_attributes")
    for index, attribute in enumerate(resources.gpu_attributes):
        parts = attribute.key.split("/")
        if (
            len(parts) < 4
            or parts[0] != "vendor"
            or parts[1] not in types.GPU_VENDORS
            or parts[2] != "model"
            or not parts[3]
            or attribute.value != "true"
        ):
            raise INVALID_GROUPS(
                f"{where}.gpu_attributes[{index}] {attribute.key[:80]!r}={attribute.value[:20]!r}"
                f" is not vendor/<{'|'.join(types.GPU_VENDORS)}>/model/<model|*>=true"
            )


def _resources(unit: deployment_pb2.ResourceUnit, where: str) -> None:
    resources = unit.resource
    _bounded(unit.count, 1, types.MAX_UNIT_COUNT, f"{where}.count")
    _bounded(
        resources.cpu_millis, types.MIN_CPU_MILLIS, types.MAX_CPU_MILLIS, f"{where}.cpu_millis"
    )
    _bounded(resources.memory, types.MIN_MEMORY, types.MAX_MEMORY, f"{where}.memory")
    _attributes(resources.cpu_attributes, f"{where}.cpu_attributes")
    _attributes(resources.memory_attributes, f"{where}.memory_attributes")
    if not resources.storage or len(resources.storage) > types.MAX_STORAGE_VOLUMES:
        raise INVALID_GROUPS(f"{where}.storage needs 1 to {types.MAX_STORAGE_VOLUMES} volumes")
    names: set[str] = set()
    for index, volume in enumerate(resources.storage):
        _text(volume.name, f"{where}.storage[{index}].name", types.MAX_NAME_LENGTH)
        if volume.name in names:
            raise INVALID_GROUPS(f"{where}.storage[{index}].name {volume.name!r} repeats")
        names.add(volume.name)
        _bounded(
            volume.size, types.MIN_STORAGE, types.MAX_STORAGE, f"{where}.storage[{index}].size"
        )
        _attributes(volume.attributes, f"{where}.storage[{index}].attributes")
    _gpu(resources, where)
    if len(resources.endpoints) > types.MAX_ENDPOINTS:
        raise INVALID_GROUPS(f"{where}.endpoints has more than {types.MAX_ENDPOINTS}")
    for index, endpoint in enumerate(resources.endpoints):
        if endpoint.kind not in types.ENDPOINT_KINDS:
            raise INVALID_GROUPS(f"{where}.endpoints[{index}].kind {endpoint.kind} is unknown")
    price = unit.price
    if price.denom != types.BOND_DENOM:
        raise INVALID_GROUPS(
            f"{where}.price is in {price.denom[:40]!r}, prices are in {types.BOND_DENOM}"
        )
    if len(price.amount) > MAX_PRICE_TEXT:
        raise INVALID_GROUPS(f"{where}.price amount is longer than {MAX_PRICE_TEXT} characters")
    scaled = parse_dec(price.amount, f"{where}.price amount", INVALID_GROUPS, "100.5")
    if not 0 < scaled <= MAX_AMOUNT * DEC_ONE:
        raise INVALID_GROUPS(f"{where}.price must be positive and at most 2^256-1")


def validate_group(group: deployment_pb2.GroupSpec, where: str) -> None:
    """Raises INVALID_GROUPS (or INVALID_ADDRESS for an auditor) naming the first fault."""
    _text(group.name, f"{where}.name", types.MAX_NAME_LENGTH)
    requirements = group.requirements
    _attributes(requirements.attributes, f"{where}.requirements.attributes")
    for kind in ("all_of", "any_of"):
        auditors = getattr(requirements.signed_by, kind)
        if len(auditors) > types.MAX_AUDITORS:
            raise INVALID_GROUPS(f"{where}.signed_by.{kind} has more than {types.MAX_AUDITORS}")
        for index, auditor in enumerate(auditors):
            account_address(auditor, f"{where}.signed_by.{kind}[{index}]")
    if not group.resources or len(group.resources) > types.MAX_UNITS_PER_GROUP:
        raise INVALID_GROUPS(f"{where} needs 1 to {types.MAX_UNITS_PER_GROUP} resource units")
    ids: set[int] = set()
    for index, unit in enumerate(group.resources):
        if unit.resource.id in ids:
            raise INVALID_GROUPS(f"{where}.resources[{index}].id {unit.resource.id} repeats")
        ids.add(unit.resource.id)
        _resources(unit, f"{where}.resources[{index}]")


def validate_groups(groups: Sequence[deployment_pb2.GroupSpec]) -> None:
    if not 1 <= len(groups) <= types.MAX_GROUPS:
        raise INVALID_GROUPS(
            f"a deployment needs 1 to {types.MAX_GROUPS} groups, got {len(groups)}"
        )
    names: set[str] = set()
    for index, group in enumerate(groups):
        validate_group(group, f"groups[{index}]")
        if group.name in names:
            raise INVALID_GROUPS(f"groups[{index}].name {group.name!r} repeats")
        names.add(group.name)


def validate_create(msg: tx_pb2.MsgCreateDeployment) -> None:
    account_address(msg.owner, "owner")
    _dseq(msg.dseq)
    _manifest_hash(msg.manifest_hash)
    deposit_amount(msg.deposit, "deposit")
    validate_groups(msg.groups)


def validate_deposit(msg: tx_pb2.MsgDepositDeployment) -> None:
    account_address(msg.owner, "owner")
    account_address(msg.depositor, "depositor")
    _dseq(msg.dseq)
    deposit_amount(msg.amount, "amount")


def validate_update(msg: tx_pb2.MsgUpdateDeployment) -> None:
    account_address(msg.owner, "owner")
    _dseq(msg.dseq)
    _manifest_hash(msg.manifest_hash)


def validate_close(msg: tx_pb2.MsgCloseDeployment) -> None:
    account_address(msg.owner, "owner")
    _dseq(msg.dseq)


GroupMsg = tx_pb2.MsgCloseGroup | tx_pb2.MsgPauseGroup | tx_pb2.MsgStartGroup


def validate_group_msg(msg: GroupMsg) -> None:
    account_address(msg.owner, "owner")
    _dseq(msg.dseq)
    _gseq(msg.gseq)


def owner_signer(
    msg: tx_pb2.MsgCreateDeployment
    | tx_pb2.MsgUpdateDeployment
    | tx_pb2.MsgCloseDeployment
    | GroupMsg,
) -> str:
    return msg.owner


def depositor_signer(msg: tx_pb2.MsgDepositDeployment) -> str:
    return msg.depositor


def create_msg(
    owner: str,
    dseq: int,
    groups: Sequence[deployment_pb2.GroupSpec],
    manifest_hash: bytes,
    deposit: Coin,
) -> tx_pb2.MsgCreateDeployment:
    return tx_pb2.MsgCreateDeployment(
        owner=owner, dseq=dseq, groups=groups, manifest_hash=manifest_hash, deposit=deposit.to_pb()
    )


def deposit_msg(owner: str, dseq: int, amount: Coin, depositor: str) -> tx_pb2.MsgDepositDeployment:
    return tx_pb2.MsgDepositDeployment(
        owner=owner, dseq=dseq, amount=amount.to_pb(), depositor=depositor
    )


def update_msg(owner: str, dseq: int, manifest_hash: bytes) -> tx_pb2.MsgUpdateDeployment:
    return tx_pb2.MsgUpdateDeployment(owner=owner, dseq=dseq, manifest_hash=manifest_hash)


def close_msg(owner: str, dseq: int) -> tx_pb2.MsgCloseDeployment:
    return tx_pb2.MsgCloseDeployment(owner=owner, dseq=dseq)


GROUP_MESSAGES: dict[str, type[GroupMsg]] = {
    "close": tx_pb2.MsgCloseGroup,
    "pause": tx_pb2.MsgPauseGroup,
    "start": tx_pb2.MsgStartGroup,
}


def group_msg(action: str, owner: str, dseq: int, gseq: int) -> GroupMsg:
    """MsgCloseGroup, MsgPauseGroup or MsgStartGroup (action: close, pause, start)."""
    return GROUP_MESSAGES[action](owner=owner, dseq=dseq, gseq=gseq)
