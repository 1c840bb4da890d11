"""Adding a module takes its folder and one line of wiring: a copy of the tree gains
x/echo/ (a message, a query, a CLI command) and its entry in chain/wiring.py, and a real
node and the `gpuchain` CLI of that copy run the new command end to end."""

from __future__ import annotations

import difflib
import json
import shutil
import subprocess
import sys
from pathlib import Path

from chain.process import REPO
from chain.testing import LocalNode

ECHO = Path(__file__).resolve().parents[1] / "data" / "echo_module"
WIRING_IMPORT = "from x.echo.module import EchoModule\n"


def copy_of_the_tree_with_echo(root: Path) -> Path:
    """chain/, x/ and sdl/ copied, x/echo/ added and wired; nothing else touched (the
    pinned CometBFT in .tools is shared)."""
    ignore = shutil.ignore_patterns("__pycache__")
    for package in ("chain", "x", "sdl"):
        shutil.copytree(REPO / package, root / package, ignore=ignore)
    (root / ".tools").symlink_to(REPO / ".tools")
    shutil.copytree(ECHO, root / "x" / "echo", ignore=ignore)
    wiring = root / "chain" / "wiring.py"
    before = wiring.read_text()
    after = before.replace(
        "from x.genutil.module import GenutilModule\n",
        f"{WIRING_IMPORT}from x.genutil.module import GenutilModule\n",
    ).replace(
        "            GenutilModule(),\n",
        "            GenutilModule(),\n            EchoModule(),\n",
    )
    wiring.write_text(after)
    added = [
        line
        for line in difflib.ndiff(before.splitlines(), after.splitlines())
        if line.startswith(("+ ", "- "))
    ]
    assert added == ["+ " + WIRING_IMPORT.strip(), "+             EchoModule(),"]
    return root


def gpuchain(source: Path, node: LocalNode, *argv: str) -> dict[str, object]:
    flags = ["-o", "json", "--home", str(node.home), "--keyring-backend", "test"]
    done = subprocess.run(
        [sys.executable, "-m", "chain.cli.main", *argv, *flags, "--node", node.rpc_address],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    answer: dict[str, object] = json.loads(done.stdout)
    return answer


def test_a_module_added_as_a_folder_and_a_wiring_line_runs_its_command_on_a_node(
    tmp_path: Path,
) -> None:
    source = copy_of_the_tree_with_echo(tmp_path / "tree")
    node = LocalNode(tmp_path / "node")
    addresses = node.init({"speaker": "10000000ugpc"})
    node.runner.source = source
    node.start()
    try:
        said = gpuchain(
            source,
            node,
            "tx",
            "echo",
            "say",
            "hello",
            "--from",
            "speaker",
            "--fees",
            "500ugpc",
            "--yes",
        )
        assert said["code"] == 0
        events = {event["type"]: event for event in said["events"]}  # type: ignore[attr-defined]
        # In the results whether or not indexed: a new module's keys are indexed once the
        # node's app.toml index-events lists them (gpuchain init's list names the built-in
        # modules' keys only).
        assert {"key": "text", "value": "hello"} in [
            {"key": a["key"], "value": a["value"]} for a in events["echo"]["attributes"]
        ]

        answer = gpuchain(source, node, "query", "echo", "said", "speaker")
        assert answer == {"address": addresses["speaker"], "text": "hello"}
    finally:
        node.stop()
    unwired = subprocess.run(
        [sys.executable, "-m", "chain.cli.main", "tx", "echo", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert unwired.returncode != 0 and "invalid choice: 'echo'" in unwired.stderr
