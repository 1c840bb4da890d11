"""Test nodes: in-process with a mock consensus, or real processes on free loopback ports.

It calls the ABCI methods in the order CometBFT does (InitChain, then per block
PrepareProposal → ProcessProposal → FinalizeBlock → Commit), so state-machine tests run
in milliseconds; tests that need real consensus start real CometBFT processes instead.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from google.protobuf import descriptor_pool, duration_pb2, json_format, timestamp_pb2
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

from chain.app import AppConfig, Application
from chain.coins import Coins
from chain.config import set_toml_values
from chain.context import Context, EvidenceParams
from chain.crypto import PrivateKey
from chain.module import Module, section
from chain.pb.cosmos.auth.v1beta1 import auth_pb2
from chain.pb.cosmos.auth.v1beta1 import query_pb2 as auth_query_pb2
from chain.pb.cosmos.crypto.ed25519 import keys_pb2  # noqa: F401  (Any in answers as JSON)
from chain.pb.tendermint.abci import types_pb2 as abci
from chain.pb.tendermint.types import params_pb2, validator_pb2
from chain.process import NodeProcess
from chain.rpc import CometRpc, RpcError
from chain.tx import build_and_sign
from chain.wiring import Modules, build_app, default_app_state, wire_modules

MessageT = TypeVar("MessageT", bound=Message)

GENESIS_TIME_SECONDS = 1_700_000_000
BLOCK_SECONDS = 1


def genesis_state(balances: dict[str, str]) -> dict[str, Any]:
    """A default app_state with the given bech32 address → "1000ugpc" balances."""
    state = default_app_state()
    state["bank"] = {
        "balances": [
            {"address": address, "coins": Coins.parse(amount).to_json()}
            for address, amount in sorted(balances.items())
        ],
        "supply": [],
    }
    return state


def _unbonding_blocks(app_state: dict[str, Any]) -> int:
    """The staking unbonding period app_state sets, or the default one."""
    params = section(section(app_state, "staking"), "params")
    if "unbonding_blocks" not in params:
        params = section(section(default_app_state(), "staking"), "params")
    return int(params["unbonding_blocks"])


def vote(consensus_address: bytes, power: int, signed: bool = True) -> abci.VoteInfo:
    """One validator's entry in a block's last commit: signed (voted) or absent."""
    flag = validator_pb2.BLOCK_ID_FLAG_COMMIT if signed else validator_pb2.BLOCK_ID_FLAG_ABSENT
    return abci.VoteInfo(
        validator=abci.Validator(address=consensus_address, power=power), block_id_flag=flag
    )


class InBlock(Module):
    """Runs queued keeper calls at the start of the next block, as another module's block
    hook would, so their writes are committed with that block (state tests and benches
    seed state this way, without txs)."""

    name = "in_block"

    def __init__(self) -> None:
        self.queued: list[Callable[[Context], None]] = []

    def begin_block(self, ctx: Context) -> None:
        for action in self.queued:
            action(ctx)
        self.queued.clear()


@dataclass
class TestNode:
    """A single-validator chain in one process."""

    __test__ = False  # a helper, not a pytest test class

    home: Path
    chain_id: str = "gpuchain-test"
    config: AppConfig = field(default_factory=lambda: AppConfig(invariant_check_period=1))
    extra_modules: Sequence[Module] = ()
    modules: Modules = field(init=False)
    app: Application = field(init=False)
    height: int = 0
    app_hashes: dict[int, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.modules = wire_modules()
        self.app = build_app(self.home, self.config, self.extra_modules, self.modules)
        self.height = self.app.store.last.height

    def init_chain(
        self,
        app_state: dict[str, Any],
        time_ns: int | None = None,
        evidence: EvidenceParams | None = None,
        max_gas: int = -1,
    ) -> bytes:
        """Start the chain from app_state. The consensus evidence max age defaults to what
        `gpuchain init` writes: the staking unbonding period, in blocks and block times;
        block.max_gas to none (-1)."""
        if time_ns is None:
            time_ns = GENESIS_TIME_SECONDS * 1_000_000_000
        if evidence is None:
            blocks = _unbonding_blocks(app_state)
            evidence = EvidenceParams(blocks, blocks * BLOCK_SECONDS * 1_000_000_000)
        response = self.app.init_chain(
            abci.RequestInitChain(
                time=timestamp_pb2.Timestamp(seconds=time_ns // 10**9, nanos=time_ns % 10**9),
                chain_id=self.chain_id,
                app_state_bytes=json.dumps(app_state).encode(),
                initial_height=1,
                consensus_params=params_pb2.ConsensusParams(
                    block=params_pb2.BlockParams(max_bytes=22_020_096, max_gas=max_gas),
                    evidence=params_pb2.EvidenceParams(
                        max_age_num_blocks=evidence.max_age_blocks,
                        max_age_duration=duration_pb2.Duration(
                            seconds=evidence.max_age_duration_ns // 10**9,
                            nanos=evidence.max_age_duration_ns % 10**9,
                        ),
                    ),
                ),
            )
        )
        return bytes(response.app_hash)

    def check(self, raw: bytes) -> abci.ResponseCheckTx:
        return self.app.check_tx(abci.RequestCheckTx(tx=raw, type=abci.NEW))

    def block(
        self,
        txs: Sequence[bytes] = (),
        time_ns: int | None = None,
        votes: Sequence[abci.VoteInfo] = (),
        misbehavior: Sequence[abci.Misbehavior] = (),
        proposer: bytes = b"",
    ) -> abci.ResponseFinalizeBlock:
        """Propose, accept, execute and commit one block holding txs.

        votes are the previous block's commit signatures (decided_last_commit), as CometBFT
        passes them; `vote(consensus_address, power)` builds one.
        """
        height = self.height + 1
        if time_ns is None:
            time_ns = (GENESIS_TIME_SECONDS + height * BLOCK_SECONDS) * 1_000_000_000
        stamp = timestamp_pb2.Timestamp(seconds=time_ns // 10**9, nanos=time_ns % 10**9)
        proposal = self.app.prepare_proposal(
            abci.RequestPrepareProposal(
                max_tx_bytes=22_020_096, txs=list(txs), height=height, time=stamp
            )
        )
        verdict = self.app.process_proposal(
            abci.RequestProcessProposal(txs=proposal.txs, height=height, time=stamp)
        )
        assert verdict.status == abci.ResponseProcessProposal.ACCEPT
        result = self.app.finalize_block(
            abci.RequestFinalizeBlock(
                txs=list(txs),
                height=height,
                time=stamp,
                decided_last_commit=abci.CommitInfo(votes=list(votes)),
                misbehavior=list(misbehavior),
                proposer_address=proposer,
            )
        )
        self.app.commit()
        self.height = height
        self.app_hashes[height] = bytes(result.app_hash)
        return result

    def account(self, key: PrivateKey) -> tuple[int, int]:
        """(account number, sequence) of key's account in committed state."""
        reader, _, _ = self.app.store.query_view()
        account = self.app.ante._accounts.account(reader, key.address)  # type: ignore[attr-defined]
        assert account is not None, f"no account for {key.bech32_address}"
        return account.account_number, account.sequence

    def sign(
        self,
        key: PrivateKey,
        messages: Sequence[Message],
        *,
        fee: str = "2000ugpc",
        gas: int = 200_000,
        sequence: int | None = None,
        account_number: int | None = None,
        chain_id: str | None = None,
        memo: str = "",
    ) -> bytes:
        number, current = self.account(key)
        return build_and_sign(
            key,
            messages,
            chain_id=self.chain_id if chain_id is None else chain_id,
            account_number=number if account_number is None else account_number,
            sequence=current if sequence is None else sequence,
            fee=Coins.parse(fee),
            gas_limit=gas,
            memo=memo,
        )

    def query(self, path: str, request: Message, response: MessageT) -> MessageT:
        """A typed query (gRPC method path) over the last committed block, parsed into
        response; raises AssertionError carrying the app's log when it answers an error."""
        answer = self.app.query(abci.RequestQuery(path=path, data=request.SerializeToString()))
        assert answer.code == 0, f"{path}: {answer.codespace}/{answer.code} {answer.log}"
        response.ParseFromString(answer.value)
        return response

    def close(self) -> None:
        self.app.store.close()


def query_messages(path: str, arguments: dict[str, Any] | None = None) -> tuple[Message, Message]:
    """A typed query's request, from its fields as proto3 JSON, and an empty response, for
    any method path of the generated services (`/cosmos.staking.v1beta1.Query/Validator`)."""
    service, method = path.strip("/").split("/")
    descriptor = descriptor_pool.Default().FindMethodByName(f"{service}.{method}")
    request = json_format.ParseDict(arguments or {}, GetMessageClass(descriptor.input_type)())
    return request, GetMessageClass(descriptor.output_type)()


def answer_json(answer: Message) -> Any:
    """A typed answer as proto3 JSON with field names as declared and defaults shown; an
    answer that only wraps one message (params, a validator) is that message."""
    fields = answer.DESCRIPTOR.fields
    if len(fields) == 1 and fields[0].message_type is not None and not fields[0].is_repeated:
        answer = getattr(answer, fields[0].name)
    return json_format.MessageToDict(
        answer, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )


def account_of(rpc: CometRpc, address: str) -> tuple[int, int]:
    """(account number, sequence) of an address in a node's latest committed state."""
    answer = rpc.query_message(
        "/cosmos.auth.v1beta1.Query/Account",
        auth_query_pb2.QueryAccountRequest(address=address),
        auth_query_pb2.QueryAccountResponse(),
    )
    account = auth_pb2.BaseAccount.FromString(answer.account.value)
    return account.account_number, account.sequence


# Test nodes listen below the kernel's ephemeral range (32768 and up), where the outgoing
# connections of RPC polling never land, and each pytest-xdist worker draws from its own
# block, so a port chosen here is still free when the node binds it seconds later.
_PORT_BLOCK_SIZE = 2000
_PORT_BASE = 12000
_next_port_offset = (os.getpid() * 7) % _PORT_BLOCK_SIZE


def free_port() -> int:
    """A loopback TCP port nobody listens on now, so suites can run side by side."""
    global _next_port_offset
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw9").removeprefix("gw")
    block_start = _PORT_BASE + (int(worker) % 10 if worker.isdigit() else 9) * _PORT_BLOCK_SIZE
    for _ in range(_PORT_BLOCK_SIZE):
        port = block_start + _next_port_offset
        _next_port_offset = (_next_port_offset + 1) % _PORT_BLOCK_SIZE
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise OSError(f"no free port in {block_start}..{block_start + _PORT_BLOCK_SIZE - 1}")


@dataclass
class LocalNode:
    """A real node (`gpuchain start`: the app plus a child CometBFT) on free loopback ports.

    Keys live in the home's test keyring; `funded` names keys created and funded at genesis,
    and the key OPERATOR_KEY funds and operates the node's validator.
    """

    OPERATOR_KEY: ClassVar[str] = "validator"

    home: Path
    chain_id: str = "gpuchain-test"
    rpc_port: int = field(default_factory=free_port)
    p2p_port: int = field(default_factory=free_port)
    grpc_port: int = field(default_factory=free_port)
    metrics_port: int = field(default_factory=free_port)
    api_port: int = field(default_factory=free_port)
    block_time: str = "200ms"
    runner: NodeProcess = field(init=False)

    def __post_init__(self) -> None:
        self.runner = NodeProcess(self.home, self.rpc, self.log_path)

    @property
    def rpc_address(self) -> str:
        return f"tcp://127.0.0.1:{self.rpc_port}"

    @property
    def rpc(self) -> CometRpc:
        return CometRpc(self.rpc_address)

    @property
    def log_path(self) -> Path:
        return self.home / "node.log"

    def init(self, funded: dict[str, str]) -> dict[str, str]:
        """Create the home, keys and genesis; returns key name → address (funded keys)."""
        from chain.config import NodeConfig
        from chain.genesis import fund
        from chain.home import bond_operator, init_home
        from chain.keyring import Keyring

        node_config = NodeConfig(
            minimum_gas_prices="0.001ugpc",
            grpc_address=f"127.0.0.1:{self.grpc_port}",
            metrics_address=f"127.0.0.1:{self.metrics_port}",
            api_address=f"127.0.0.1:{self.api_port}",
            invariant_check_period=1,
        )
        home = init_home(self.home, "test-node", self.chain_id, node_config=node_config)
        set_toml_values(
            home.comet_config,
            {
                ("rpc", "laddr"): self.rpc_address,
                ("p2p", "laddr"): f"tcp://127.0.0.1:{self.p2p_port}",
                ("consensus", "timeout_commit"): self.block_time,
                ("consensus", "timeout_propose"): "1s",
            },
        )
        keyring = Keyring(self.home, "test")
        keyring.add(self.OPERATOR_KEY)
        bond_operator(home, keyring.private_key(self.OPERATOR_KEY), "test-node", self.chain_id)
        addresses = {name: keyring.add(name).address for name in sorted(funded)}
        genesis = json.loads(home.genesis.read_text())
        for name, amount in sorted(funded.items()):
            fund(genesis, addresses[name], Coins.parse(amount))
        home.genesis.write_text(json.dumps(genesis, indent=2))
        return addresses

    def set_genesis_params(self, module: str, **values: object) -> None:
        """Change some of a module's params in the genesis init wrote (before the first
        start), e.g. a report interval long enough that no test's lease faults."""
        genesis_path = self.home / "config" / "genesis.json"
        genesis = json.loads(genesis_path.read_text())
        genesis["app_state"][module]["params"].update(values)
        genesis_path.write_text(json.dumps(genesis, indent=2))

    def start(self, env: dict[str, str] | None = None, wait: bool = True) -> None:
        self.runner.start(env)
        if wait:
            self.wait_for_height(self.last_height() + 1 if self._rpc_up() else 1, timeout=60)
            self.wait_for_app_height(1)

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        return self.runner.process

    def _rpc_up(self) -> bool:
        try:
            self.rpc.status()
        except RpcError:
            return False
        return True

    def account(self, address: str) -> tuple[int, int]:
        """(account number, sequence) of an address in the node's committed state."""
        return account_of(self.rpc, address)

    def last_height(self) -> int:
        return self.rpc.latest_height()

    def wait_for_height(self, height: int, timeout: float = 30) -> None:
        self.runner.wait_for_height(height, timeout)

    def wait_for_app_height(self, height: int, timeout: float = 30) -> None:
        """Wait until the app itself has committed height (CometBFT stores a block first)."""
        deadline = time.monotonic() + timeout
        while int(self.rpc.call("abci_info")["response"].get("last_block_height", 0)) < height:
            if time.monotonic() > deadline:
                raise TimeoutError(f"app did not commit height {height} in {timeout}s")
            time.sleep(0.05)

    def stop(self) -> int:
        """SIGTERM and wait; returns the exit code."""
        return self.runner.stop()

    def kill(self) -> None:
        """kill -9 the app and CometBFT together (its whole process group)."""
        self.runner.kill()
        self._wait_for_port_free(self.rpc_port)

    @staticmethod
    def _wait_for_port_free(port: int) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) != 0:
                    return
            time.sleep(0.1)
