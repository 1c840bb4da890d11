"""Stateless checks of MsgReportUsage, its signer, and the builder clients share."""

from __future__ import annotations

from collections.abc import Sequence

from chain.msgs import account_address
from chain.pb.gpuchain.market.v1 import market_pb2, usage_pb2
from x.market.usage_errors import INVALID_REPORT, NOT_LEASE_PROVIDER

MAX_GPUS_PER_REPORT = 64
MAX_UUID_LENGTH = 64
MAX_MODEL_LENGTH = 128
MAX_UTILIZATION_BPS = 10_000


def _printable(text: str, spaces: bool) -> bool:
    low = " " if spaces else "!"
    return all(low <= char <= "~" for char in text)


def _validate_gpu(gpu: usage_pb2.GpuUsage, where: str) -> None:
    if not 1 <= len(gpu.uuid) <= MAX_UUID_LENGTH or not _printable(gpu.uuid, spaces=False):
        raise INVALID_REPORT(
            f"{where}.uuid {gpu.uuid[:80]!r} must be 1 to {MAX_UUID_LENGTH} printable ASCII "
            "characters without spaces"
        )
    if not 1 <= len(gpu.model) <= MAX_MODEL_LENGTH or not _printable(gpu.model, spaces=True):
        raise INVALID_REPORT(
            f"{where}.model {gpu.model[:80]!r} must be 1 to {MAX_MODEL_LENGTH} printable "
            "ASCII characters"
        )
    if gpu.avg_utilization_bps > MAX_UTILIZATION_BPS:
        raise INVALID_REPORT(
            f"{where}.avg_utilization_bps {gpu.avg_utilization_bps} is above "
            f"{MAX_UTILIZATION_BPS} (100%)"
        )


def validate_report(msg: usage_pb2.MsgReportUsage) -> None:
    """Raises INVALID_ADDRESS, NOT_LEASE_PROVIDER (the lease names another provider) and
    INVALID_REPORT naming the field: heights, the GPU list's size, each GPU's fields."""
    lease = msg.lease_id
    account_address(lease.owner, "lease_id.owner")
    account_address(lease.provider, "lease_id.provider")
    account_address(msg.provider, "provider")
    if lease.provider != msg.provider:
        raise NOT_LEASE_PROVIDER(
            f"{msg.provider} may not report for a lease of provider {lease.provider}"
        )
    if msg.start_height < 1:
        raise INVALID_REPORT(f"start_height must be positive, got {msg.start_height}")
    if msg.end_height < msg.start_height:
        raise INVALID_REPORT(
            f"end_height {msg.end_height} is before start_height {msg.start_height}"
        )
    if len(msg.gpus) > MAX_GPUS_PER_REPORT:
        raise INVALID_REPORT(
            f"{len(msg.gpus)} GPUs listed; a report covers at most {MAX_GPUS_PER_REPORT}"
        )
    seen: set[str] = set()
    for index, gpu in enumerate(msg.gpus):
        _validate_gpu(gpu, f"gpus[{index}]")
        if gpu.uuid in seen:
            raise INVALID_REPORT(f"gpus[{index}].uuid {gpu.uuid!r} is listed twice")
        seen.add(gpu.uuid)


def provider_signer(msg: usage_pb2.MsgReportUsage) -> str:
    """A usage report is signed by the provider it names."""
    provider: str = msg.provider
    return provider


def report_usage_msg(
    lease_id: market_pb2.LeaseID,
    start_height: int,
    end_height: int,
    gpus: Sequence[usage_pb2.GpuUsage] = (),
) -> usage_pb2.MsgReportUsage:
    """The report lease_id's provider signs for blocks start_height..end_height."""
    return usage_pb2.MsgReportUsage(
        lease_id=lease_id,
        provider=lease_id.provider,
        start_height=start_height,
        end_height=end_height,
        gpus=list(gpus),
    )
