"""The marketplace end to end on a real node (the app under CometBFT): three providers
register, a tenant deploys a GPU SDL file (tests/data/deployment, one of
../shared/sdl/public priced in ugpc), all three bid, the end of the bid window picks the
lowest, the lease accrues, its provider withdraws, the tenant tops up and closes, and
every balance is checked to the ugpc from the heights the txs landed at."""

from __future__ import annotations

from pathlib import Path

from google.protobuf.message import Message

from chain.coins import Coin, Coins
from chain.crypto import PrivateKey, encode_address, module_address
from chain.keyring import Keyring
from chain.pb.cosmos.bank.v1beta1 import query_pb2 as bank_query_pb2
from chain.pb.gpuchain.escrow.v1 import query_pb2 as escrow_query_pb2
from chain.pb.gpuchain.market.v1 import market_pb2
from chain.pb.gpuchain.market.v1 import query_pb2 as market_query_pb2
from chain.testing import LocalNode, account_of
from chain.tx import build_and_sign
from x.deployment import msgs as deployment_msgs
from x.deployment.cli import read_sdl
from x.escrow import queries as escrow_queries
from x.market import msgs, queries
from x.market.usage_msgs import report_usage_msg
from x.provider.msgs import create_provider_msg

GPU_SDL = Path(__file__).resolve().parents[1] / "data" / "deployment" / "gpu_deploy.yaml"
FEE = 1_000  # ugpc: the node's 0.001ugpc gas price times GAS
GAS = 1_000_000
BID_WINDOW = 30  # blocks of 200ms: time enough to land three bids broadcast at once
COLLATERAL = 1_000_000
BID_DEPOSIT = 500_000
DEPOSIT = 5_000_000
TOP_UP = 1_234_567
TAKE_BPS = 200
PRICES = {"p1": 9_000, "p2": 7_000, "p3": 8_000}
DSEQ = 7


def broadcast(node: LocalNode, key: PrivateKey, *messages: Message) -> str:
    """Sign and broadcast a tx that must pass CheckTx; its hash."""
    number, sequence = account_of(node.rpc, key.bech32_address)
    raw = build_and_sign(
        key, list(messages), chain_id=node.chain_id, account_number=number, sequence=sequence,
        fee=Coins.parse(f"{FEE}ugpc"), gas_limit=GAS,
    )  # fmt: skip
    answer = node.rpc.broadcast_tx_sync(raw)
    assert answer["code"] == 0, answer
    return str(answer["hash"])


def landed(node: LocalNode, tx_hash: str) -> int:
    """Wait for a broadcast tx, which must pass; the height it landed at."""
    included = node.rpc.wait_for_tx(tx_hash)
    assert int(included["tx_result"].get("code") or 0) == 0, included["tx_result"]
    return int(included["height"])


def submit(node: LocalNode, key: PrivateKey, *messages: Message) -> int:
    return landed(node, broadcast(node, key, *messages))


def balance(node: LocalNode, address: str | bytes) -> int:
    text = address if isinstance(address, str) else encode_address(address)
    answer = node.rpc.query_message(
        "/cosmos.bank.v1beta1.Query/Balance",
        bank_query_pb2.QueryBalanceRequest(address=text, denom="ugpc"),
        bank_query_pb2.QueryBalanceResponse(),
    )
    return int(answer.balance.amount)


def lease_of(node: LocalNode, owner: str, provider: str) -> market_pb2.Lease:
    request = market_query_pb2.QueryLeaseRequest(
        owner=owner, dseq=DSEQ, gseq=1, oseq=1, provider=provider
    )
    return node.rpc.query_message(
        queries.LEASE_PATH, request, market_query_pb2.QueryLeaseResponse()
    ).lease


def escrow_of(node: LocalNode, owner: str) -> escrow_query_pb2.Account:
    return node.rpc.query_message(
        escrow_queries.BALANCE_PATH,
        escrow_query_pb2.QueryBalanceRequest(owner=owner, dseq=DSEQ),
        escrow_query_pb2.QueryBalanceResponse(),
    ).account


def start(home: Path) -> tuple[LocalNode, dict[str, PrivateKey]]:
    node = LocalNode(home)
    funded = {"tenant": "100000000ugpc", "p1": "5000000ugpc", "p2": "5000000ugpc",
              "p3": "5000000ugpc"}  # fmt: skip
    node.init(funded)
    # The provider reports once, by hand: the lease must not fault while the test runs.
    node.set_genesis_params("market", bid_window_blocks=BID_WINDOW, report_interval_blocks=100_000)
    keyring = Keyring(node.home, "test")
    node.start()
    return node, {name: keyring.private_key(name) for name in funded}


def test_three_bids_the_lowest_wins_pays_and_the_tenant_is_refunded_to_the_ugpc(
    tmp_path: Path,
) -> None:
    node, keys = start(tmp_path / "node")
    try:
        tenant = keys["tenant"]
        providers = {name: keys[name] for name in PRICES}
        for key in providers.values():
            submit(
                node,
                key,
                create_provider_msg(
                    key.bech32_address, "https://gpu.example.com:8443", (("region", "eu"),),
                    Coin("ugpc", COLLATERAL), "ops@example.com", "https://example.com", "",
                ),
            )  # fmt: skip
        start_balances = {name: balance(node, key.bech32_address) for name, key in keys.items()}
        assert start_balances["p1"] == 5_000_000 - COLLATERAL - FEE

        groups, manifest_hash = read_sdl(str(GPU_SDL))
        created = submit(
            node,
            tenant,
            deployment_msgs.create_msg(
                tenant.bech32_address, DSEQ, groups, manifest_hash, Coin("ugpc", DEPOSIT)
            ),
        )
        order = msgs.order_id(tenant.bech32_address, DSEQ, 1, 1)
        bids = [
            broadcast(
                node,
                key,
                msgs.create_bid_msg(
                    order, key.bech32_address, Coin("ugpc", PRICES[name]), Coin("ugpc", BID_DEPOSIT)
                ),
            )
            for name, key in providers.items()
        ]
        assert all(landed(node, tx_hash) <= created + BID_WINDOW for tx_hash in bids)
        window_end = created + BID_WINDOW
        node.rpc.wait_for_height(window_end + 1)
        winner = providers["p2"]
        lease = lease_of(node, tenant.bech32_address, winner.bech32_address)
        assert lease.state == market_pb2.LEASE_STATE_ACTIVE
        assert (lease.created_at, lease.price.amount) == (window_end, "7000")
        for name in ("p1", "p3"):  # lost: the deposit came back, only the fee is gone
            assert balance(node, keys[name].bech32_address) == start_balances[name] - FEE
        assert balance(node, module_address("market")) == BID_DEPOSIT

        price = PRICES["p2"]
        # A withdraw pays only reported blocks: report them in the same tx (the last block
        # CometBFT stored is at most the height the tx is checked and executed at).
        reported_until = node.last_height()
        lease_id = msgs.lease_id(tenant.bech32_address, DSEQ, 1, 1, winner.bech32_address)
        submit(
            node,
            winner,
            report_usage_msg(lease_id, window_end + 1, reported_until),
            msgs.withdraw_lease_msg(lease_id),
        )
        reported = price * (reported_until - window_end)
        taken = reported * TAKE_BPS // 10_000
        paid = reported - taken
        p2_after_withdraw = start_balances["p2"] - FEE - BID_DEPOSIT - FEE + paid
        assert balance(node, winner.bech32_address) == p2_after_withdraw
        account = escrow_of(node, tenant.bech32_address)
        assert (account.transferred, account.taken) == (str(paid), str(taken))

        submit(
            node,
            tenant,
            deployment_msgs.deposit_msg(
                tenant.bech32_address, DSEQ, Coin("ugpc", TOP_UP), tenant.bech32_address
            ),
        )
        closed = submit(node, tenant, deployment_msgs.close_msg(tenant.bech32_address, DSEQ))
        spent = price * (closed - window_end)
        refund = DEPOSIT + TOP_UP - spent
        assert balance(node, tenant.bech32_address) == (
            start_balances["tenant"] - DEPOSIT - TOP_UP - 3 * FEE + refund
        )
        late = price * (closed - reported_until)  # closing pays out all it accrued
        late_taken = late * TAKE_BPS // 10_000
        assert balance(node, winner.bech32_address) == (
            p2_after_withdraw + late - late_taken + BID_DEPOSIT
        )
        account = escrow_of(node, tenant.bech32_address)
        assert account.state == "closed" and account.balance == "0"
        assert account.refunded == str(refund)
        assert int(account.transferred) + int(account.taken) == spent
        assert int(account.taken) == taken + late_taken
        assert account.deposited == str(DEPOSIT + TOP_UP)
        closed_lease = lease_of(node, tenant.bech32_address, winner.bech32_address)
        assert closed_lease.reason == market_pb2.LEASE_CLOSED_REASON_DEPLOYMENT_CLOSED
        assert balance(node, module_address("market")) == 0
        assert balance(node, module_address("escrow")) == 0
    finally:
        node.stop()
