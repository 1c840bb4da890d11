"""`gpuchain tx market …` and `gpuchain query market …`."""

from __future__ import annotations

import argparse

from chain.cli import api
from x.market import usage_cli


def register_tx(commands: api.Group, common: argparse.ArgumentParser) -> None:
    """Filled in with the market commands."""
    market = api.command_group(commands, common, "market", "orders, bids and leases")
    lease = api.command_group(market, common, "lease", "leases")
    # usage (x/market/usage_cli.py)
    usage_cli.register_report(lease, common)


def register_query(commands: api.Group, common: argparse.ArgumentParser) -> None:
    """Filled in with the market queries."""
    market = api.command_group(commands, common, "market", "orders, bids and leases")
    # usage (x/market/usage_cli.py)
    usage_cli.register_usage_query(market, common)
