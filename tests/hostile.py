"""Hostile transactions for the tests: valid protobuf with every field pushed to its bounds.

Both the fuzz suite (hypothesis strategies) and the real-node corpus (a fixed list) build
their txs here, from the app's message registry alone: a message type added later is
fuzzed without a line of its own. Values come from pools of edge cases per wire type
(integer boundaries, huge, empty and non-ASCII strings, digit strings past 2^256) mixed
with plausible ones (the signer's address, a real denom), so some txs get past the
signature and reach each module's checks and handlers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, cast

from google.protobuf import any_pb2, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import strategies as st

from chain.coins import MAX_AMOUNT
from chain.crypto import PUBKEY_TYPE_URL, PrivateKey, encode_validator_address
from chain.pb.cosmos.base.v1beta1 import coin_pb2
from chain.pb.cosmos.crypto.ed25519 import keys_pb2
from chain.pb.cosmos.tx.v1beta1 import tx_pb2
from chain.tx import sign_bytes, signer_info

UINT64_EDGES = (0, 1, 2**31 - 1, 2**32 - 1, 2**32, 2**53 + 1, 2**63 - 1, 2**63, 2**64 - 1)
INT64_EDGES = (-(2**63), -(2**31), -1, 0, 1, 2**31 - 1, 2**53 + 1, 2**63 - 1)
UINT32_EDGES = (0, 1, 2**31 - 1, 2**31, 2**32 - 1)
INT32_EDGES = (-(2**31), -1, 0, 1, 2**31 - 1)
HOSTILE_STRINGS = (
    "",
    " ",
    "0",
    "-1",
    "+1",
    "1.5",
    "0.1",
    "1e3",
    "0x10",
    "\u0663",  # ARABIC-INDIC DIGIT THREE: str.isdigit() accepts it, int() too
    "\u00b9",  # SUPERSCRIPT ONE: isdigit() but not a decimal
    str(MAX_AMOUNT),
    str(MAX_AMOUNT + 1),
    "9" * 78,
    "0" * 79 + "1",
    "9" * 5000,
    "1." + "0" * 19,
    "1" * 100 + ".5",
    "ugpc\n",
    "9bad",
    "a" * 129,
    "\x00",
    "\u00e9" * 2100,
    "x" * 5000,
    "gpu1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq",
    "cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu",
)
VALID_PUBKEY = keys_pb2.PubKey(key=bytes(range(32))).SerializeToString()
HOSTILE_BYTES = (b"", b"\x00", bytes(32), b"\xff" * 64, b"\x80" * 11, bytes(5000))
# Field 100, varint 1: declared by no message gpuchain reads.
UNKNOWN_FIELD = b"\xa0\x06\x01"
# Cosmos-style field names the plausible values follow; anything else gets a plain word.
PLAUSIBLE_BY_NAME = (
    ("valid", "validator"),
    ("addr", "account"),
    ("owner", "account"),
    ("auditor", "account"),
    ("uri", "https"),
    ("website", "https"),
    ("email", "email"),
    ("fingerprint", "sha256"),
    ("denom", "ugpc"),
    ("amount", "1"),
    ("rate", "0.1"),
    ("delegation", "1"),
    ("type_url", PUBKEY_TYPE_URL),
)


@dataclass(frozen=True)
class Envelope:
    """Everything about one tx that an attacker chooses; `build` signs it (or not)."""

    messages: tuple[tuple[str, bytes], ...]
    memo: str = ""
    timeout_height: int = 0
    sequence: int | None = None  # None: the signer's current sequence
    fee: tuple[tuple[str, str], ...] = (("ugpc", "2000"),)
    gas_limit: int = 200_000
    payer: str = ""
    granter: str = ""
    signatures: str = "valid"  # valid, none, two, garbage
    unknown_in: tuple[str, ...] = ()  # of "tx", "body", "auth_info"
    extension_option: bool = False
    pubkey_type_url: str = PUBKEY_TYPE_URL


def build(
    envelope: Envelope, key: PrivateKey, chain_id: str, account_number: int, sequence: int
) -> bytes:
    """The tx bytes of envelope, signed by key unless the envelope says otherwise."""
    body = tx_pb2.TxBody(
        messages=[any_pb2.Any(type_url=url, value=value) for url, value in envelope.messages],
        memo=envelope.memo,
        timeout_height=envelope.timeout_height,
    )
    if envelope.extension_option:
        body.extension_options.add(type_url=PUBKEY_TYPE_URL, value=VALID_PUBKEY)
    auth_info = tx_pb2.AuthInfo(
        signer_infos=[
            signer_info(
                any_pb2.Any(
                    type_url=envelope.pubkey_type_url,
                    value=keys_pb2.PubKey(key=key.public_key).SerializeToString(),
                ),
                sequence if envelope.sequence is None else envelope.sequence,
            )
        ],
        fee=tx_pb2.Fee(
            amount=[coin_pb2.Coin(denom=denom, amount=amount) for denom, amount in envelope.fee],
            gas_limit=envelope.gas_limit,
            payer=envelope.payer,
            granter=envelope.granter,
        ),
    )
    body_bytes = body.SerializeToString() + _unknown(envelope, "body")
    auth_bytes = auth_info.SerializeToString() + _unknown(envelope, "auth_info")
    signature = key.sign(sign_bytes(body_bytes, auth_bytes, chain_id, account_number))
    signatures = {
        "valid": [signature],
        "none": [],
        "two": [signature, signature],
        "garbage": [bytes(64)],
    }[envelope.signatures]
    raw = tx_pb2.TxRaw(body_bytes=body_bytes, auth_info_bytes=auth_bytes, signatures=signatures)
    return raw.SerializeToString() + _unknown(envelope, "tx")


def _unknown(envelope: Envelope, part: str) -> bytes:
    return UNKNOWN_FIELD if part in envelope.unknown_in else b""


def plausible_strings(key: PrivateKey) -> dict[str, str]:
    """Plausible values by kind, for key as the signer."""
    return {
        "account": key.bech32_address,
        "validator": encode_validator_address(key.address),
        "ugpc": "ugpc",
        "https": "https://gpu.example.com",
        "email": "ops@example.com",
        "sha256": "ab" * 32,
        "1": "1",
        "0.1": "0.1",
        PUBKEY_TYPE_URL: PUBKEY_TYPE_URL,
    }


def plausible_for(field: FieldDescriptor, plausible: Mapping[str, str]) -> str:
    """A value that would pass for field, guessed from its Cosmos-style name."""
    for fragment, kind in PLAUSIBLE_BY_NAME:
        if fragment in field.name:
            return plausible[kind]
    return "moniker"


# --- fixed corpus (real-node test) ------------------------------------------------------


def edges_of(field: FieldDescriptor) -> tuple[Any, ...]:
    """The edge values of a scalar field's wire type."""
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING:
        return HOSTILE_STRINGS
    if kind == FieldDescriptor.TYPE_BYTES:
        return HOSTILE_BYTES
    if kind == FieldDescriptor.TYPE_BOOL:
        return (False, True)
    if kind in (FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_FIXED64):
        return UINT64_EDGES
    if kind in (FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_FIXED32):
        return UINT32_EDGES
    if kind in (
        FieldDescriptor.TYPE_INT64,
        FieldDescriptor.TYPE_SINT64,
        FieldDescriptor.TYPE_SFIXED64,
    ):
        return INT64_EDGES
    if kind in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return (0.0, -1.0, 1e308)
    return INT32_EDGES  # int32, sint32, sfixed32, enum (proto3 enums are open)


def plausible_message(descriptor: Descriptor, plausible: Mapping[str, str], depth: int = 0) -> Any:
    """A message of descriptor's type with every string field plausible, nested ones too."""
    message = _message_class(descriptor)()
    for field in descriptor.fields:
        if field.is_repeated or depth > 2:
            continue
        if field.message_type is not None:
            getattr(message, field.name).CopyFrom(
                plausible_message(field.message_type, plausible, depth + 1)
            )
        elif field.type == FieldDescriptor.TYPE_STRING:
            setattr(message, field.name, plausible_for(field, plausible))
    return message


def single_field_mutations(descriptor: Descriptor, plausible: Mapping[str, str]) -> list[Message]:
    """Plausible messages with one top-level or nested scalar field at each edge value."""
    mutated: list[Message] = []
    for path in _scalar_paths(descriptor, ()):
        field = path[-1]
        for value in edges_of(field):
            message = plausible_message(descriptor, plausible)
            target = message
            for parent in path[:-1]:
                target = getattr(target, parent.name)
            if field.is_repeated:
                getattr(target, field.name).append(value)
            else:
                setattr(target, field.name, value)
            mutated.append(message)
    return mutated


def _scalar_paths(
    descriptor: Descriptor, prefix: tuple[FieldDescriptor, ...]
) -> list[tuple[FieldDescriptor, ...]]:
    paths: list[tuple[FieldDescriptor, ...]] = []
    for field in descriptor.fields:
        if field.message_type is None:
            paths.append((*prefix, field))
        elif not field.is_repeated and len(prefix) < 2:
            paths.extend(_scalar_paths(field.message_type, (*prefix, field)))
    return paths


def envelope_mutations(base: Envelope) -> list[Envelope]:
    """base with each envelope field at each of its edge values, one at a time."""
    variants: list[Envelope] = []
    variants += [replace(base, memo=text) for text in HOSTILE_STRINGS]
    variants += [replace(base, timeout_height=value) for value in UINT64_EDGES]
    variants += [replace(base, sequence=value) for value in UINT64_EDGES]
    variants += [replace(base, gas_limit=value) for value in UINT64_EDGES]
    variants += [replace(base, fee=(("ugpc", text),)) for text in HOSTILE_STRINGS]
    variants += [replace(base, fee=((text, "2000"),)) for text in HOSTILE_STRINGS]
    variants += [replace(base, fee=(("ugpc", "2000"),) * 40)]
    variants += [replace(base, payer="gpu1payer"), replace(base, granter="gpu1granter")]
    variants += [replace(base, signatures=kind) for kind in ("none", "two", "garbage")]
    variants += [replace(base, unknown_in=(part,)) for part in ("tx", "body", "auth_info")]
    variants += [replace(base, extension_option=True)]
    variants += [replace(base, pubkey_type_url=text) for text in ("", "/x.PubKey")]
    variants += [replace(base, messages=base.messages * 33), replace(base, messages=())]
    variants += [replace(base, messages=(("/gpuchain.nothing.MsgNothing", b""),))]
    variants += [
        replace(base, messages=((url, value + UNKNOWN_FIELD),)) for url, value in base.messages
    ]
    return variants


def descriptor_of(message_class: type[Message]) -> Descriptor:
    return cast(Descriptor, message_class.DESCRIPTOR)


def packed(message: Message) -> tuple[str, bytes]:
    return "/" + message.DESCRIPTOR.full_name, message.SerializeToString()


def corpus(registry: Mapping[str, type[Message]], plausible: Mapping[str, str]) -> list[Envelope]:
    """Every envelope field at each edge (around the first registered type's plausible
    message), then every field of every registered message at each edge."""
    first = descriptor_of(registry[min(registry)])
    envelopes = envelope_mutations(
        Envelope(messages=(packed(plausible_message(first, plausible)),))
    )
    for url in sorted(registry):
        descriptor = descriptor_of(registry[url])
        envelopes += [
            Envelope(messages=(packed(message),))
            for message in single_field_mutations(descriptor, plausible)
        ]
    return envelopes


# --- hypothesis strategies (fuzz suite) --------------------------------------------------


def mostly(usual: st.SearchStrategy[Any], rare: st.SearchStrategy[Any], one_in: int) -> Any:
    """usual, except once in `one_in` draws rare: one hostile field at a time gets deeper."""
    return st.integers(1, one_in).flatmap(lambda roll: rare if roll == 1 else usual)


def _values(field: FieldDescriptor, plausible: Mapping[str, str], depth: int) -> Any:
    if field.message_type is not None:
        return messages_of(field.message_type, plausible, depth + 1)
    edges = st.sampled_from(edges_of(field))
    if field.type == FieldDescriptor.TYPE_STRING:
        hostile = st.one_of(edges, st.sampled_from(sorted(plausible.values())), st.text())
        return mostly(st.just(plausible_for(field, plausible)), hostile, 4)
    if field.type == FieldDescriptor.TYPE_BYTES:
        return mostly(st.just(VALID_PUBKEY), st.one_of(edges, st.binary(max_size=64)), 4)
    return edges


@st.composite
def messages_of(
    draw: st.DrawFn, descriptor: Descriptor, plausible: Mapping[str, str], depth: int = 0
) -> Any:
    """A message of descriptor's type: each field left unset, plausible or at an edge."""
    message = _message_class(descriptor)()
    if depth > 3:
        return message
    for field in descriptor.fields:
        if draw(st.integers(0, 7)) == 0:
            continue
        values = _values(field, plausible, depth)
        if field.is_repeated:
            count = draw(mostly(st.integers(1, 3), st.sampled_from((0, 33, 257)), 8))
            items = [draw(values)] * count if count > 3 else [draw(values) for _ in range(count)]
            target = getattr(message, field.name)
            for item in items:
                if field.message_type is not None:
                    target.add().CopyFrom(item)
                else:
                    target.append(item)
        elif field.message_type is not None:
            getattr(message, field.name).CopyFrom(draw(values))
        else:
            setattr(message, field.name, draw(values))
    return message


@st.composite
def packed_messages(
    draw: st.DrawFn, registry: Mapping[str, type[Message]], plausible: Mapping[str, str]
) -> tuple[str, bytes]:
    """(type URL, bytes) of a registered message, now and then with an unknown field."""
    url = draw(st.sampled_from(sorted(registry)))
    message = draw(messages_of(descriptor_of(registry[url]), plausible))
    suffix = draw(mostly(st.just(b""), st.just(UNKNOWN_FIELD), 12))
    return url, message.SerializeToString() + suffix


@st.composite
def envelopes(
    draw: st.DrawFn, registry: Mapping[str, type[Message]], plausible: Mapping[str, str]
) -> Envelope:
    """A sane envelope around drawn messages, with zero, one or two of its own fields at an
    edge (one hostile field at a time reaches the checks behind the others)."""
    coins = st.tuples(
        st.one_of(st.just("ugpc"), st.sampled_from(HOSTILE_STRINGS)),
        st.one_of(st.just("2000"), st.sampled_from(HOSTILE_STRINGS)),
    )
    edges: dict[str, st.SearchStrategy[Any]] = {
        "memo": st.sampled_from(HOSTILE_STRINGS),
        "timeout_height": st.sampled_from(UINT64_EDGES),
        "sequence": st.sampled_from(UINT64_EDGES),
        "fee": st.lists(coins, max_size=3).map(tuple) | st.just((("ugpc", "2000"),) * 40),
        "gas_limit": st.sampled_from(UINT64_EDGES),
        "payer": st.just(plausible["account"]),
        "granter": st.just(plausible["account"]),
        "signatures": st.sampled_from(("none", "two", "garbage")),
        "unknown_in": st.sampled_from((("tx",), ("body",), ("auth_info",))),
        "extension_option": st.just(True),
        "pubkey_type_url": st.sampled_from(("", "/x.PubKey")),
    }
    messages = draw(
        mostly(
            st.lists(packed_messages(registry, plausible), min_size=1, max_size=3).map(tuple),
            packed_messages(registry, plausible).map(lambda item: (item,) * 33),
            12,
        )
    )
    envelope = Envelope(messages=messages)
    for name in draw(st.lists(st.sampled_from(sorted(edges)), max_size=2, unique=True)):
        envelope = replace(envelope, **{name: draw(edges[name])})
    return envelope


def _message_class(descriptor: Descriptor) -> type[Message]:
    return message_factory.GetMessageClass(descriptor)
