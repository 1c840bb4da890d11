"""Registered errors: each is a (codespace, code) pair that becomes an ABCI result code.

Handlers raise `AppError` subclasses' instances built from registered kinds; anything
else that escapes a handler is an internal error, reported as "internal error" with the
detail only in the node log, so no stack trace or nondeterministic text reaches a block.
"""

from __future__ import annotations

from dataclasses import dataclass

_REGISTRY: dict[tuple[str, int], ErrorKind] = {}


@dataclass(frozen=True)
class ErrorKind:
    codespace: str
    code: int
    description: str

    def __call__(self, detail: str = "") -> AppError:
        """An error of this kind, with a message naming what was wrong."""
        return AppError(self, detail)


class AppError(Exception):
    """A failure a user caused; its kind decides the ABCI code, its detail the log."""

    def __init__(self, kind: ErrorKind, detail: str = "") -> None:
        self.kind = kind
        self.detail = detail
        super().__init__(self.log)

    @property
    def log(self) -> str:
        return f"{self.detail}: {self.kind.description}" if self.detail else self.kind.description


def register(codespace: str, code: int, description: str) -> ErrorKind:
    """Register an error kind once; a second kind with the same pair is a programming error."""
    if (codespace, code) in _REGISTRY:
        raise ValueError(f"error {codespace}/{code} registered twice")
    kind = ErrorKind(codespace, code, description)
    _REGISTRY[(codespace, code)] = kind
    return kind


ROOT_CODESPACE = "sdk"

# Codes follow Cosmos SDK's root codespace, so clients that know Cosmos read them right.
INTERNAL = register(ROOT_CODESPACE, 1, "internal error")
TX_DECODE = register(ROOT_CODESPACE, 2, "tx parse error")
INVALID_SEQUENCE = register(ROOT_CODESPACE, 3, "incorrect account sequence")
UNAUTHORIZED = register(ROOT_CODESPACE, 4, "unauthorized")
INSUFFICIENT_FUNDS = register(ROOT_CODESPACE, 5, "insufficient funds")
UNKNOWN_REQUEST = register(ROOT_CODESPACE, 6, "unknown request")
INVALID_ADDRESS = register(ROOT_CODESPACE, 7, "invalid address")
INVALID_PUBKEY = register(ROOT_CODESPACE, 8, "invalid pubkey")
UNKNOWN_ADDRESS = register(ROOT_CODESPACE, 9, "unknown address")
INVALID_COINS = register(ROOT_CODESPACE, 10, "invalid coins")
OUT_OF_GAS = register(ROOT_CODESPACE, 11, "out of gas")
MEMO_TOO_LARGE = register(ROOT_CODESPACE, 12, "memo too large")
INSUFFICIENT_FEE = register(ROOT_CODESPACE, 13, "insufficient fee")
TOO_MANY_SIGNATURES = register(ROOT_CODESPACE, 14, "maximum number of signatures exceeded")
NO_SIGNATURES = register(ROOT_CODESPACE, 15, "no signatures supplied")
INVALID_REQUEST = register(ROOT_CODESPACE, 18, "invalid request")
TX_TOO_LARGE = register(ROOT_CODESPACE, 21, "tx too large")
KEY_NOT_FOUND = register(ROOT_CODESPACE, 22, "key not found")
INVALID_GAS_LIMIT = register(ROOT_CODESPACE, 25, "invalid gas limit")
WRONG_CHAIN_ID = register(ROOT_CODESPACE, 28, "invalid chain-id")
TX_TIMEOUT_HEIGHT = register(ROOT_CODESPACE, 30, "tx timeout height")
INVALID_TYPE = register(ROOT_CODESPACE, 29, "invalid type")


def error_of(codespace: str, code: int, log: str) -> AppError:
    """The error a result already carries (a simulated tx's code and log), to answer with;
    an unregistered pair reads as an internal error."""
    kind = _REGISTRY.get((codespace, code), INTERNAL)
    return AppError(kind, log.removesuffix(f": {kind.description}").removesuffix(kind.description))


def is_registered(codespace: str, code: int) -> bool:
    """Whether (codespace, code) is a registered error: what every failed tx must carry."""
    return (codespace, code) in _REGISTRY
