"""`gpuchain query …` (placeholder until the transaction commands land)."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    commands.add_parser("query", parents=[common], help="query chain state")
