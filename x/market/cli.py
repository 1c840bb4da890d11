"""`gpuchain tx market …` and `gpuchain query market …`."""

from __future__ import annotations

import argparse

from chain.cli import api


def register_tx(commands: api.Group, common: argparse.ArgumentParser) -> None:
    """Filled in with the market commands."""


def register_query(commands: api.Group, common: argparse.ArgumentParser) -> None:
    """Filled in with the market queries."""
