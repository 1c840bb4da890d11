"""How every command prints: plain text for people, `-o json` or `-o yaml` for scripts."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


class CommandError(Exception):
    """A failure the user caused or can fix; printed as one line, exit code 1."""


def emit(args: argparse.Namespace, data: Any, text: str | None = None) -> None:
    """Print data as JSON with `-o json`, as YAML with `-o yaml`, otherwise the text (or
    data as indented JSON when a command has no text form)."""
    if args.output == "yaml":
        print(_yaml(data), end="")
    elif args.output == "json" or text is None:
        print(json.dumps(data, indent=None if args.output == "json" else 2, sort_keys=True))
    else:
        print(text)


def fail(args: argparse.Namespace, message: str) -> None:
    output = getattr(args, "output", "text")
    if output == "json":
        print(json.dumps({"error": message}))
    elif output == "yaml":
        print(_yaml({"error": message}), end="")
    else:
        print(f"Error: {message}", file=sys.stderr)


def _yaml(data: Any) -> str:
    import yaml  # only `-o yaml` pays for it

    text: str = yaml.safe_dump(data, sort_keys=True, default_flow_style=False, width=1_000_000)
    return text
