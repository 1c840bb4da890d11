"""Key/value attributes as providers declare them and auditors sign them (Akash's
attributes): one stateless check, shared by every module that stores them, so a key that
is valid for a provider is valid for its auditors and for SDL placement."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol

from chain.errors import ErrorKind

MAX_ATTRIBUTES = 64
MAX_KEY_LENGTH = 64
MAX_VALUE_LENGTH = 128
KEY_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_./-]*")
VALUE_PATTERN = re.compile(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*")


class KeyValue(Protocol):
    key: str
    value: str


def validate_key(key: str, where: str, error: ErrorKind) -> None:
    """Raises error naming where when key is empty, too long or not `[A-Za-z][A-Za-z0-9_./-]*`."""
    if not key:
        raise error(f"{where} key is empty")
    if len(key) > MAX_KEY_LENGTH:
        raise error(f"{where} key is {len(key)} characters, at most {MAX_KEY_LENGTH}")
    if not KEY_PATTERN.fullmatch(key):
        raise error(
            f"{where} key {key[:80]!r} must start with a letter and hold only letters, "
            "digits, '_', '.', '/' and '-'"
        )


def validate_attributes(attributes: Iterable[KeyValue], field: str, error: ErrorKind) -> None:
    """At most MAX_ATTRIBUTES, keys valid and distinct, values printable ASCII (single
    inner spaces) of at most MAX_VALUE_LENGTH; raises error naming the first bad entry."""
    seen: set[str] = set()
    for index, attribute in enumerate(attributes):
        where = f"{field}[{index}]"
        if index >= MAX_ATTRIBUTES:
            raise error(f"{field} has more than {MAX_ATTRIBUTES} attributes")
        validate_key(attribute.key, where, error)
        if attribute.key in seen:
            raise error(f"{where} key {attribute.key!r} is listed twice")
        seen.add(attribute.key)
        value = attribute.value
        if not value:
            raise error(f"{where} ({attribute.key}) value is empty")
        if len(value) > MAX_VALUE_LENGTH:
            raise error(
                f"{where} ({attribute.key}) value is {len(value)} characters, "
                f"at most {MAX_VALUE_LENGTH}"
            )
        if not VALUE_PATTERN.fullmatch(value):
            raise error(
                f"{where} ({attribute.key}) value {value[:80]!r} must be printable ASCII "
                "without leading, trailing or repeated spaces"
            )
