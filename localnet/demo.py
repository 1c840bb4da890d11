"""`make demo`: a tenant's journey on the running localnet, printed as a person reads it.

The tenant (`tenant`, a funded key of the localnet) validates an example SDL, deploys it,
watches the providers' bids and the chain's matching, sends the manifest to the winner's
gateway, fetches the service over HTTP on the host port the lease status names, sees the
usage reports and the provider's withdrawal land, closes the deployment and gets the rest
of its deposit back. Each step prints the command a person would type, the tx hash, the
block height and both balances; any step that fails (or does not happen within its bound)
ends the demo with exit code 1 and says which.

The tenant's txs go through the `gpuchain` CLI, as a person sends them; the waits read the
chain through validator0's RPC. `journey()` takes hooks run after a step, so the fault
drills (tests/network) kill a validator or a provider's daemon in the middle of it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chain.keyring import Keyring
from chain.pb.cosmos.bank.v1beta1 import query_pb2 as bank_query_pb2
from chain.pb.gpuchain.escrow.v1 import query_pb2 as escrow_query_pb2
from chain.pb.gpuchain.market.v1 import market_pb2, usage_pb2
from chain.pb.gpuchain.market.v1 import query_pb2 as market_query_pb2
from chain.rpc import CometRpc, RpcError
from localnet import providers as localnet_providers
from localnet.run import DATA, TENANT, LocalnetError, validators
from provider.inventory import detect_gpus
from x.market.msgs import lease_fields

REPOSITORY = Path(__file__).resolve().parents[1]
EXAMPLES = Path(__file__).resolve().parent / "examples"
GPU_SDL = EXAMPLES / "web-gpu.yaml"
CPU_SDL = EXAMPLES / "web-cpu.yaml"
DEPOSIT = "5000000ugpc"
DENOM = "ugpc"
# Bounds of the waits, in seconds, at the localnet's 1 s blocks: bids and matching take the
# bid window (5 blocks); a report comes every 5 blocks and a withdrawal every 10.
BIDS_TIMEOUT = 60.0
LEASE_TIMEOUT = 60.0
SERVICE_TIMEOUT = 60.0
REPORT_TIMEOUT = 90.0
WITHDRAW_TIMEOUT = 120.0
POLL_SECONDS = 0.5
STEPS = (
    "validate the SDL",
    "create the deployment",
    "bids arrive",
    "matching picks a provider",
    "send the manifest",
    "the service answers",
    "usage reports land",
    "the provider withdraws",
    "the tenant closes the deployment",
    "the refund arrives",
)


class StepFailed(Exception):
    """A step of the journey did not happen; the message says what was expected."""


@dataclass
class Journey:
    """What the tenant has learned so far: deployment, lease, host port, balances."""

    home: Path
    rpc: CometRpc
    names: dict[str, str]  # address → key name, for printing
    tenant: str
    sdl: Path = CPU_SDL
    dseq: int = 0
    deployed_height: int = 0
    lease: market_pb2.Lease | None = None
    host_port: int = 0
    balances_before: dict[str, int] = field(default_factory=dict)

    @property
    def winner(self) -> str:
        assert self.lease is not None
        return str(self.lease.lease_id.provider)

    def name(self, address: str) -> str:
        return self.names.get(address, address)

    # -- reading the chain ------------------------------------------------------------------

    def balance(self, address: str) -> int:
        answer = self.rpc.query_message(
            "/cosmos.bank.v1beta1.Query/Balance",
            bank_query_pb2.QueryBalanceRequest(address=address, denom=DENOM),
            bank_query_pb2.QueryBalanceResponse(),
        )
        return int(answer.balance.amount or 0)

    def bids(self) -> list[market_pb2.Bid]:
        answer = self.rpc.query_message(
            "/gpuchain.market.v1.Query/Bids",
            market_query_pb2.QueryBidsRequest(owner=self.tenant, dseq=self.dseq),
            market_query_pb2.QueryBidsResponse(),
        )
        return list(answer.bids)

    def active_lease(self) -> market_pb2.Lease | None:
        answer = self.rpc.query_message(
            "/gpuchain.market.v1.Query/Leases",
            market_query_pb2.QueryLeasesRequest(owner=self.tenant, state="active"),
            market_query_pb2.QueryLeasesResponse(),
        )
        return next((lease for lease in answer.leases if lease.lease_id.dseq == self.dseq), None)

    def reported_until(self) -> int:
        assert self.lease is not None
        answer = self.rpc.query_message(
            "/gpuchain.market.v1.Query/Usage",
            usage_pb2.QueryUsageRequest(**lease_fields(self.lease.lease_id)),
            usage_pb2.QueryUsageResponse(),
        )
        return int(answer.reported_until)

    def escrow(self) -> escrow_query_pb2.Account:
        return self.rpc.query_message(
            "/gpuchain.escrow.v1.Query/Balance",
            escrow_query_pb2.QueryBalanceRequest(owner=self.tenant, dseq=self.dseq),
            escrow_query_pb2.QueryBalanceResponse(),
        ).account

    def withdrawals(self) -> list[dict[str, Any]]:
        """The provider's MsgWithdrawLease txs on this deployment that paid something."""
        found = self.rpc.tx_search(
            f"lease_withdrawn.owner='{self.tenant}' AND lease_withdrawn.dseq='{self.dseq}'"
        )["txs"]
        return [tx for tx in found if _event_value(tx, "lease_withdrawn", "paid") not in ("", "0")]

    def show_balances(self, *addresses: str) -> None:
        parts = []
        for address in addresses:
            now = self.balance(address)
            before = self.balances_before.setdefault(address, now)
            change = f" ({now - before:+d} since the start)" if now != before else ""
            parts.append(f"{self.name(address)} {now:,} {DENOM}{change}")
        print("   balances: " + "; ".join(parts))

    # -- the tenant's commands ----------------------------------------------------------------

    def gpuchain(self, *argv: str, json_output: bool = True) -> Any:
        """Run `gpuchain ARGV` with the localnet's home (but `sdl`, which reads only a
        file), printed first; its JSON answer, or its text without json_output."""
        shown = " ".join(("gpuchain", *argv))
        print(f"   $ {shown}")
        flags = [] if argv[0] == "sdl" else ["--home", str(self.home)]
        flags += ["-o", "json"] if json_output else []
        done = subprocess.run(
            [sys.executable, "-m", "chain.cli.main", *argv, *flags],
            capture_output=True, text=True, cwd=REPOSITORY, timeout=120, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise StepFailed(f"`{shown}` failed: {(done.stderr or done.stdout).strip()}")
        return json.loads(done.stdout) if json_output else done.stdout

    def tx(self, *argv: str) -> dict[str, Any]:
        """A tenant tx through the CLI; StepFailed unless it is in a block with code 0."""
        answer: dict[str, Any] = self.gpuchain("tx", *argv, "--from", TENANT, "--yes")
        if int(answer.get("code") or 0) != 0:
            raise StepFailed(f"tx {answer.get('txhash')} failed: {answer.get('raw_log')}")
        print(f"   tx {answer['txhash']} committed at height {answer['height']}")
        return answer


def _event_value(tx_or_answer: Mapping[str, Any], kind: str, key: str) -> str:
    """The first value of key in an event of kind, from a tx answer or a tx_search hit."""
    events = tx_or_answer.get("events") or tx_or_answer.get("tx_result", {}).get("events", [])
    for event in events:
        if event["type"] == kind:
            for attribute in event["attributes"]:
                if attribute["key"] == key:
                    return str(attribute["value"])
    return ""


def wait_for(what: str, timeout: float, check: Callable[[], Any]) -> Any:
    """check()'s first truthy answer within timeout; StepFailed naming what did not come.
    A node that does not answer counts as not yet (a validator may be down meanwhile)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            answer = check()
        except (RpcError, OSError):
            answer = None
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise StepFailed(f"{what}: nothing after {timeout:.0f}s")
        time.sleep(POLL_SECONDS)


# -- the steps --------------------------------------------------------------------------------


def validate_sdl(journey: Journey) -> None:
    journey.gpuchain("sdl", "validate", str(GPU_SDL.relative_to(REPOSITORY)), json_output=False)
    print(f"   {GPU_SDL.name} is valid: one web service with one NVIDIA GPU")
    gpus, note = detect_gpus()
    if gpus:
        journey.sdl = GPU_SDL
        print(f"   the providers run on this host, which has {len(gpus)} GPU(s): deploying it")
        return
    output = journey.gpuchain(
        "sdl", "validate", str(CPU_SDL.relative_to(REPOSITORY)), json_output=False
    )
    journey.sdl = CPU_SDL
    print(
        f"   no provider of this localnet has a GPU ({note}), so no one would bid on it: "
        f"falling back to the CPU profile {CPU_SDL.name}"
    )
    print("   " + "\n   ".join(output.strip().splitlines()))


def create_deployment(journey: Journey) -> None:
    journey.show_balances(journey.tenant)
    answer = journey.tx(
        "deployment", "create", str(journey.sdl.relative_to(REPOSITORY)), "--deposit", DEPOSIT
    )
    journey.dseq = int(_event_value(answer, "deployment_created", "dseq"))
    journey.deployed_height = int(answer["height"])
    window_end = _event_value(answer, "order_created", "window_end")
    print(
        f"   deployment {journey.dseq} created with {DEPOSIT} in escrow; its order takes "
        f"bids until block {window_end}"
    )
    journey.show_balances(journey.tenant)


def bids_arrive(journey: Journey) -> None:
    bids = wait_for("a bid on the order", BIDS_TIMEOUT, journey.bids)
    # Both providers bid within a block or two of each other; give the second a moment.
    expected = len(journey.names) - 1  # every provider the localnet has
    deadline = time.monotonic() + 5
    while len(bids) < expected and time.monotonic() < deadline and not journey.active_lease():
        time.sleep(POLL_SECONDS)
        bids = journey.bids()
    for bid in sorted(journey.bids(), key=lambda bid: bid.created_at):
        print(
            f"   {journey.name(bid.bid_id.provider)} bid {bid.price.amount} {bid.price.denom} "
            f"per block at height {bid.created_at}"
        )


def matching(journey: Journey) -> None:
    journey.lease = wait_for("a lease from matching", LEASE_TIMEOUT, journey.active_lease)
    lease = journey.lease
    assert lease is not None
    print(
        f"   at the end of the bid window (height {lease.created_at}) the chain leased the "
        f"order to {journey.name(lease.lease_id.provider)}, the lowest price: "
        f"{lease.price.amount} {lease.price.denom} per block"
    )
    for bid in journey.bids():
        state = market_pb2.BidState.Name(bid.state).removeprefix("BID_STATE_").lower()
        print(f"   {journey.name(bid.bid_id.provider)}'s bid: {state}")
    journey.show_balances(journey.tenant, journey.winner)


def send_manifest(journey: Journey) -> None:
    output = journey.gpuchain(
        "lease", "send-manifest", str(journey.sdl.relative_to(REPOSITORY)),
        "--dseq", str(journey.dseq), "--from", TENANT, json_output=False,
    )  # fmt: skip
    print("   " + "\n   ".join(output.strip().splitlines()))


def _ready_port(journey: Journey) -> int:
    [status] = journey.gpuchain("lease", "status", "--dseq", str(journey.dseq), "--from", TENANT)
    for service in status["services"]:
        if service["ready"] == service["total"] and service["ports"]:
            return int(service["ports"][0]["host_port"])
    return 0


def service_answers(journey: Journey) -> None:
    journey.host_port = wait_for("the service ready with a host port", SERVICE_TIMEOUT,
                                 lambda: _ready_port(journey))  # fmt: skip
    url = f"http://127.0.0.1:{journey.host_port}/"

    def fetch() -> bytes:
        with urllib.request.urlopen(url, timeout=5) as response:
            body: bytes = response.read()
        return body

    body = wait_for(f"an answer from {url}", SERVICE_TIMEOUT, fetch)
    print(f"   GET {url} → {body.decode(errors='replace').strip()!r}")
    logs = journey.gpuchain(
        "lease", "logs", "--dseq", str(journey.dseq), "--from", TENANT, "--tail", "3",
        json_output=False,
    )  # fmt: skip
    print("   " + "\n   ".join(logs.strip().splitlines()))


def usage_reports(journey: Journey) -> None:
    assert journey.lease is not None
    created = journey.lease.created_at

    def reported() -> int:
        until = journey.reported_until()
        return until if until > created else 0

    until = wait_for("a usage report", REPORT_TIMEOUT, reported)
    print(
        f"   {journey.name(journey.winner)} reported usage for blocks {created + 1} to {until} "
        f"(the chain closes a lease whose reports stop)"
    )


def provider_withdraws(journey: Journey) -> None:
    [first, *_] = wait_for("a withdrawal that paid the provider", WITHDRAW_TIMEOUT,
                           journey.withdrawals)  # fmt: skip
    paid = _event_value(first, "lease_withdrawn", "paid")
    taken = _event_value(first, "lease_withdrawn", "taken")
    print(
        f"   {journey.name(journey.winner)} withdrew: tx {first['hash']} at height "
        f"{first['height']}, {paid} {DENOM} to it and {taken} {DENOM} take rate to the "
        "community pool"
    )
    journey.show_balances(journey.tenant, journey.winner)


def tenant_closes(journey: Journey) -> None:
    answer = journey.tx("deployment", "close", "--dseq", str(journey.dseq))
    refunded = _event_value(answer, "escrow_account_closed", "refunded")
    print(f"   the lease closed and the escrow account with it: {refunded} {DENOM} refunded")


def refund_arrives(journey: Journey) -> None:
    account = journey.escrow()
    refunded = int(account.refunded or 0)
    if account.state.lower() != "closed" or refunded <= 0:
        raise StepFailed(f"escrow account {account.state}, refunded {account.refunded}")
    print(
        f"   escrow: deposited {account.deposited}, paid to the provider "
        f"{account.transferred}, take rate {account.taken}, refunded {account.refunded} "
        f"{DENOM} to the tenant"
    )
    journey.show_balances(journey.tenant, journey.winner)


STEP_FUNCTIONS: tuple[Callable[[Journey], None], ...] = (
    validate_sdl,
    create_deployment,
    bids_arrive,
    matching,
    send_manifest,
    service_answers,
    usage_reports,
    provider_withdraws,
    tenant_closes,
    refund_arrives,
)


def open_journey(data: Path = DATA) -> Journey:
    """A journey on the localnet in data (validator0's home and RPC); LocalnetError if none."""
    nodes = validators(data)
    if not nodes:
        raise LocalnetError(f"no localnet in {data}; run `make localnet` first")
    home = nodes[0].home
    rpc = CometRpc(nodes[0].rpc_url, timeout=5.0)
    try:
        rpc.latest_height()
    except RpcError as error:
        raise LocalnetError(
            f"validator0 does not answer ({error}); `make localnet` starts the localnet"
        ) from None
    keyring = Keyring(home, "test")
    found = localnet_providers.on_disk(data, home)
    if not found:
        raise LocalnetError(f"the localnet in {data} has no providers; `make localnet-reset`")
    names = {keyring.show(provider.name).address: provider.name for provider in found}
    tenant = keyring.show(TENANT).address
    names[tenant] = TENANT
    return Journey(home=home, rpc=rpc, names=names, tenant=tenant)


def journey(
    data: Path = DATA,
    after: Mapping[int, Callable[[Journey], None]] | None = None,
    until: int = len(STEPS),
) -> Journey:
    """Run the steps up to until (1-based), printing each; after[n] runs once step n is
    done. StepFailed (with the step named) if one fails."""
    trip = open_journey(data)
    steps = list(zip(STEPS, STEP_FUNCTIONS, strict=True))[:until]
    for number, (title, step) in enumerate(steps, start=1):
        print(f"\n{number}. {title}", flush=True)
        began = time.monotonic()
        try:
            step(trip)
        except StepFailed as error:
            raise StepFailed(f"step {number} ({title}) failed: {error}") from None
        height = trip.rpc.latest_height() if number > 1 else None
        if height is not None:
            print(f"   ({time.monotonic() - began:.1f}s, chain at height {height})", flush=True)
        if after and number in after:
            after[number](trip)
    if until == len(STEPS):
        print("\nthe journey is complete: deployed, leased, served, paid and refunded")
    return trip


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DATA, help="the localnet's folder")
    args = parser.parse_args()
    try:
        journey(args.data.resolve())
    except (StepFailed, LocalnetError) as error:
        print(f"\ndemo: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
