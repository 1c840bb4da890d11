"""Store layout of the distribution module (module prefix 0x05).

| key | value |
|---|---|
| `0x05 0x00` | params (canonical JSON) |
| `0x05 0x01` | community pool: undistributable remainder (big-endian integer) |
| `0x05 0x02 ‖ operator(20)` | validator rewards: reward per share, outstanding, commission (JSON) |
| `0x05 0x03 ‖ delegator(20) ‖ operator(20)` | reward per share at its last settlement (integer) |

Operators and delegators are fixed-width addresses, so a scan of `0x05 0x03 ‖ delegator`
lists one delegator's starting points in operator order, as staking lists delegations.
"""

MODULE_PREFIX = b"\x05"
PARAMS_KEY = MODULE_PREFIX + b"\x00"
COMMUNITY_POOL_KEY = MODULE_PREFIX + b"\x01"
VALIDATOR_REWARDS_PREFIX = MODULE_PREFIX + b"\x02"
DELEGATION_START_PREFIX = MODULE_PREFIX + b"\x03"
ADDRESS_LENGTH = 20


def validator_rewards_key(operator: bytes) -> bytes:
    return VALIDATOR_REWARDS_PREFIX + operator


def delegation_start_key(delegator: bytes, operator: bytes) -> bytes:
    return DELEGATION_START_PREFIX + delegator + operator
