"""The whole `gpuchain` parser tree: every flag explained, no source files in help, shell
completion, and no traceback for any value given to any command (no node needed)."""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ENVIRONMENT, REPOSITORY

from chain.cli.main import build_parser, main
from chain.keyring import EXPORT_PASSPHRASE_ENV, PASSPHRASE_ENV

# Values a confused or hostile user may give: negative, huge, empty, binary, odd text.
HOSTILE_VALUES = (
    "-1",
    "-5ugpc",
    "99999999999999999999999999",
    "",
    "\x00",
    "x" * 5000,
    "1e999",
    "../../etc",
    "🙂",
    "0",
)
# Commands that run until stopped, or that would start a node.
NOT_RUN = {("start",)}


def leaves(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every command that runs (a parser without subcommands), with its words."""
    groups = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not groups:
        yield path, parser
    for group in groups:
        seen: set[int] = set()
        for name, child in group.choices.items():
            if id(child) not in seen:  # an alias (`q`) is the same parser
                seen.add(id(child))
                yield from leaves(child, (*path, name))


def all_parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in set(action.choices.values()):
                yield from all_parsers(child)


COMMANDS = sorted(leaves(build_parser()), key=lambda item: item[0])


def test_every_flag_and_argument_of_every_command_has_help() -> None:
    missing = [
        f"gpuchain {' '.join(path)} {action.option_strings or action.dest}"
        for path, parser in COMMANDS
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction) and not action.help
    ]
    assert len(COMMANDS) > 60
    assert missing == []


def test_no_help_text_names_a_source_file() -> None:
    texts = [
        text
        for parser in all_parsers(build_parser())
        for text in [parser.description or "", *(a.help or "" for a in parser._actions)]
    ]
    assert [text for text in texts if re.search(r"\b[\w/]+\.py\b", text)] == []


def run_in_process(argv: list[str]) -> tuple[int, str, str]:
    """main(argv) here, its exit code and output; a traceback fails the test loudly."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


def hostile_argv(
    path: tuple[str, ...], parser: argparse.ArgumentParser, value: str, every_flag: bool
) -> list[str]:
    """The command with value for each of its arguments and required flags, and with
    every_flag for its other value-taking flags too (a refused flag stops the parser
    before the command runs, so both are tried)."""
    argv = list(path)
    for action in parser._actions:
        skipped = ("home", "node", "keyring_backend")
        if isinstance(action, argparse._HelpAction) or action.dest in skipped:
            continue
        if not action.option_strings:
            argv.append(value)
        elif action.nargs != 0 and (every_flag or action.required):
            argv += [action.option_strings[-1], value]
    return argv


@pytest.mark.parametrize(
    "path", [path for path, _ in COMMANDS if path not in NOT_RUN], ids=" ".join
)
def test_no_value_given_to_any_command_prints_a_traceback(
    path: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_node: str,
) -> None:
    parser = dict(COMMANDS)[path]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(PASSPHRASE_ENV, "a passphrase")
    monkeypatch.setenv(EXPORT_PASSPHRASE_ENV, "another passphrase")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    for value, every_flag in itertools.product(HOSTILE_VALUES, (False, True)):
        argv = [
            *hostile_argv(path, parser, value, every_flag),
            *("--home", str(tmp_path), "--node", no_node, "--keyring-backend", "test"),
        ]
        if path == ("testnet",):
            argv = argv[:-6]
        code, out, err = run_in_process(argv)
        shown = f"gpuchain {' '.join(argv)!r} -> {code}\n{out}{err}"
        assert "Traceback" not in out + err, shown
        if code == 0:
            continue
        assert code in (1, 2), shown
        errors = [line for line in (out + err).splitlines() if line.startswith("Error")]
        if code == 2:
            assert err.startswith("usage: gpuchain"), shown
        assert len(errors) == 1 and (out + err).rstrip().endswith(errors[0]), shown


def test_completion_scripts_and_completions(tmp_path: Path) -> None:
    for shell in ("bash", "zsh"):
        script = subprocess.run(
            [sys.executable, "-m", "chain.cli.main", "completion", shell],
            capture_output=True, text=True, cwd=REPOSITORY, env=ENVIRONMENT, timeout=60,
        )  # fmt: skip
        assert script.returncode == 0, script.stderr
        assert "gpuchain" in script.stdout and "_ARGCOMPLETE" in script.stdout

    answer = tmp_path / "completions"
    line = "gpuchain tx bank send alice gpu1x 1ugpc --gas-"
    subprocess.run(
        [sys.executable, "-m", "chain.cli.main"],
        capture_output=True, text=True, cwd=REPOSITORY, timeout=60,
        env={**ENVIRONMENT, "_ARGCOMPLETE": "1", "COMP_LINE": line, "COMP_POINT": str(len(line)),
             "_ARGCOMPLETE_STDOUT_FILENAME": str(answer), "_ARGCOMPLETE_IFS": "\n",
             "HOME": os.environ.get("HOME", str(tmp_path))},
    )  # fmt: skip
    assert set(answer.read_text().split()) == {"--gas-prices", "--gas-adjustment"}
