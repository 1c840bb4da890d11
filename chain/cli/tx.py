"""`gpuchain tx …` (placeholder until the transaction commands land)."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    commands.add_parser("tx", parents=[common], help="sign and broadcast transactions")
