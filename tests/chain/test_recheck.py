"""After a commit the mempool rechecks what it holds: only expiry, sequence and the fee's
balance can have changed, so only those are checked again (no decoding, no signature)."""

from __future__ import annotations

from pathlib import Path

import pytest
from chain_fixtures import ALICE, BOB, CAROL, Chain, funded_chain, send
from hostile import Envelope, build, packed

from chain import app as app_module
from chain.app import AppConfig
from chain.crypto import PrivateKey, PublicKey
from chain.pb.tendermint.abci import types_pb2 as abci
from chain.testing import TestNode, genesis_state


def _recheck(chain: Chain, raw: bytes) -> abci.ResponseCheckTx:
    return chain.node.app.check_tx(abci.RequestCheckTx(tx=raw, type=abci.RECHECK))


def test_rechecked_txs_keep_their_senders_sequence_order(chain: Chain) -> None:
    first, second, third = (
        chain.node.sign(ALICE, [send(ALICE, BOB.bech32_address, "1")], sequence=sequence)
        for sequence in range(3)
    )
    assert [chain.node.check(raw).code for raw in (first, second, third)] == [0, 0, 0]
    chain.node.block([first])
    assert [_recheck(chain, raw).code for raw in (second, third)] == [0, 0]
    # the check state moved on: the same sequence again is refused
    assert _recheck(chain, second).code == 3


def test_recheck_evicts_a_tx_whose_fee_can_no_longer_be_paid(chain: Chain) -> None:
    everything = str(chain.balance(ALICE) - 2000)
    spend_all = chain.node.sign(ALICE, [send(ALICE, CAROL.bech32_address, everything)])
    next_one = chain.node.sign(ALICE, [send(ALICE, BOB.bech32_address, "1")], sequence=1)
    # admitted: CheckTx takes fees only, and both fees are there
    assert chain.node.check(spend_all).code == 0 and chain.node.check(next_one).code == 0
    chain.node.block([spend_all])
    assert chain.balance(ALICE) == 0
    refused = _recheck(chain, next_one)
    assert refused.code == 5 and "needs 2000ugpc" in refused.log


def test_recheck_evicts_a_tx_past_its_timeout_height(chain: Chain) -> None:
    number, sequence = chain.node.account(ALICE)
    envelope = Envelope(
        messages=(packed(send(ALICE, BOB.bech32_address, "1")),),
        timeout_height=chain.node.height + 1,
    )
    raw = build(envelope, ALICE, chain.node.chain_id, number, sequence)
    assert chain.node.check(raw).code == 0
    chain.node.block()  # the block it could have been in passes without it
    refused = _recheck(chain, raw)
    assert refused.code == 30 and "past the tx's" in refused.log


def test_recheck_neither_decodes_nor_verifies_a_signature_again(
    chain: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    raws = [
        chain.node.sign(ALICE, [send(ALICE, BOB.bech32_address, "1")], sequence=sequence)
        for sequence in range(4)
    ]
    assert all(chain.node.check(raw).code == 0 for raw in raws)
    chain.node.block(raws[:1])
    calls = {"decode": 0, "verify": 0}
    decode, verify = app_module.decode_tx, PublicKey.verify

    def counting_decode(*args: object, **kwargs: object) -> object:
        calls["decode"] += 1
        return decode(*args, **kwargs)  # type: ignore[arg-type]

    def counting_verify(self: PublicKey, *args: object) -> bool:
        calls["verify"] += 1
        return verify(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(app_module, "decode_tx", counting_decode)
    monkeypatch.setattr(PublicKey, "verify", counting_verify)
    assert [_recheck(chain, raw).code for raw in raws[1:]] == [0, 0, 0]
    assert calls == {"decode": 0, "verify": 0}
    # and the block that includes them does not either
    results = chain.node.block(raws[1:]).tx_results
    assert [result.code for result in results] == [0, 0, 0]
    assert calls == {"decode": 0, "verify": 0}


def test_a_checktx_batch_answers_as_the_same_requests_one_by_one(
    chain: Chain, tmp_path: Path
) -> None:
    """A CheckTx batch (what the server hands over at once) answers, in order, as one
    CheckTx at a time on an identical chain."""
    stranger = PrivateKey(bytes([9]) + bytes(31))
    number, sequence = chain.node.account(ALICE)
    good = [
        chain.node.sign(ALICE, [send(ALICE, BOB.bech32_address, "1")], sequence=sequence + n)
        for n in range(3)
    ]
    forged = build(
        Envelope(messages=(packed(send(ALICE, BOB.bech32_address, "1")),), signatures="garbage"),
        ALICE,
        chain.node.chain_id,
        number,
        sequence + 1,
    )
    unknown = build(
        Envelope(messages=(packed(send(stranger, BOB.bech32_address, "1")),)),
        stranger,
        chain.node.chain_id,
        0,
        0,
    )
    wrong_number = chain.node.sign(
        BOB, [send(BOB, ALICE.bech32_address, "1")], account_number=number + 7
    )
    batch = [good[0], forged, good[1], unknown, b"\x0a\xff", wrong_number, good[1], good[2]]
    requests = [abci.RequestCheckTx(tx=raw, type=abci.NEW) for raw in batch]

    answers = [(a.code, a.log) for a in chain.node.app.check_batch(requests)]
    twin = funded_chain(tmp_path / "twin")
    one_by_one = [(a.code, a.log) for a in map(twin.node.app.check_tx, requests)]
    twin.node.close()

    assert answers == one_by_one
    assert [code for code, _ in answers][:3] == [0, 4, 0] and answers[-1][0] == 0
    assert all(code != 0 for code, _ in answers[3:7])


def _counting_decodes(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    calls = {"decode": 0}
    decode = app_module.decode_tx

    def counting_decode(*args: object, **kwargs: object) -> object:
        calls["decode"] += 1
        return decode(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(app_module, "decode_tx", counting_decode)
    return calls


@pytest.mark.parametrize(("mempool_size", "decoded_again"), [(8, 0), (2, 9)])
def test_the_checked_tx_caches_follow_the_nodes_mempool_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mempool_size: int, decoded_again: int
) -> None:
    """The caches hold twice the mempool: a node whose mempool is larger than the default
    rechecks all of it cheaply; one smaller than what it holds decodes the rest again."""
    node = TestNode(tmp_path / "home", config=AppConfig(mempool_size=mempool_size))
    node.init_chain(genesis_state({ALICE.bech32_address: "1000000000ugpc"}))
    node.block()
    raws = [
        node.sign(ALICE, [send(ALICE, BOB.bech32_address, "1")], sequence=sequence)
        for sequence in range(10)
    ]
    assert all(node.check(raw).code == 0 for raw in raws)
    node.block(raws[:1])
    calls = _counting_decodes(monkeypatch)
    assert [_recheck(Chain(node), raw).code for raw in raws[1:]] == [0] * 9
    assert calls["decode"] == decoded_again
    node.close()
