"""How every command prints: plain text for people, `-o json` for scripts."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


class CommandError(Exception):
    """A failure the user caused or can fix; printed as one line, exit code 1."""


def emit(args: argparse.Namespace, data: Any, text: str | None = None) -> None:
    """Print data as JSON with `-o json`, otherwise the text (or data as indented JSON)."""
    if args.output == "json" or text is None:
        print(json.dumps(data, indent=None if args.output == "json" else 2, sort_keys=True))
    else:
        print(text)


def fail(args: argparse.Namespace, message: str) -> None:
    if getattr(args, "output", "text") == "json":
        print(json.dumps({"error": message}))
    else:
        print(f"Error: {message}", file=sys.stderr)
