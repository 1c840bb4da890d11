"""The bid engine: for each open order, check → reserve → price → bid, and keep the reason.

The checks run in Akash's order and the first that fails is the reason kept: the
provider's collateral on chain against the chain's minimum (below it the chain refuses
every bid, market/21), the attributes the group requires, the auditors it wants
(`signed_by`), resources free on this host (CPU, memory, storage, then GPUs by model), and
the price from the config against the order's max price. Every decision is stored with its
exact reason (`gpuchain-provider explain DSEQ` prints it) and counted in Prometheus by
reason. A bid's resources are reserved in the same State transaction as the decision, so a
restart neither bids on the order again nor books its resources twice.

Prices are exact: 18-decimal integers (chain.coins), the sum rounded up to whole ugpc.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chain.coins import DEC_ONE, parse_dec
from chain.errors import INVALID_COINS, AppError
from chain.pb.cosmos.base.v1beta1 import coin_pb2
from chain.pb.gpuchain.deployment.v1 import deployment_pb2
from chain.pb.gpuchain.market.v1 import market_pb2
from chain.pb.gpuchain.market.v1 import tx_pb2 as market_tx_pb2
from provider import metrics
from provider.config import Pricing
from provider.inventory import GIB, Gpu, Inventory
from provider.state import Decision, Reservation, State

log = logging.getLogger("provider")

BID = "bid"
COLLATERAL_BELOW_MINIMUM = "collateral_below_minimum"
MISSING_ATTRIBUTE = "missing_attribute"
WRONG_AUDITOR = "wrong_auditor"
NOT_ENOUGH_CPU = "not_enough_cpu"
NOT_ENOUGH_MEMORY = "not_enough_memory"
NOT_ENOUGH_STORAGE = "not_enough_storage"
NOT_ENOUGH_GPUS = "not_enough_gpus"
PRICE_TOO_LOW = "price_too_low"
BID_REFUSED = "bid_refused"  # decided to bid, but the chain refused the tx

# Auditor address → the attributes it signed for this provider.
Audits = dict[str, dict[str, str]]
# The provider's collateral on chain and the chain's min_provider_collateral.
Collateral = tuple[coin_pb2.Coin, coin_pb2.Coin]


@dataclass(frozen=True)
class Verdict:
    reason: str
    detail: str
    price: int = 0  # whole ugpc per block, when bidding
    gpus: tuple[str, ...] = ()  # UUIDs the bid holds

    @property
    def bid(self) -> bool:
        return self.reason == BID


def order_key(order_id: market_pb2.OrderID) -> str:
    return f"{order_id.owner}/{order_id.dseq}/{order_id.gseq}/{order_id.oseq}"


def decide(
    spec: deployment_pb2.GroupSpec,
    attributes: dict[str, str],
    audits: Audits,
    free: Inventory,
    pricing: Pricing,
) -> Verdict:
    """Whether to bid on a group, at what price, and the exact reason when not."""
    required = {attribute.key: attribute.value for attribute in spec.requirements.attributes}
    for key, value in sorted(required.items()):
        if attributes.get(key) != value:
            have = f"{key}={attributes[key]}" if key in attributes else f"no {key}"
            return Verdict(
                MISSING_ATTRIBUTE,
                f"the order requires attribute {key}={value}; the provider declares {have}",
            )
    auditors = _auditor_problem(spec.requirements.signed_by, required, audits)
    if auditors:
        return Verdict(WRONG_AUDITOR, auditors)
    return _fit_and_price(spec, free, pricing)


def collateral_shortfall(held: coin_pb2.Coin, minimum: coin_pb2.Coin, key: str) -> str:
    """Why the chain would refuse any bid for want of collateral, and the command that
    fixes it ("" when the provider holds the minimum). Collateral in another denom than the
    minimum's counts as none, as on chain (ProviderKeeper.collateral_shortfall)."""
    have = int(held.amount or 0) if held.denom == minimum.denom else 0
    missing = int(minimum.amount or 0) - have
    if missing <= 0:
        return ""
    return (
        f"collateral {held.amount or 0}{held.denom or minimum.denom} is {missing}"
        f"{minimum.denom} below the chain's minimum {minimum.amount}{minimum.denom}: run "
        f"`gpuchain tx provider add-collateral {missing}{minimum.denom} --from {key}`"
    )


def _auditor_problem(
    signed_by: deployment_pb2.SignedBy, required: dict[str, str], audits: Audits
) -> str:
    """Why signed_by is not met ("" when it is): an auditor vouches for the provider when it
    signed every attribute the group requires (any record at all when none are required)."""

    def vouches(auditor: str) -> bool:
        signed = audits.get(auditor)
        return signed is not None and all(signed.get(k) == v for k, v in required.items())

    what = "the provider" if not required else f"the attributes {_pairs(required)}"
    for auditor in signed_by.all_of:
        if not vouches(auditor):
            return f"signed_by.all_of: auditor {auditor} has not signed {what}"
    if signed_by.any_of and not any(vouches(auditor) for auditor in signed_by.any_of):
        return (
            f"signed_by.any_of: none of the auditors {', '.join(signed_by.any_of)} "
            f"has signed {what}"
        )
    return ""


def _pairs(attributes: dict[str, str]) -> str:
    return ", ".join(f"{key}={value}" for key, value in sorted(attributes.items()))


def _fit_and_price(spec: deployment_pb2.GroupSpec, free: Inventory, pricing: Pricing) -> Verdict:
    cpu, memory, storage = totals(spec)
    for reason, what, needed, available, unit_name in (
        (NOT_ENOUGH_CPU, "CPU", cpu, free.cpu_millis, "m"),
        (NOT_ENOUGH_MEMORY, "memory", memory, free.memory, " bytes"),
        (NOT_ENOUGH_STORAGE, "storage", storage, free.storage, " bytes"),
    ):
        if needed > available:
            return Verdict(
                reason, f"needs {needed}{unit_name} of {what}, {max(available, 0)}{unit_name} free"
            )

    remaining = list(free.gpus)
    assigned: list[Gpu] = []
    for unit in spec.resources:
        wanted = unit.count * unit.resource.gpu_units
        keys = [attribute.key for attribute in unit.resource.gpu_attributes]
        matching = [gpu for gpu in remaining if any(gpu.matches(key) for key in keys)]
        if wanted > len(matching):
            return Verdict(
                NOT_ENOUGH_GPUS,
                f"needs {wanted} GPU(s) matching {' or '.join(keys)}; {len(matching)} free "
                f"on this host ({free.gpu_note})",
            )
        chosen = matching[:wanted]
        assigned.extend(chosen)
        remaining = [gpu for gpu in remaining if gpu not in chosen]

    # Everything in 18-decimal units times GIB, so per-GiB prices divide exactly.
    scaled = (
        cpu * pricing.cpu_milli * GIB
        + memory * pricing.memory_gib
        + storage * pricing.storage_gib
        + sum(_gpu_price(gpu, pricing) for gpu in assigned) * GIB
    )
    price = -(-scaled // (DEC_ONE * GIB))  # whole ugpc, rounded up
    maximum = _max_price(spec)
    if maximum is None:
        return Verdict(PRICE_TOO_LOW, "the order's max price is not in ugpc")
    if price * DEC_ONE > maximum:
        return Verdict(
            PRICE_TOO_LOW,
            f"max price {_decimal(maximum)}ugpc per block is below the provider's price "
            f"{price}ugpc per block",
        )
    return Verdict(BID, f"bid {price}ugpc per block", price, tuple(gpu.uuid for gpu in assigned))


def totals(spec: deployment_pb2.GroupSpec) -> tuple[int, int, int]:
    """CPU millis, memory and storage bytes of a whole group (every unit times its count)."""
    return (
        sum(unit.count * unit.resource.cpu_millis for unit in spec.resources),
        sum(unit.count * unit.resource.memory for unit in spec.resources),
        sum(
            unit.count * sum(volume.size for volume in unit.resource.storage)
            for unit in spec.resources
        ),
    )


def _gpu_price(gpu: Gpu, pricing: Pricing) -> int:
    listed = [token for token in gpu.tokens if token in pricing.gpu]
    return pricing.gpu_price(listed[0]) if listed else pricing.gpu_price("")


def _max_price(spec: deployment_pb2.GroupSpec) -> int | None:
    """The group's max price per block (each unit's price times its count), 18 decimals."""
    total = 0
    for unit in spec.resources:
        if unit.price.denom != "ugpc":
            return None
        try:
            total += unit.count * parse_dec(unit.price.amount, "price", INVALID_COINS)
        except AppError:
            return None
    return total


def _decimal(value: int) -> str:
    whole, fraction = divmod(value, DEC_ONE)
    digits = str(fraction).rjust(18, "0").rstrip("0")
    return f"{whole}.{digits}" if digits else str(whole)


class BidEngine:
    """Decides once per order and queues the bid; the daemon sends what is queued."""

    def __init__(
        self,
        state: State,
        provider: str,
        attributes: dict[str, str],
        pricing: Pricing,
        inventory: Inventory,
        audits: Callable[[], Audits],
        deposit: Callable[[], coin_pb2.Coin],
        collateral: Callable[[], Collateral],
        key: str,
    ) -> None:
        self.state = state
        self.provider = provider
        self.attributes = attributes
        self.pricing = pricing
        self.inventory = inventory
        self.audits = audits
        self.deposit = deposit
        self.collateral = collateral
        self.key = key
        self._read_at = -1  # the chain reads below are made once per block
        self._audits: Audits = {}
        self._deposit = coin_pb2.Coin()
        self._shortfall = ""

    def _refresh(self, height: int) -> None:
        if self._read_at != height:
            self._audits, self._deposit = self.audits(), self.deposit()
            self._shortfall = collateral_shortfall(*self.collateral(), self.key)
            self._read_at = height

    def shortfall(self, height: int) -> str:
        """Why no bid can land for want of collateral at height ("" when none)."""
        self._refresh(height)
        return self._shortfall

    def consider(self, order: market_pb2.Order, height: int) -> Decision:
        """The decision on an open order: the stored one if it was decided before (so a
        restart never bids twice), else a new one, recorded with its reservation and bid.
        Call inside a State transaction."""
        key = order_key(order.order_id)
        earlier = self.state.decision(key)
        if earlier is not None:
            return earlier
        self._refresh(height)
        if self._shortfall:
            verdict = Verdict(COLLATERAL_BELOW_MINIMUM, self._shortfall)
        else:
            free = self.inventory.free(self.state.reserved())
            verdict = decide(order.spec, self.attributes, self._audits, free, self.pricing)
        price = f"{verdict.price}ugpc" if verdict.bid else ""
        decision = Decision(key, height, verdict.bid, verdict.reason, verdict.detail, price)
        self.state.record_decision(decision)
        if verdict.bid:
            self.state.reserve(Reservation(key, *totals(order.spec), verdict.gpus, "bid"))
            message = self.bid_message(order, verdict.price, self._deposit)
            self.state.queue(bid_purpose(key), [message], height)
        else:
            metrics.SKIPS.labels(verdict.reason).inc()
        log.info("order %s: %s (%s)", key, verdict.reason, verdict.detail)
        return decision

    def bid_message(
        self, order: market_pb2.Order, price: int, deposit: coin_pb2.Coin
    ) -> market_tx_pb2.MsgCreateBid:
        return market_tx_pb2.MsgCreateBid(
            order_id=order.order_id,
            provider=self.provider,
            price=coin_pb2.Coin(denom="ugpc", amount=str(price)),
            deposit=deposit,
        )

    def refused(self, key: str, log_text: str) -> None:
        """The chain refused the bid: say so in the decision and free what it held."""
        earlier = self.state.decision(key)
        height = earlier.height if earlier else 0
        self.state.record_decision(
            Decision(key, height, False, BID_REFUSED, f"the chain refused the bid: {log_text}", "")
        )
        self.state.release(key)
        metrics.SKIPS.labels(BID_REFUSED).inc()


def bid_purpose(key: str) -> str:
    return f"bid:{key}"


def explain(decisions: Sequence[Decision]) -> list[str]:
    """One line per group: whether the provider bid, and the exact reason if not."""
    lines = []
    for decision in decisions:
        owner = decision.order_key.split("/")[0]
        where = f"group {decision.gseq} (order {decision.oseq}, owner {owner})"
        if decision.bid:
            lines.append(f"{where}: bid {decision.price} per block at height {decision.height}")
        else:
            lines.append(
                f"{where}: no bid: {decision.reason}: {decision.detail} "
                f"(decided at height {decision.height})"
            )
    return lines
