"""The daemon's tx sender on a real node: a sequence changed behind its back is re-synced,
and a purpose lands at most once, even when the daemon dies between broadcast and block."""

from __future__ import annotations

from pathlib import Path

import pytest
from daemon_helpers import Chain, transfer_from
from google.protobuf.message import Message

from chain.cli.client import tx_hash_of
from chain.coins import Coin, Coins, DecPrice
from chain.tx import build_and_sign
from provider.nodes import NodePool
from provider.sender import Sender, SendError
from provider.state import PendingTx, State
from x.bank.msgs import send_msg

pytestmark = pytest.mark.timeout(120)


def sender_for(chain: Chain, data: Path, inclusion_timeout: float = 30.0) -> Sender:
    return Sender(
        NodePool([chain.node.rpc_address]),
        State(data),
        chain.key("provider"),
        chain.node.chain_id,
        DecPrice.parse("0.001ugpc"),
        inclusion_timeout=inclusion_timeout,
    )


def balance(chain: Chain, address: str) -> int:
    from chain.pb.cosmos.bank.v1beta1 import query_pb2

    answer = chain.node.rpc.query_message(
        "/cosmos.bank.v1beta1.Query/Balance",
        query_pb2.QueryBalanceRequest(address=address, denom="ugpc"),
        query_pb2.QueryBalanceResponse(),
    )
    return int(answer.balance.amount)


def pay(chain: Chain, amount: int) -> list[Message]:
    provider, recipient = chain.addresses["provider"], chain.addresses["auditor"]
    return [send_msg(provider, recipient, Coins((Coin("ugpc", amount),)))]


def test_a_sequence_used_behind_the_senders_back_is_resynced(
    chain: Chain, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sender = sender_for(chain, tmp_path / "data")
    assert sender.send("pay:1", pay(chain, 7)).ok  # the sender now counts the sequence itself
    transfer_from(chain, "provider", chain.addresses["tenant"], 5)  # same key, elsewhere

    before = balance(chain, chain.addresses["auditor"])
    outcome = sender.send("pay:2", pay(chain, 11))

    assert outcome.ok, outcome
    assert "account sequence mismatch for pay:2" in caplog.text
    assert balance(chain, chain.addresses["auditor"]) == before + 11


def test_a_purpose_is_sent_once_even_across_a_crash_before_its_block(
    chain: Chain, tmp_path: Path
) -> None:
    recipient = chain.addresses["auditor"]
    before = balance(chain, recipient)
    _, sequence_before = chain.node.account(chain.addresses["provider"])

    # The daemon broadcasts, then dies before it sees the block: the tx stays pending.
    impatient = sender_for(chain, tmp_path / "data", inclusion_timeout=0)
    with pytest.raises(SendError, match="not in a block yet"):
        impatient.send("pay:once", pay(chain, 13))
    impatient.state.close()

    restarted = sender_for(chain, tmp_path / "data")
    first = restarted.send("pay:once", pay(chain, 13))
    again = restarted.send("pay:once", pay(chain, 13))

    assert first.ok and again == first
    assert balance(chain, recipient) == before + 13
    _, sequence_after = chain.node.account(chain.addresses["provider"])
    assert sequence_after == sequence_before + 1


def test_a_pending_tx_whose_sequence_went_to_another_is_signed_anew_and_lands_once(
    chain: Chain, tmp_path: Path
) -> None:
    """The daemon stored a signed tx and died before broadcasting it; meanwhile the key's
    sequence was used elsewhere. The stored tx can never land, so it is signed again."""
    provider, recipient = chain.addresses["provider"], chain.addresses["auditor"]
    number, sequence = chain.node.account(provider)
    never_sent = build_and_sign(
        chain.key("provider"),
        pay(chain, 17),
        chain_id=chain.node.chain_id,
        account_number=number,
        sequence=sequence,
        fee=Coins((Coin("ugpc", 200),)),
        gas_limit=200_000,
    )
    state = State(tmp_path / "data")
    with state.transaction():
        state.add_pending_tx(PendingTx("pay:late", tx_hash_of(never_sent), never_sent, sequence))
    state.close()
    transfer_from(chain, "provider", chain.addresses["tenant"], 5)  # takes that sequence
    before = balance(chain, recipient)

    outcome = sender_for(chain, tmp_path / "data").send("pay:late", pay(chain, 17))

    assert outcome.ok and outcome.hash != tx_hash_of(never_sent)
    assert balance(chain, recipient) == before + 17
    assert chain.node.account(provider)[1] == sequence + 2  # the transfer and this, no more
