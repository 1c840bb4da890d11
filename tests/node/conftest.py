"""A real node per test, always stopped afterwards, pass or fail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chain.testing import LocalNode


@pytest.fixture
def local_node(tmp_path: Path) -> Iterator[LocalNode]:
    node = LocalNode(tmp_path / "node")
    yield node
    node.stop()
