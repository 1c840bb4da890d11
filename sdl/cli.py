"""`gpuchain sdl validate FILE` and `gpuchain sdl hash FILE`.

The main `gpuchain` CLI creates the `sdl` sub-parser and calls `register` on it; each
sub-command sets `func(args) -> int`, the exit code: 0 for a valid file, 1 for an invalid or
unreadable one. `-o/--output {text,json}` may be given before or after the sub-command.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from typing import TextIO

from sdl import Group, Sdl, SdlError, SdlIssue, parse_sdl_file
from sdl.encode import group_to_dict
from sdl.units import format_price_amount, format_price_short, format_size


@dataclass(frozen=True)
class GpuSummary:
    """GPUs requested by a deployment: in total, and per model attribute."""

    total: int
    models: dict[str, int]


EXIT_VALID = 0
EXIT_INVALID = 1


def register(parser: argparse.ArgumentParser) -> None:
    """Add the `validate` and `hash` sub-commands to the `sdl` parser."""
    commands = parser.add_subparsers(dest="sdl_command", metavar="COMMAND", required=True)
    validate = commands.add_parser(
        "validate",
        help="check an SDL file; print its groups, resources, GPUs and total price",
        description="Check an SDL file against every Akash rule. Prints the groups, resources, "
        "GPU summary and total maximum price per block, or every error with its YAML path and "
        "line:column. Exits 0 when the file is valid, 1 otherwise.",
    )
    validate.add_argument("file", help="the SDL file (YAML)")
    _add_output_option(validate)
    validate.set_defaults(func=run_validate)
    hash_ = commands.add_parser(
        "hash",
        help="print the manifest hash of an SDL file",
        description="Print the hex sha256 of the canonical manifest JSON (the deployment "
        "hash that goes on chain). Exits 1 and prints the errors for an invalid file.",
    )
    hash_.add_argument("file", help="the SDL file (YAML)")
    _add_output_option(hash_)
    hash_.set_defaults(func=run_hash)


def _add_output_option(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS keeps a global `-o` given before the sub-command from being overwritten.
    parser.add_argument(
        "-o",
        "--output",
        choices=("text", "json"),
        default=argparse.SUPPRESS,
        help="output format (default: text)",
    )


def _output(args: argparse.Namespace) -> str:
    return str(getattr(args, "output", None) or "text")


def _load(args: argparse.Namespace, out: TextIO, err: TextIO) -> Sdl | None:
    try:
        return parse_sdl_file(args.file)
    except SdlError as error:
        _print_errors(error, _output(args), out, err)
    except OSError as error:
        reason = error.strerror or str(error)
        _print_errors(
            SdlError([SdlIssue("", 0, 0, f"cannot read the file: {reason}")], args.file),
            _output(args),
            out,
            err,
        )
    return None


def _print_errors(error: SdlError, output: str, out: TextIO, err: TextIO) -> None:
    if output == "json":
        report = {
            "source": error.source,
            "valid": False,
            "errors": [
                {
                    "path": issue.path,
                    "line": issue.line,
                    "column": issue.column,
                    "message": issue.message,
                }
                for issue in error.issues
            ],
        }
        print(json.dumps(report, indent=2, ensure_ascii=False), file=out)
    else:
        print(str(error), file=err)


def run_validate(args: argparse.Namespace) -> int:
    """Handler of `sdl validate`; returns the exit code."""
    out, err = sys.stdout, sys.stderr
    sdl = _load(args, out, err)
    if sdl is None:
        return EXIT_INVALID
    groups = sdl.groups()
    manifest_hash = sdl.manifest_hash()
    gpus = gpu_summary(groups)
    totals = total_price(groups)
    if _output(args) == "json":
        report = {
            "source": args.file,
            "valid": True,
            "version": sdl.version,
            "groups": [group_to_dict(group) for group in groups],
            "gpu": asdict(gpus),
            "max_price_per_block": {
                denom: format_price_amount(amount) for denom, amount in totals.items()
            },
            "manifest_hash": manifest_hash,
        }
        print(json.dumps(report, indent=2, ensure_ascii=False), file=out)
        return EXIT_VALID
    print(f"{args.file}: valid SDL {sdl.version}", file=out)
    for group in groups:
        print(_describe_group(group), file=out)
    models = ", ".join(f"{name} x{count}" for name, count in gpus.models.items())
    gpu_line = f"GPUs: {gpus.total}" + (f" ({models})" if models else "")
    print(gpu_line, file=out)
    price_text = " + ".join(f"{format_price_short(a)} {d}" for d, a in totals.items())
    print(f"Total max price per block: {price_text}", file=out)
    print(f"Manifest hash: {manifest_hash}", file=out)
    return EXIT_VALID


def run_hash(args: argparse.Namespace) -> int:
    """Handler of `sdl hash`; returns the exit code."""
    sdl = _load(args, sys.stdout, sys.stderr)
    if sdl is None:
        return EXIT_INVALID
    digest = sdl.manifest_hash()
    if _output(args) == "json":
        print(json.dumps({"source": args.file, "manifest_hash": digest}), file=sys.stdout)
    else:
        print(digest, file=sys.stdout)
    return EXIT_VALID


def _describe_group(group: Group) -> str:
    requirements = group.requirements
    lines = [f"group {group.name}"]
    if requirements.attributes:
        pairs = ", ".join(f"{a.key}={a.value}" for a in requirements.attributes)
        lines.append(f"  requires: {pairs}")
    if requirements.signed_by_all_of:
        lines.append(f"  signed by all of: {', '.join(requirements.signed_by_all_of)}")
    if requirements.signed_by_any_of:
        lines.append(f"  signed by any of: {', '.join(requirements.signed_by_any_of)}")
    for unit in group.resources:
        resources = unit.resources
        storage = ", ".join(
            f"{volume.name}={format_size(volume.size)}"
            + (
                " (" + ", ".join(f"{a.key}={a.value}" for a in volume.attributes) + ")"
                if volume.attributes
                else ""
            )
            for volume in resources.storage
        )
        gpu = f"{resources.gpu_units}"
        if resources.gpu_attributes:
            gpu += " (" + ", ".join(a.key for a in resources.gpu_attributes) + ")"
        lines.append(
            f"  resource {resources.id}: count {unit.count}, cpu {resources.cpu_millicores}m, "
            f"memory {format_size(resources.memory_bytes)}, storage {storage}, gpu {gpu}, "
            f"max price {format_price_short(unit.price.amount)} {unit.price.denom} per block each"
        )
    return "\n".join(lines)


def gpu_summary(groups: list[Group]) -> GpuSummary:
    """Total GPUs over all instances, and per model attribute (`a100`, `*` for any model)."""
    total = 0
    models: dict[str, int] = {}
    for group in groups:
        for unit in group.resources:
            count = unit.resources.gpu_units * unit.count
            total += count
            for attribute in unit.resources.gpu_attributes:
                name = attribute.key.removeprefix("vendor/")
                models[name] = models.get(name, 0) + count
    return GpuSummary(total, dict(sorted(models.items())))


def total_price(groups: list[Group]) -> dict[str, int]:
    """Maximum price per block of the whole deployment, per denom (10^-18 units)."""
    totals: dict[str, int] = {}
    for group in groups:
        for denom, amount in group.max_price_per_block.items():
            totals[denom] = totals.get(denom, 0) + amount
    return dict(sorted(totals.items()))
