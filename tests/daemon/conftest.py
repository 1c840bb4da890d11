"""A real node (the app plus CometBFT) of its own for each provider daemon test that needs one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from daemon_helpers import Chain, start_chain


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Chain]:
    started = start_chain(tmp_path / "node")
    try:
        yield started
    finally:
        started.node.stop()
