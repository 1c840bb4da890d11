"""`python -m sdl validate|hash` end to end through a real subprocess, and the `register` hook."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sdl_helpers import BASE_SDL, DATA, line_of

from sdl import parse_sdl
from sdl.cli import register

REPO = Path(__file__).resolve().parent.parent.parent
GPU_FILE = DATA / "valid" / "chain-sdk__testdata_sdl_input_v2.0_gpu-basic_input.yaml"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sdl", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def broken_file(tmp_path: Path) -> tuple[Path, str]:
    text = (
        BASE_SDL.replace("units: 0.5", "units: lots")
        .replace("size: 512Mi", "size: 512MB")
        .replace("port: 80", "port: 0")
    )
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    return path, text


def test_validate_prints_groups_resources_gpus_and_total_price() -> None:
    result = run_cli("validate", str(GPU_FILE))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "valid SDL 2.0" in out
    assert "group westcoast" in out
    assert "cpu 1000m, memory 2Gi, storage default=10Gi, gpu 1 (vendor/nvidia/model/rtx3080)" in out
    assert "GPUs: 1 (nvidia/model/rtx3080 x1)" in out
    assert "Total max price per block: 1000 uakt" in out


def test_validate_prints_every_error_with_path_and_line_column(
    broken_file: tuple[Path, str],
) -> None:
    path, text = broken_file
    result = run_cli("validate", str(path))
    assert result.returncode == 1
    err = result.stderr
    assert "invalid SDL (3 errors)" in err
    expected = [
        ("profiles.compute.web.resources.cpu.units", line_of(text, "units: lots"), 18),
        ("profiles.compute.web.resources.memory.size", line_of(text, "size: 512MB"), 17),
        ("services.web.expose[0].port", line_of(text, "port: 0"), 15),
    ]
    for yaml_path, line, column in expected:
        assert re.search(rf"{re.escape(yaml_path)}: .*\(line {line}:{column}\)", err), err


def test_validate_json_output_after_the_sub_command(broken_file: tuple[Path, str]) -> None:
    path, _text = broken_file
    result = run_cli("validate", str(path), "-o", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False
    assert [(e["path"], e["line"] > 0, e["column"] > 0) for e in report["errors"]] == [
        ("services.web.expose[0].port", True, True),
        ("profiles.compute.web.resources.cpu.units", True, True),
        ("profiles.compute.web.resources.memory.size", True, True),
    ]


def test_validate_json_output_before_the_sub_command() -> None:
    result = run_cli("-o", "json", "validate", str(GPU_FILE))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["valid"] is True
    assert report["gpu"] == {"total": 1, "models": {"nvidia/model/rtx3080": 1}}
    assert report["max_price_per_block"] == {"uakt": "1000.000000000000000000"}
    assert report["groups"][0]["resources"][0]["resource"]["cpu"] == {"units": {"val": "1000"}}


def test_hash_prints_the_manifest_hash() -> None:
    result = run_cli("hash", str(GPU_FILE))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == parse_sdl(GPU_FILE.read_bytes()).manifest_hash()


def test_hash_of_an_invalid_file_fails_with_the_errors(broken_file: tuple[Path, str]) -> None:
    path, _text = broken_file
    result = run_cli("hash", str(path))
    assert result.returncode == 1
    assert result.stdout == ""
    assert "services.web.expose[0].port" in result.stderr


def test_missing_file_exits_1() -> None:
    result = run_cli("validate", "/no/such/file.yaml")
    assert result.returncode == 1
    assert "cannot read the file" in result.stderr


def _main_cli_parser() -> argparse.ArgumentParser:
    """A parser shaped like the `gpuchain` CLI: a global -o, then an `sdl` sub-parser."""
    parser = argparse.ArgumentParser(prog="gpuchain")
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text")
    commands = parser.add_subparsers(dest="command", required=True)
    register(commands.add_parser("sdl"))
    return parser


@pytest.mark.parametrize(
    ("argv", "output"),
    [
        (["sdl", "validate", "F"], "text"),
        (["-o", "json", "sdl", "validate", "F"], "json"),
        (["sdl", "validate", "F", "-o", "json"], "json"),
        (["sdl", "hash", "F", "--output", "json"], "json"),
    ],
)
def test_register_hook_honours_a_global_or_local_output_option(
    argv: list[str], output: str
) -> None:
    args = _main_cli_parser().parse_args(argv)
    assert args.output == output
    assert callable(args.func)


def test_register_hook_handler_returns_the_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    args = _main_cli_parser().parse_args(["sdl", "validate", str(GPU_FILE)])
    assert args.func(args) == 0
    assert "group westcoast" in capsys.readouterr().out
