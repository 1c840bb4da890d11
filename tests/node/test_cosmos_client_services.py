"""What a Cosmos wallet or explorer finds on a real node: the REST API at Cosmos's paths,
cosmos.tx.v1beta1.Service for broadcasting and reading txs, and gRPC server reflection."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from chain.coins import Coins
from chain.keyring import Keyring
from chain.pb.cosmos.bank.v1beta1 import query_pb2 as bank_query_pb2
from chain.pb.cosmos.bank.v1beta1 import query_pb2_grpc as bank_query_grpc
from chain.pb.cosmos.base.tendermint.v1beta1 import query_pb2 as tendermint_query
from chain.pb.cosmos.base.tendermint.v1beta1 import query_pb2_grpc as tendermint_grpc
from chain.pb.cosmos.consensus.v1 import query_pb2 as consensus_query
from chain.pb.cosmos.consensus.v1 import query_pb2_grpc as consensus_grpc
from chain.pb.cosmos.tx.v1beta1 import service_pb2, service_pb2_grpc
from chain.testing import LocalNode
from chain.tx import build_and_sign, tx_hash
from x.bank.msgs import send_msg


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNode]:
    running = LocalNode(tmp_path_factory.mktemp("cosmos") / "home")
    running.init({"alice": "50000000ugpc", "bob": "1000ugpc"})
    running.start()
    yield running
    running.stop()


def rest(node: LocalNode, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{node.api_port}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def signed_send(node: LocalNode, sender: str, recipient: str, amount: int) -> bytes:
    key = Keyring(node.home, "test").private_key(sender)
    number, sequence = node.account(key.bech32_address)
    message = send_msg(key.bech32_address, recipient, Coins.single("ugpc", amount))
    return build_and_sign(
        key,
        [message],
        chain_id=node.chain_id,
        account_number=number,
        sequence=sequence,
        fee=Coins.parse("1000ugpc"),
        gas_limit=200_000,
    )


def address(node: LocalNode, name: str) -> str:
    return Keyring(node.home, "test").private_key(name).bech32_address


def test_rest_balances_answer_the_same_figures_as_grpc(node: LocalNode) -> None:
    alice = address(node, "alice")
    status, answer = rest(node, f"/cosmos/bank/v1beta1/balances/{alice}")
    assert status == 200, answer
    with grpc.insecure_channel(f"127.0.0.1:{node.grpc_port}") as channel:
        typed = bank_query_grpc.QueryStub(channel).AllBalances(
            bank_query_pb2.QueryAllBalancesRequest(address=alice)
        )
    assert answer["balances"] == [
        {"denom": coin.denom, "amount": coin.amount} for coin in typed.balances
    ]

    status, one = rest(node, f"/cosmos/bank/v1beta1/balances/{alice}/by_denom?denom=ugpc")
    assert status == 200, one
    assert one["balance"] == answer["balances"][0]


def test_rest_refuses_an_unknown_path_and_a_bad_parameter_by_name(node: LocalNode) -> None:
    status, answer = rest(node, "/cosmos/bank/v1beta1/nowhere")
    assert status == 404
    assert answer["code"] == grpc.StatusCode.NOT_FOUND.value[0]
    assert "no route for GET /cosmos/bank/v1beta1/nowhere" in answer["message"]

    alice = address(node, "alice")
    status, answer = rest(node, f"/cosmos/bank/v1beta1/balances/{alice}?colour=blue")
    assert status == 400
    assert "unknown parameter 'colour'" in answer["message"]

    status, answer = rest(node, "/cosmos/bank/v1beta1/balances/gpu1notanaddress")
    assert status == 400
    assert answer["code"] == grpc.StatusCode.INVALID_ARGUMENT.value[0]


def test_a_tx_broadcast_over_grpc_is_found_by_hash_and_by_sender(node: LocalNode) -> None:
    bob = address(node, "bob")
    raw = signed_send(node, "alice", bob, 1234)
    with grpc.insecure_channel(f"127.0.0.1:{node.grpc_port}") as channel:
        service = service_pb2_grpc.ServiceStub(channel)
        sent = service.BroadcastTx(
            service_pb2.BroadcastTxRequest(tx_bytes=raw, mode=service_pb2.BROADCAST_MODE_SYNC)
        )
        assert sent.tx_response.code == 0, sent.tx_response.raw_log
        assert sent.tx_response.txhash == tx_hash(raw).upper()
        included = node.rpc.wait_for_tx(sent.tx_response.txhash)

        found = service.GetTx(service_pb2.GetTxRequest(hash=sent.tx_response.txhash))
        assert found.tx_response.height == int(included["height"])
        assert found.tx_response.code == 0
        assert found.tx_response.timestamp
        assert found.tx.body.messages[0].type_url == "/cosmos.bank.v1beta1.MsgSend"
        assert any(event.type == "transfer" for event in found.tx_response.events)

        alice = address(node, "alice")
        search = service.GetTxsEvent(
            service_pb2.GetTxsEventRequest(query=f"message.sender='{alice}'", limit=10)
        )
        assert sent.tx_response.txhash in [r.txhash for r in search.tx_responses]

        with pytest.raises(grpc.RpcError) as missing:
            service.GetTx(service_pb2.GetTxRequest(hash="AB" * 32))
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND

    status, answer = rest(node, f"/cosmos/tx/v1beta1/txs/{sent.tx_response.txhash}")
    assert status == 200, answer
    assert answer["tx_response"]["height"] == str(found.tx_response.height)


def test_a_tx_posted_to_the_rest_api_lands(node: LocalNode) -> None:
    bob = address(node, "bob")
    raw = signed_send(node, "alice", bob, 77)
    status, answer = rest(
        node,
        "/cosmos/tx/v1beta1/txs",
        {"tx_bytes": base64.b64encode(raw).decode(), "mode": "BROADCAST_MODE_SYNC"},
    )
    assert status == 200, answer
    assert answer["tx_response"]["code"] == 0, answer
    node.rpc.wait_for_tx(answer["tx_response"]["txhash"])

    status, refused = rest(
        node,
        "/cosmos/tx/v1beta1/txs",
        {"tx_bytes": base64.b64encode(raw).decode(), "mode": "BROADCAST_MODE_BLOCK"},
    )
    assert status == 400
    assert "BROADCAST_MODE_SYNC or BROADCAST_MODE_ASYNC" in refused["message"]


def test_grpc_reflection_lists_every_service(node: LocalNode) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{node.grpc_port}") as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        answer = next(stub.ServerReflectionInfo(iter([request])))
    names = {service.name for service in answer.list_services_response.service}
    assert {"cosmos.bank.v1beta1.Query", "cosmos.tx.v1beta1.Service"} <= names


def test_simulate_answers_the_same_gas_over_rest_grpc_and_abci(node: LocalNode) -> None:
    raw = signed_send(node, "alice", address(node, "bob"), 9)
    request = service_pb2.SimulateRequest(tx_bytes=raw)

    status, over_rest = rest(
        node, "/cosmos/tx/v1beta1/simulate", {"tx_bytes": base64.b64encode(raw).decode()}
    )
    with grpc.insecure_channel(f"127.0.0.1:{node.grpc_port}") as channel:
        over_grpc = service_pb2_grpc.ServiceStub(channel).Simulate(request)
    over_abci = node.rpc.query_message(
        "/cosmos.tx.v1beta1.Service/Simulate", request, service_pb2.SimulateResponse()
    )

    assert status == 200, over_rest
    assert over_grpc.gas_info.gas_used > 0
    assert over_abci.gas_info.gas_used == over_grpc.gas_info.gas_used
    assert over_rest["gas_info"]["gas_used"] == str(over_grpc.gas_info.gas_used)


def test_node_info_syncing_and_blocks_answer_as_cometbft_has_them(node: LocalNode) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{node.grpc_port}") as channel:
        service = tendermint_grpc.ServiceStub(channel)
        info = service.GetNodeInfo(tendermint_query.GetNodeInfoRequest())
        syncing = service.GetSyncing(tendermint_query.GetSyncingRequest())
        latest = service.GetLatestBlock(tendermint_query.GetLatestBlockRequest())
        first = service.GetBlockByHeight(tendermint_query.GetBlockByHeightRequest(height=1))
        with pytest.raises(grpc.RpcError) as future:
            service.GetBlockByHeight(tendermint_query.GetBlockByHeightRequest(height=10**9))
    comet = node.rpc.block(1)

    assert info.default_node_info.network == node.chain_id
    assert info.application_version.app_name == "gpuchain"
    assert syncing.syncing is False
    assert latest.block.header.height >= 1 and latest.sdk_block.header.chain_id == node.chain_id
    assert latest.sdk_block.header.proposer_address.startswith("gpuvalcons1")
    assert first.block_id.hash.hex().upper() == comet["block_id"]["hash"]
    assert first.block.header.app_hash.hex().upper() == comet["block"]["header"]["app_hash"]
    assert future.value.code() == grpc.StatusCode.NOT_FOUND

    status, over_rest = rest(node, "/cosmos/base/tendermint/v1beta1/blocks/1")
    assert status == 200, over_rest
    assert over_rest["block_id"]["hash"] == base64.b64encode(first.block_id.hash).decode()
    status, syncing_rest = rest(node, "/cosmos/base/tendermint/v1beta1/syncing")
    assert (status, syncing_rest) == (200, {"syncing": False})


def test_consensus_params_are_cometbfts(node: LocalNode) -> None:
    """cosmpy caps its gas estimate at block.max_gas, read from cosmos.consensus.v1."""
    with grpc.insecure_channel(f"127.0.0.1:{node.grpc_port}") as channel:
        answer = consensus_grpc.QueryStub(channel).Params(consensus_query.QueryParamsRequest())
    # A height whose state CometBFT has surely stored: the latest one may still be saving.
    node.wait_for_height(2)
    comet = node.rpc.call("consensus_params", height=str(node.last_height() - 1))
    comet = comet["consensus_params"]

    assert answer.params.block.max_gas == int(comet["block"]["max_gas"])
    assert answer.params.block.max_bytes == int(comet["block"]["max_bytes"]) > 0
    assert answer.params.evidence.max_age_num_blocks == int(comet["evidence"]["max_age_num_blocks"])
    assert list(answer.params.validator.pub_key_types) == ["ed25519"]
