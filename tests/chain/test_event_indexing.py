"""app.toml's index-events decides which event attributes CometBFT's indexer indexes, as in
Cosmos: empty indexes all; the list `gpuchain init` writes keeps what clients search by."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from chain_fixtures import ALICE, BOB, send

from chain.app import AppConfig
from chain.config import ConfigError, NodeConfig
from chain.home import init_home
from chain.pb.tendermint.abci import types_pb2 as abci
from chain.testing import TestNode, genesis_state
from chain.wiring import DEFAULT_INDEX_EVENTS


def _send_result(home: Path, index_events: frozenset[str]) -> abci.ExecTxResult:
    node = TestNode(home, config=replace(AppConfig(), index_events=index_events))
    node.init_chain(genesis_state({ALICE.bech32_address: "1000000ugpc"}))
    node.block()
    result = node.block([node.sign(ALICE, [send(ALICE, BOB.bech32_address, "7")])])
    node.close()
    assert result.tx_results[0].code == 0, result.tx_results[0].log
    return result.tx_results[0]


def _flags(result: abci.ExecTxResult) -> dict[tuple[str, str], set[bool]]:
    flags: dict[tuple[str, str], set[bool]] = {}
    for event in result.events:
        for attribute in event.attributes:
            flags.setdefault((event.type, attribute.key), set()).add(attribute.index)
    return flags


def test_only_the_listed_attributes_are_indexed(tmp_path: Path) -> None:
    flags = _flags(_send_result(tmp_path, frozenset({"message.sender", "transfer.recipient"})))
    indexed = {pair for pair, values in flags.items() if values == {True}}
    assert indexed == {("message", "sender"), ("transfer", "recipient")}
    # the others are still in the results, unindexed (the fee's transfer too)
    assert flags[("coin_spent", "amount")] == {False}
    assert flags[("transfer", "amount")] == {False}


def test_an_empty_list_indexes_every_attribute(tmp_path: Path) -> None:
    flags = _flags(_send_result(tmp_path, frozenset()))
    assert all(values == {True} for values in flags.values())
    assert len(flags) > 10


def test_a_send_repeats_no_attribute_and_no_event(tmp_path: Path) -> None:
    result = _send_result(tmp_path, frozenset())
    events = [
        (event.type, tuple((a.key, a.value) for a in event.attributes)) for event in result.events
    ]
    for event_type, attributes in events:
        keys = [key for key, _ in attributes]
        assert len(keys) == len(set(keys)), f"{event_type} repeats an attribute"
    # The fee's and the send's transfers differ in amount and recipient.
    assert len(events) == len(set(events))


def test_init_writes_the_default_list_and_the_node_reads_it_back(tmp_path: Path) -> None:
    home = init_home(tmp_path / "node", "node", "chain-x")
    loaded = NodeConfig.load(home.app_config)
    assert loaded.index_events == DEFAULT_INDEX_EVENTS
    # what the CLI, Cosmos clients and the market's tools search by
    for key in (
        "message.sender",
        "message.action",
        "transfer.recipient",
        "transfer.sender",
        "tx.acc_seq",
        "lease_withdrawn.dseq",
        "lease_created.provider",
        "order_created.owner",
    ):
        assert key in loaded.index_events


def test_an_app_toml_without_the_setting_indexes_everything(tmp_path: Path) -> None:
    path = tmp_path / "app.toml"
    path.write_text('minimum-gas-prices = "0.001ugpc"\n')
    assert NodeConfig.load(path).index_events == ()


@pytest.mark.parametrize(
    "value", ['"message.sender"', '["message"]', '[".sender"]', "[1]", '["message."]']
)
def test_a_malformed_index_events_setting_is_refused_by_name(tmp_path: Path, value: str) -> None:
    path = tmp_path / "app.toml"
    path.write_text(f"index-events = {value}\n")
    with pytest.raises(ConfigError, match="index-events"):
        NodeConfig.load(path)


def test_the_app_reads_cometbfts_mempool_size_or_its_default(tmp_path: Path) -> None:
    home = init_home(tmp_path / "node", "node", "chain-x")
    assert home.mempool_size() == 5000  # init leaves CometBFT's default
    text = home.comet_config.read_text()
    home.comet_config.write_text(text.replace("\nsize = 5000\n", "\nsize = 50000\n"))
    assert home.mempool_size() == 50000
    home.comet_config.write_text(text.replace("\nsize = 5000\n", '\nsize = "many"\n'))
    with pytest.raises(ConfigError, match=r"\[mempool\] size 'many' is not a count"):
        home.mempool_size()
