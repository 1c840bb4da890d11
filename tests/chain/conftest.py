"""Fixtures for state-machine tests: a funded in-process chain with real LevelDB."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from chain_fixtures import Chain, funded_chain


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Chain]:
    funded = funded_chain(tmp_path / "node")
    yield funded
    funded.node.close()
