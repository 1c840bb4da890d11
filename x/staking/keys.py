"""Store layout of the staking module (module prefix 0x03).

| key | value |
|---|---|
| `0x03 0x00` | params (canonical JSON) |
| `0x03 0x01 ‖ operator(20)` | validator (canonical JSON) |
| `0x03 0x02 ‖ consensus address(20)` | operator(20), for votes and evidence |
| `0x03 0x03 ‖ inverted power(8) ‖ operator(20)` | empty: candidates by power, highest first |
| `0x03 0x04 ‖ operator(20)` | power (8-byte big-endian) in the set last sent to CometBFT |
| `0x03 0x05 ‖ delegator(20) ‖ operator(20)` | delegation shares (big-endian integer) |
| `0x03 0x06 ‖ id` | unbonding entry (canonical JSON) |
| `0x03 0x07 ‖ operator(20) ‖ id` | empty: unbondings by validator |
| `0x03 0x08` | next entry sequence, for unbondings and redelegations (8-byte big-endian) |
| `0x03 0x09 ‖ delegator(20) ‖ operator(20) ‖ id` | empty: unbondings by pair |
| `0x03 0x0A ‖ id` | redelegation entry (canonical JSON) |
| `0x03 0x0B ‖ source(20) ‖ id` | empty: redelegations by source |
| `0x03 0x0C ‖ delegator(20) ‖ source(20) ‖ destination(20) ‖ id` | empty: by trio |
| `0x03 0x0D ‖ delegator(20) ‖ destination(20) ‖ id` | empty: stake in transit to a validator |
| `0x03 0x0E ‖ completion height(8) ‖ operator(20)` | empty: UNBONDING validators |

An entry's id is `completion height(8) ‖ sequence(8)`, so the queues list entries in the
order they mature; the validator queue lists validators by the height they become UNBONDED.

Every check a user's transaction makes (entries per pair or trio, stake in transit) scans a
prefix that names that user, so it costs at most `max_entries` keys however many entries
others have pending.

Inverting the power (2^64-1-power) makes an ascending scan list the strongest first, ties
broken by operator address, so the bonded set is the first `max_validators` keys.
"""

from __future__ import annotations

from chain.store import encode_uint

MODULE_PREFIX = b"\x03"
PARAMS_KEY = MODULE_PREFIX + b"\x00"
VALIDATOR_PREFIX = MODULE_PREFIX + b"\x01"
CONSENSUS_PREFIX = MODULE_PREFIX + b"\x02"
POWER_INDEX_PREFIX = MODULE_PREFIX + b"\x03"
LAST_POWER_PREFIX = MODULE_PREFIX + b"\x04"
DELEGATION_PREFIX = MODULE_PREFIX + b"\x05"
UNBONDING_QUEUE_PREFIX = MODULE_PREFIX + b"\x06"
UNBONDING_BY_VALIDATOR_PREFIX = MODULE_PREFIX + b"\x07"
NEXT_ENTRY_KEY = MODULE_PREFIX + b"\x08"
UNBONDING_BY_PAIR_PREFIX = MODULE_PREFIX + b"\x09"
REDELEGATION_QUEUE_PREFIX = MODULE_PREFIX + b"\x0a"
REDELEGATION_BY_SOURCE_PREFIX = MODULE_PREFIX + b"\x0b"
REDELEGATION_BY_TRIO_PREFIX = MODULE_PREFIX + b"\x0c"
REDELEGATION_BY_DESTINATION_PREFIX = MODULE_PREFIX + b"\x0d"
VALIDATOR_QUEUE_PREFIX = MODULE_PREFIX + b"\x0e"
MAX_POWER = 2**64 - 1


def validator_key(operator: bytes) -> bytes:
    return VALIDATOR_PREFIX + operator


def consensus_key(consensus_address: bytes) -> bytes:
    return CONSENSUS_PREFIX + consensus_address


def power_index_key(power: int, operator: bytes) -> bytes:
    return POWER_INDEX_PREFIX + encode_uint(MAX_POWER - power, 8) + operator


def last_power_key(operator: bytes) -> bytes:
    return LAST_POWER_PREFIX + operator


def delegation_key(delegator: bytes, operator: bytes) -> bytes:
    return DELEGATION_PREFIX + delegator + operator


def entry_id(completion_height: int, sequence: int) -> bytes:
    """How queues and indices name an unbonding or redelegation entry: the last 16 bytes
    of every index key, so the entry is at queue prefix ‖ id."""
    return encode_uint(completion_height, 8) + encode_uint(sequence, 8)


ENTRY_ID_LENGTH = 16


def unbonding_queue_key(completion_height: int, sequence: int) -> bytes:
    return UNBONDING_QUEUE_PREFIX + entry_id(completion_height, sequence)


def unbonding_by_validator_prefix(operator: bytes) -> bytes:
    return UNBONDING_BY_VALIDATOR_PREFIX + operator


def unbonding_by_pair_prefix(delegator: bytes, operator: bytes) -> bytes:
    return UNBONDING_BY_PAIR_PREFIX + delegator + operator


def redelegation_by_source_prefix(source: bytes) -> bytes:
    return REDELEGATION_BY_SOURCE_PREFIX + source


def redelegation_by_trio_prefix(delegator: bytes, source: bytes, destination: bytes) -> bytes:
    return REDELEGATION_BY_TRIO_PREFIX + delegator + source + destination


def redelegation_by_destination_prefix(delegator: bytes, destination: bytes) -> bytes:
    return REDELEGATION_BY_DESTINATION_PREFIX + delegator + destination


def validator_queue_key(completion_height: int, operator: bytes) -> bytes:
    return VALIDATOR_QUEUE_PREFIX + encode_uint(completion_height, 8) + operator
