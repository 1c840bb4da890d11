"""An in-process chain with a tenant, three registered providers and an auditor, and the
few calls every market test makes (deploy, bid, read orders, bids, leases and escrow)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chain_fixtures import ALICE, Chain
from google.protobuf.message import Message

from chain.app import AppConfig
from chain.coins import Coin
from chain.context import Context
from chain.crypto import PrivateKey, module_address
from chain.module import Module
from chain.pb.gpuchain.deployment.v1 import deployment_pb2
from chain.pb.gpuchain.escrow.v1 import query_pb2 as escrow_query_pb2
from chain.pb.gpuchain.market.v1 import market_pb2
from chain.pb.gpuchain.market.v1 import query_pb2 as market_query_pb2
from chain.pb.tendermint.abci import types_pb2 as abci
from chain.testing import InBlock, TestNode, genesis_state
from x.deployment import msgs as deployment_msgs
from x.deployment.module import DeploymentModule
from x.escrow import queries as escrow_queries
from x.market import msgs, queries
from x.market.keeper import MarketKeeper
from x.market.module import MarketModule
from x.market.seed import gpu_group, seed_leases
from x.market.types import LEASE_ACTIVE, BidRef
from x.provider.msgs import create_provider_msg

TENANT = ALICE
PROVIDERS = [PrivateKey(bytes(range(seed, seed + 32))) for seed in (10, 11, 12)]
AUDITOR = PrivateKey(bytes(range(20, 52)))
STRANGER = PrivateKey(bytes(range(30, 62)))
GAS = 1_000_000
FEE = 2000
BID_WINDOW = 3
MIN_BID_DEPOSIT = 500_000
TAKE_RATE_BPS = 200
DEPOSIT = 5_000_000
MANIFEST = bytes(range(32))
MARKET = module_address("market")
ESCROW = module_address("escrow")
DISTRIBUTION = module_address("distribution")
PROVIDER_FUNDS = 50_000_000


def market_genesis(
    bid_window: int = BID_WINDOW, max_bids: int = 20, completed: Sequence[int] = ()
) -> dict[str, Any]:
    """completed: leases each provider (in PROVIDERS order) already completed, which is
    what its reputation score counts."""
    balances = {TENANT.bech32_address: "1000000000ugpc"}
    for key in (*PROVIDERS, AUDITOR, STRANGER):
        balances[key.bech32_address] = f"{PROVIDER_FUNDS}ugpc"
    state = genesis_state(balances)
    state["market"] = {
        "params": {
            "bid_window_blocks": bid_window,
            "min_bid_deposit": str(MIN_BID_DEPOSIT),
            "order_max_bids": max_bids,
        }
    }
    state["escrow"] = {"params": {"take_rate_bps": TAKE_RATE_BPS}}
    state["provider"] = {
        "reputations": [
            {"provider": key.bech32_address, "leases_completed": str(count)}
            for key, count in zip(PROVIDERS, completed, strict=False)
        ]
    }
    return state


def ugpc(amount: int) -> Coin:
    return Coin("ugpc", amount)


def deliver(chain: Chain, key: PrivateKey, *messages: Message) -> abci.ExecTxResult:
    raw = chain.node.sign(key, list(messages), gas=GAS, fee=f"{FEE}ugpc")
    result: abci.ExecTxResult = chain.node.block([raw]).tx_results[0]
    return result


def ok(chain: Chain, key: PrivateKey, *messages: Message) -> abci.ExecTxResult:
    result = deliver(chain, key, *messages)
    assert result.code == 0, result.log
    return result


def one_block(chain: Chain, *signed: tuple[PrivateKey, Message]) -> abci.ResponseFinalizeBlock:
    """Each (key, message) as its own tx, all in the next block; every one must pass."""
    raws = [chain.node.sign(key, [message], gas=GAS, fee=f"{FEE}ugpc") for key, message in signed]
    result = chain.node.block(raws)
    for tx in result.tx_results:
        assert tx.code == 0, tx.log
    return result


def refused(chain: Chain, key: PrivateKey, message: Message) -> tuple[str, int]:
    result = deliver(chain, key, message)
    assert result.code != 0, "accepted"
    return result.codespace, result.code


COLLATERAL = Coin("ugpc", 1_000_000)


def register_providers(
    chain: Chain, keys: Sequence[PrivateKey] = PROVIDERS, collateral: Coin = COLLATERAL
) -> None:
    for key in keys:
        ok(
            chain,
            key,
            create_provider_msg(
                key.bech32_address,
                "https://gpu.example.com:8443",
                (("region", "eu"), ("tier", "datacenter")),
                collateral,
                "ops@example.com",
                "https://example.com",
                "",
            ),
        )


def market_chain(
    home: Path, bid_window: int = BID_WINDOW, max_bids: int = 20, completed: Sequence[int] = ()
) -> Chain:
    node = TestNode(home)
    node.init_chain(market_genesis(bid_window, max_bids, completed))
    node.block()
    chain = Chain(node)
    register_providers(chain)
    return chain


def deploy(
    chain: Chain,
    dseq: int = 1,
    groups: Sequence[deployment_pb2.GroupSpec] = (),
    deposit: int = DEPOSIT,
) -> abci.ExecTxResult:
    specs = list(groups) or [gpu_group()]
    return ok(
        chain,
        TENANT,
        deployment_msgs.create_msg(TENANT.bech32_address, dseq, specs, MANIFEST, ugpc(deposit)),
    )


def order_id(dseq: int = 1, gseq: int = 1, oseq: int = 1) -> market_pb2.OrderID:
    return msgs.order_id(TENANT.bech32_address, dseq, gseq, oseq)


def bid_id(provider: PrivateKey, dseq: int = 1, gseq: int = 1, oseq: int = 1) -> market_pb2.BidID:
    return msgs.bid_id(TENANT.bech32_address, dseq, gseq, oseq, provider.bech32_address)


def lease_id(
    provider: PrivateKey, dseq: int = 1, gseq: int = 1, oseq: int = 1
) -> market_pb2.LeaseID:
    return msgs.lease_id(TENANT.bech32_address, dseq, gseq, oseq, provider.bech32_address)


def bid_msg(
    provider: PrivateKey,
    price: int,
    dseq: int = 1,
    gseq: int = 1,
    oseq: int = 1,
    deposit: int = MIN_BID_DEPOSIT,
) -> Message:
    return msgs.create_bid_msg(
        order_id(dseq, gseq, oseq), provider.bech32_address, ugpc(price), ugpc(deposit)
    )


def order(chain: Chain, dseq: int = 1, gseq: int = 1, oseq: int = 1) -> market_pb2.Order:
    request = market_query_pb2.QueryOrderRequest(
        owner=TENANT.bech32_address, dseq=dseq, gseq=gseq, oseq=oseq
    )
    return chain.node.query(
        queries.ORDER_PATH, request, market_query_pb2.QueryOrderResponse()
    ).order


def bid(
    chain: Chain, provider: PrivateKey, dseq: int = 1, gseq: int = 1, oseq: int = 1
) -> market_pb2.Bid:
    request = market_query_pb2.QueryBidRequest(
        owner=TENANT.bech32_address,
        dseq=dseq,
        gseq=gseq,
        oseq=oseq,
        provider=provider.bech32_address,
    )
    return chain.node.query(queries.BID_PATH, request, market_query_pb2.QueryBidResponse()).bid


def lease(
    chain: Chain, provider: PrivateKey, dseq: int = 1, gseq: int = 1, oseq: int = 1
) -> market_pb2.Lease:
    request = market_query_pb2.QueryLeaseRequest(
        owner=TENANT.bech32_address,
        dseq=dseq,
        gseq=gseq,
        oseq=oseq,
        provider=provider.bech32_address,
    )
    return chain.node.query(
        queries.LEASE_PATH, request, market_query_pb2.QueryLeaseResponse()
    ).lease


def escrow(chain: Chain, dseq: int = 1) -> escrow_query_pb2.Account:
    request = escrow_query_pb2.QueryBalanceRequest(owner=TENANT.bech32_address, dseq=dseq)
    return chain.node.query(
        escrow_queries.BALANCE_PATH, request, escrow_query_pb2.QueryBalanceResponse()
    ).account


def blocks_until(chain: Chain, height: int) -> list[abci.ResponseFinalizeBlock]:
    """Empty blocks up to and including height."""
    return [chain.node.block() for _ in range(height - chain.node.height)]


def events_in(
    results: Sequence[abci.ResponseFinalizeBlock | abci.ExecTxResult], kind: str
) -> list[dict[str, str]]:
    return [
        {attribute.key: attribute.value for attribute in event.attributes}
        for result in results
        for event in result.events
        if event.type == kind
    ]


SEED_PRICE = 10


@dataclass
class SeededMarket:
    """A market node whose leases are seeded through the keepers (x/market/seed.py) in
    blocks, for the scale tests: `seed` queues a block action, `leases` collects them."""

    node: TestNode
    seeder: InBlock
    leases: list[BidRef] = field(default_factory=list)

    @property
    def market(self) -> MarketKeeper:
        return self.node.modules.get(MarketModule).keeper

    def seed(self, dseqs: range, deposit: Callable[[Context, int], int]) -> None:
        """Next block, one lease at SEED_PRICE per dseq, each escrow funded with
        deposit(ctx, dseq)."""

        def action(ctx: Context) -> None:
            self.leases.extend(
                seed_leases(
                    ctx,
                    self.market,
                    self.node.modules.get(DeploymentModule).keeper,
                    TENANT.address,
                    [key.address for key in PROVIDERS],
                    gpu_group(price=str(SEED_PRICE)),
                    dseqs,
                    SEED_PRICE,
                    lambda dseq: deposit(ctx, dseq),
                )
            )

        self.seeder.queued.append(action)

    def active_dseqs(self) -> set[int]:
        reader, _, _ = self.node.app.store.query_view()
        return {
            ref.order.dseq
            for ref in self.leases
            if (lease := self.market.lease(reader, ref)) is not None and lease.state == LEASE_ACTIVE
        }

    def assert_invariants(self, *modules: type[Module]) -> None:
        reader, _, _ = self.node.app.store.query_view()
        for module in modules:
            for check in self.node.modules.get(module).invariants():
                assert check.check(reader) is None, check.name


def seeded_market(home: Path, report_interval: int) -> SeededMarket:
    """Invariants are checked only when a test asks (assert_invariants): per block they
    would dominate the run."""
    seeder = InBlock()
    node = TestNode(home, config=AppConfig(), extra_modules=[seeder])
    state = market_genesis()
    state["market"]["params"]["min_bid_deposit"] = "1"
    state["market"]["params"]["report_interval_blocks"] = report_interval
    node.init_chain(state)
    return SeededMarket(node, seeder)
