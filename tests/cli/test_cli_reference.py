"""docs/cli-reference.md is what `make docs-cli` generates from the CLIs' parsers now: a
command, flag or help text changed without regenerating it fails here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]


def check(page: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chain.cli.reference", "--check", "--output", str(page)],
        cwd=REPOSITORY, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_the_cli_reference_matches_the_cli() -> None:
    done = check(REPOSITORY / "docs" / "cli-reference.md")
    assert done.returncode == 0, done.stderr


def test_a_drifted_reference_is_refused_naming_the_fix(tmp_path: Path) -> None:
    page = tmp_path / "cli-reference.md"
    current = (REPOSITORY / "docs" / "cli-reference.md").read_text()
    page.write_text(current.replace("--deposit", "--deposit-amount", 1))
    done = check(page)
    assert done.returncode == 1
    assert "out of date with the CLI; run `make docs-cli`" in done.stderr
    for command in ("gpuchain tx deployment create", "gpuchain-provider init"):
        assert f"`{command}`" in current
