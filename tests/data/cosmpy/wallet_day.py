"""Run by the cosmpy virtualenv (tests/node/test_cosmpy_unmodified_against_a_real_node.py):
cosmpy's own LedgerClient against a gpuchain node, printing one JSON document of what it saw.

argv[1] is a JSON document: chain_id, grpc (port), funder_secret (hex, secp256k1).
"""

import json
import sys

from cosmpy.aerial.client import LedgerClient, NetworkConfig
from cosmpy.aerial.wallet import LocalWallet
from cosmpy.crypto.keypairs import PrivateKey

info = json.loads(sys.argv[1])
ledger = LedgerClient(
    NetworkConfig(
        chain_id=info["chain_id"],
        url=f"grpc+http://127.0.0.1:{info['grpc']}",
        fee_minimum_gas_price=0.001,
        fee_denomination="ugpc",
        staking_denomination="ugpc",
    )
)
funder = LocalWallet(PrivateKey(bytes.fromhex(info["funder_secret"])), prefix="gpu")
mine = LocalWallet.generate(prefix="gpu")
other = LocalWallet.generate(prefix="gpu")


def fee_of(submitted):
    """The fee the chain charged, from the committed tx's `tx.fee` event (e.g. 61ugpc)."""
    return int(submitted.response.events["tx"]["fee"].removesuffix("ugpc"))


seen = {"funder": str(funder.address()), "mine": str(mine.address())}
seen["funder_balance"] = ledger.query_bank_balance(funder.address(), "ugpc")
ledger.send_tokens(mine.address(), 20_000_000, "ugpc", funder).wait_to_complete()
seen["mine_funded"] = ledger.query_bank_balance(mine.address(), "ugpc")

validators = ledger.query_validators()
seen["validators"] = [str(v.address) for v in validators]
operator = validators[0].address

sent = ledger.send_tokens(other.address(), 1234, "ugpc", mine).wait_to_complete()
seen["send_fee"] = fee_of(sent)
seen["mine_after_send"] = ledger.query_bank_balance(mine.address(), "ugpc")
seen["other_balance"] = ledger.query_bank_balance(other.address(), "ugpc")

delegated = ledger.delegate_tokens(operator, 5_000_000, mine).wait_to_complete()
seen["delegate_fee"] = fee_of(delegated)
seen["mine_after_delegate"] = ledger.query_bank_balance(mine.address(), "ugpc")
seen["staked"] = ledger.query_staking_summary(mine.address()).total_staked

before_claim = ledger.query_bank_balance(mine.address(), "ugpc")
claimed = ledger.claim_rewards(operator, mine).wait_to_complete()
events = claimed.response.events
seen["claim_fee"] = fee_of(claimed)
seen["claimed"] = int(
    events.get("withdraw_rewards", {}).get("amount", "0ugpc").removesuffix("ugpc") or 0
)
seen["before_claim"] = before_claim
seen["after_claim"] = ledger.query_bank_balance(mine.address(), "ugpc")
print(json.dumps(seen))
