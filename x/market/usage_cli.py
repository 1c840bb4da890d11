"""`gpuchain tx market lease report …` and `gpuchain query market usage …`: the provider
reports a lease's GPU usage; anyone reads a lease's reports. The market's cli.py adds
these to its `lease` tx group and its query group."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from chain.cli import api
from chain.pb.gpuchain.market.v1 import market_pb2, usage_pb2
from x.market.usage_msgs import report_usage_msg, validate_report
from x.market.usage_queries import USAGE_PATH

REPORT_GAS = 300_000
# Adds the market's --owner, --dseq, --gseq and --oseq flags to a command.
OrderFlags = Callable[[argparse.ArgumentParser], None]
GPU_FIELDS = "UUID,MODEL,UTIL_BPS,PEAK_MEMORY_BYTES,ENERGY_MJ"


def register_report(
    lease: api.Group, common: argparse.ArgumentParser, order_flags: OrderFlags
) -> None:
    """`tx market lease report` in the market's lease tx group (order_flags: the market's
    --owner, --dseq, --gseq, --oseq)."""
    report = api.tx_command(
        lease,
        common,
        "report",
        "report a lease's GPU usage",
        "Report the usage of blocks --start..--end of a lease the --from key provides: "
        "--start is the block after the last report's end (after the lease's creation "
        f"for the first), --end at most the current height. Each --gpu is {GPU_FIELDS}.",
        default_gas=REPORT_GAS,
    )
    order_flags(report)
    report.add_argument(
        "--start", required=True, type=int, metavar="HEIGHT", help="first block reported"
    )
    report.add_argument(
        "--end", required=True, type=int, metavar="HEIGHT", help="last block reported"
    )
    report.add_argument(
        "--gpu", action="append", default=[], metavar=GPU_FIELDS, help="one GPU, repeatable"
    )
    report.set_defaults(func=report_usage)


def register_usage_query(
    market: api.Group, common: argparse.ArgumentParser, order_flags: OrderFlags
) -> None:
    """`query market usage` in the market's query group."""
    usage = api.query_command(market, common, "usage", "a lease's usage reports")
    order_flags(usage)
    usage.add_argument("--provider", required=True, help="the lease's provider (address or key)")
    api.add_page_flags(usage, "reports")
    usage.set_defaults(func=lease_usage)


def _percent(bps: int) -> str:
    return f"{bps // 100}.{bps % 100:02d}%"


def parse_gpu(text: str) -> usage_pb2.GpuUsage:
    """One --gpu value; CommandError naming what is wrong."""
    parts = text.split(",")
    if len(parts) != 5:
        raise api.CommandError(f"invalid --gpu {text!r}: expected {GPU_FIELDS}")
    uuid, model, *numbers = parts
    try:
        utilization, memory, energy = (int(number) for number in numbers)
    except ValueError:
        raise api.CommandError(
            f"invalid --gpu {text!r}: UTIL_BPS, PEAK_MEMORY_BYTES and ENERGY_MJ are integers"
        ) from None
    if min(utilization, memory, energy) < 0 or max(memory, energy) >= 2**64:
        raise api.CommandError(f"invalid --gpu {text!r}: numbers must be 0 to 2^64-1")
    if utilization > 10_000:
        raise api.CommandError(f"invalid --gpu {text!r}: UTIL_BPS is at most 10000 (100%)")
    return usage_pb2.GpuUsage(
        uuid=uuid,
        model=model,
        avg_utilization_bps=utilization,
        peak_memory_bytes=memory,
        energy_millijoules=energy,
    )


def report_usage(args: argparse.Namespace) -> int:
    """`tx market lease report --owner ADDR --dseq N --gseq N --oseq N --start H --end H
    [--gpu …]… --from PROVIDER`."""
    key = api.sender_key(args)
    lease = market_pb2.LeaseID(
        owner=api.resolve_address(args, args.owner, "owner"),
        dseq=args.dseq,
        gseq=args.gseq,
        oseq=args.oseq,
        provider=key.address,
    )
    for name in ("start", "end"):
        if not 1 <= getattr(args, name) < 2**63:
            raise api.CommandError(f"--{name} must be a height from 1 to 2^63-1")
    message = report_usage_msg(lease, args.start, args.end, [parse_gpu(g) for g in args.gpu])
    return api.deliver(args, key, [api.checked(message, validate_report)])


def lease_usage(args: argparse.Namespace) -> int:
    """`query market usage --owner ADDR --dseq N --gseq N --oseq N --provider ADDR`."""
    request = usage_pb2.QueryUsageRequest(
        owner=api.resolve_address(args, args.owner, "owner"),
        dseq=args.dseq,
        gseq=args.gseq,
        oseq=args.oseq,
        provider=api.resolve_address(args, args.provider, "provider"),
        pagination=api.page_request(args).to_proto(),
    )
    response = api.query(args, USAGE_PATH, request, usage_pb2.QueryUsageResponse())
    answer: dict[str, Any] = api.message_json(response)
    answer["pagination"] = api.page_json(response.pagination)
    rows = [
        [
            f"{report.start_height}-{report.end_height}",
            str(report.reported_at),
            ",".join(f"{gpu.uuid}:{_percent(gpu.avg_utilization_bps)}" for gpu in report.gpus)
            or "-",
        ]
        for report in response.reports
    ]
    lines = [
        api.table(["BLOCKS", "REPORTED AT", "GPUS (UTILISATION)"], rows) if rows else "no reports"
    ]
    if response.next_report_due:
        lines.append(
            f"reported until {response.reported_until}; next report due by height "
            f"{response.next_report_due}"
        )
    api.emit(args, answer, "\n".join(lines) + api.page_text(answer.get("pagination")))
    return 0
