"""The node process: blocks, signals, a dying CometBFT, a separate CometBFT, bad frames,
gRPC and metrics — all against real processes on loopback."""

from __future__ import annotations

import base64
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from chain.config import cometbft_binary, cometbft_environment
from chain.keyring import Keyring
from chain.pb.cosmos.bank.v1beta1 import query_pb2, query_pb2_grpc
from chain.pb.cosmos.staking.v1beta1.query_pb2 import QueryValidatorsRequest
from chain.testing import LocalNode, free_port


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNode]:
    running = LocalNode(tmp_path_factory.mktemp("node") / "home")
    running.init({"alice": "1000000ugpc"})
    running.start()
    yield running
    running.stop()


def test_a_tx_that_is_not_protobuf_is_refused_and_the_node_goes_on(node: LocalNode) -> None:
    result = node.rpc.broadcast_tx_sync(b"\x0a\xff garbage")
    assert result["code"] == 2
    assert "not valid protobuf" in result["log"]
    height = node.last_height()
    node.wait_for_height(height + 2)


def test_a_malformed_abci_frame_closes_only_that_connection(node: LocalNode) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.connect(str(node.home / "abci.sock"))
        client.sendall(b"\x05\xff\xff\xff\xff\xff")  # a 5-byte frame that is not a Request
        client.settimeout(5)
        assert client.recv(1) == b"", "the server should close the connection"
    node.wait_for_height(node.last_height() + 2)
    log = node.log_path.read_text()
    assert log.count("closing ABCI connection: frame is not an ABCI Request") == 1


def test_connections_past_the_limit_are_refused_and_the_node_goes_on(node: LocalNode) -> None:
    """Each ABCI connection gets a thread: a local client opening many cannot make the
    node start threads without end; CometBFT's four keep working."""
    from chain.abci_server import MAX_CONNECTIONS

    clients = []
    try:
        for _ in range(MAX_CONNECTIONS + 4):
            client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            client.connect(str(node.home / "abci.sock"))
            clients.append(client)
        closed = 0
        for client in clients:
            client.settimeout(0.3)
            with contextlib.suppress(TimeoutError):  # accepted: it waits for a request
                closed += client.recv(1) == b""
        # CometBFT holds 4 of the 16: the last 8 of these are closed at once.
        assert closed == 8
    finally:
        for client in clients:
            client.close()
    node.wait_for_height(node.last_height() + 2)
    assert "refusing an ABCI connection: 16 are open already" in node.log_path.read_text()


def test_pipelined_check_txs_and_flushes_are_answered_in_their_order(node: LocalNode) -> None:
    """CometBFT's mempool client writes CheckTx after CheckTx with a Flush after nearly every
    one; the server checks them as one batch, and every answer (each Flush's too) comes
    back in the position of its request, split however the bytes arrive."""
    from chain.abci_server import FrameBuffer, encode_frame
    from chain.pb.tendermint.abci import types_pb2 as abci

    requests = [abci.Request(check_tx=abci.RequestCheckTx(tx=b"not a tx %d" % i)) for i in range(3)]
    flush = abci.Request(flush=abci.RequestFlush())
    echo = abci.Request(echo=abci.RequestEcho(message="after"))
    stream = b"".join(
        encode_frame(r) for r in [requests[0], flush, requests[1], requests[2], flush, echo]
    )
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.connect(str(node.home / "abci.sock"))
        client.settimeout(10)
        for start in range(0, len(stream), 7):  # in pieces that split frames and lengths
            client.sendall(stream[start : start + 7])
            time.sleep(0.001)
        answers: list[abci.Response] = []
        frames = FrameBuffer()
        while len(answers) < 6:
            chunk = client.recv(65536)
            assert chunk, "the server closed the connection"
            frames.feed(chunk)
            answers.extend(abci.Response.FromString(body) for body in frames.frames())
    kinds = [answer.WhichOneof("value") for answer in answers]
    assert kinds == ["check_tx", "flush", "check_tx", "check_tx", "flush", "echo"]
    assert all("protobuf" in answers[i].check_tx.log for i in (0, 2, 3))
    assert answers[5].echo.message == "after"


def test_cometbft_gets_twice_the_cores_as_go_processors_unless_the_operator_chose(
    node: LocalNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CometBFT's socket client spins a 20 ns timer while its sender is busy; with one Go
    processor per core those goroutines starve the ones moving CheckTx (chain.config)."""
    assert node.runner.process is not None
    pid = node.runner.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    environments = [Path(f"/proc/{child}/environ").read_bytes().split(b"\0") for child in children]
    expected = str(max(4, 2 * (os.cpu_count() or 1))).encode()
    assert [b"GOMAXPROCS=" + expected in environment for environment in environments] == [True]
    monkeypatch.setenv("GOMAXPROCS", "3")
    assert cometbft_environment()["GOMAXPROCS"] == "3"


def test_grpc_answers_bank_queries_from_committed_state(node: LocalNode) -> None:
    alice = Keyring(node.home, "test").show("alice").address
    with grpc.insecure_channel(f"127.0.0.1:{node.grpc_port}") as channel:
        stub = query_pb2_grpc.QueryStub(channel)
        answer = stub.Balance(
            query_pb2.QueryBalanceRequest(address=alice, denom="ugpc"), timeout=10
        )
        assert answer.balance.amount == "1000000"
        with pytest.raises(grpc.RpcError) as refused:
            stub.Balance(query_pb2.QueryBalanceRequest(address="gpu1bad", denom="ugpc"), timeout=10)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "invalid address" in (refused.value.details() or "")


def test_grpc_refuses_malformed_invalid_and_oversized_requests_without_a_traceback(
    node: LocalNode,
) -> None:
    def call(path: str, data: bytes) -> grpc.RpcError:
        with grpc.insecure_channel(f"127.0.0.1:{node.grpc_port}") as channel:
            method = channel.unary_unary(path)  # bytes in, bytes out
            with pytest.raises(grpc.RpcError) as refused:
                method(data, timeout=10)
        return refused.value

    not_protobuf = call("/cosmos.bank.v1beta1.Query/Balance", b"\xff\xff\xff")
    bad_status = call(
        "/cosmos.staking.v1beta1.Query/Validators",
        QueryValidatorsRequest(status="nonsense").SerializeToString(),
    )
    oversized = call(
        "/cosmos.bank.v1beta1.Query/Balance",
        query_pb2.QueryBalanceRequest(address="a" * (2 << 20)).SerializeToString(),
    )

    assert not_protobuf.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "not valid protobuf" in (not_protobuf.details() or "")
    assert bad_status.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "invalid validator status" in (bad_status.details() or "")
    assert oversized.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    log = node.log_path.read_text()
    assert "refused gRPC /cosmos.bank.v1beta1.Query/Balance" in log
    assert "Traceback" not in log


def test_metrics_report_height_and_block_timings(node: LocalNode) -> None:
    node.wait_for_height(3)
    with urllib.request.urlopen(
        f"http://127.0.0.1:{node.metrics_port}/metrics", timeout=10
    ) as reply:
        text = reply.read().decode()
    height_line = next(line for line in text.splitlines() if line.startswith("gpuchain_height "))
    assert float(height_line.split()[1]) >= 3
    assert "gpuchain_finalize_block_seconds_count" in text
    assert "gpuchain_commit_seconds_bucket" in text


def test_sigterm_stops_app_and_cometbft_with_exit_code_zero(local_node: LocalNode) -> None:
    local = local_node
    local.init({"alice": "10ugpc"})
    local.start()
    assert local.stop() == 0
    assert subprocess.run(["pgrep", "-f", f"cometbft node --home {local.home}"]).returncode == 1


def test_the_node_exits_non_zero_when_cometbft_dies(local_node: LocalNode) -> None:
    local = local_node
    local.init({"alice": "10ugpc"})
    local.start()
    assert local.process is not None
    comet_pid = int(
        subprocess.run(
            ["pgrep", "-f", f"cometbft node --home {local.home}"], capture_output=True, text=True
        ).stdout.split()[0]
    )
    os.kill(comet_pid, signal.SIGKILL)
    assert local.process.wait(timeout=30) == 1


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_abci_alone_refuses_an_address_off_loopback_unless_explicitly_allowed(
    local_node: LocalNode,
) -> None:
    local_node.init({})
    port = free_port()
    start = [
        *(sys.executable, "-m", "chain.cli.main", "start", "--home", str(local_node.home)),
        *("--with-comet=false", "--address", f"tcp://0.0.0.0:{port}"),
    ]

    refused = subprocess.run(start, capture_output=True, text=True, timeout=60, check=False)

    assert refused.returncode == 1
    assert f"refusing to serve ABCI on tcp://0.0.0.0:{port}" in refused.stderr
    allowed = subprocess.Popen(
        [*start, "--abci-allow-remote"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not listening(port):
            assert allowed.poll() is None, "the allowed listener exited"
            assert time.monotonic() < deadline, "the allowed listener never listened"
            time.sleep(0.1)
    finally:
        allowed.send_signal(signal.SIGINT)
        _, errors = allowed.communicate(timeout=30)
    assert allowed.returncode == 0
    assert "the ABCI protocol has no authentication" in errors


def test_abci_only_mode_serves_a_separately_started_cometbft(local_node: LocalNode) -> None:
    local = local_node
    local.init({"alice": "10ugpc"})
    abci_address = f"tcp://127.0.0.1:{free_port()}"
    app = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "chain.cli.main",
            "start",
            "--home",
            str(local.home),
            "--with-comet=false",
            "--address",
            abci_address,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    comet = subprocess.Popen(
        [cometbft_binary(), "node", "--home", str(local.home), "--proxy_app", abci_address],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if local.last_height() >= 3:
                    break
            except Exception:
                pass
            assert time.monotonic() < deadline, "no blocks from the separate CometBFT"
            time.sleep(0.2)
        answer = local.rpc.abci_query("/store/key", b"\x00\x01")
        assert base64.b64decode(answer["value"]) == b"gpuchain-test"
    finally:
        comet.terminate()
        comet.wait(timeout=30)
        app.send_signal(signal.SIGINT)
        assert app.wait(timeout=30) == 0
