"""Store layout of the staking module (module prefix 0x03).

| key | value |
|---|---|
| `0x03 0x00` | params (canonical JSON) |
| `0x03 0x01 ‖ operator(20)` | validator (canonical JSON) |
| `0x03 0x02 ‖ consensus address(20)` | operator(20), for votes and evidence |
| `0x03 0x03 ‖ inverted power(8) ‖ operator(20)` | empty: candidates by power, highest first |
| `0x03 0x04 ‖ operator(20)` | power (8-byte big-endian) in the set last sent to CometBFT |
| `0x03 0x05 ‖ delegator(20) ‖ operator(20)` | delegation shares (big-endian integer) |
| `0x03 0x06 ‖ completion height(8) ‖ sequence(8)` | unbonding entry (canonical JSON) |
| `0x03 0x07 ‖ operator(20) ‖ completion(8) ‖ sequence(8)` | empty: entries by validator |
| `0x03 0x08` | next unbonding sequence (8-byte big-endian) |

Inverting the power (2^64-1-power) makes an ascending scan list the strongest first, ties
broken by operator address, so the bonded set is the first `max_validators` keys.
"""

MODULE_PREFIX = b"\x03"
PARAMS_KEY = MODULE_PREFIX + b"\x00"
VALIDATOR_PREFIX = MODULE_PREFIX + b"\x01"
CONSENSUS_PREFIX = MODULE_PREFIX + b"\x02"
POWER_INDEX_PREFIX = MODULE_PREFIX + b"\x03"
LAST_POWER_PREFIX = MODULE_PREFIX + b"\x04"
DELEGATION_PREFIX = MODULE_PREFIX + b"\x05"
UNBONDING_QUEUE_PREFIX = MODULE_PREFIX + b"\x06"
UNBONDING_BY_VALIDATOR_PREFIX = MODULE_PREFIX + b"\x07"
NEXT_UNBONDING_KEY = MODULE_PREFIX + b"\x08"
MAX_POWER = 2**64 - 1


def u64(value: int) -> bytes:
    return value.to_bytes(8, "big")


def validator_key(operator: bytes) -> bytes:
    return VALIDATOR_PREFIX + operator


def consensus_key(consensus_address: bytes) -> bytes:
    return CONSENSUS_PREFIX + consensus_address


def power_index_key(power: int, operator: bytes) -> bytes:
    return POWER_INDEX_PREFIX + u64(MAX_POWER - power) + operator


def last_power_key(operator: bytes) -> bytes:
    return LAST_POWER_PREFIX + operator


def delegation_key(delegator: bytes, operator: bytes) -> bytes:
    return DELEGATION_PREFIX + delegator + operator


def unbonding_queue_key(completion_height: int, sequence: int) -> bytes:
    return UNBONDING_QUEUE_PREFIX + u64(completion_height) + u64(sequence)


def unbonding_by_validator_key(operator: bytes, completion_height: int, sequence: int) -> bytes:
    return UNBONDING_BY_VALIDATOR_PREFIX + operator + u64(completion_height) + u64(sequence)
