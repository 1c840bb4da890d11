"""`python -m sdl validate FILE` / `python -m sdl hash FILE`: the `gpuchain sdl` commands alone."""

from __future__ import annotations

import argparse
import sys

from sdl.cli import register


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sdl", description="Akash SDL tools.")
    parser.add_argument(
        "-o", "--output", choices=("text", "json"), default="text", help="output format"
    )
    register(parser)
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
