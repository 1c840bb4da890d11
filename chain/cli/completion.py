"""`gpuchain completion bash|zsh`: tab completion of commands and flags, by argcomplete.

`eval "$(gpuchain completion bash)"` (or zsh) in a shell's rc file turns it on; the shell
then runs `gpuchain` itself with argcomplete's environment to ask what may come next.
"""

from __future__ import annotations

import argparse
from typing import NoReturn

SHELLS = ("bash", "zsh")


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
) -> None:
    """Add the `completion` command."""
    completion = commands.add_parser(
        "completion",
        parents=[common],
        help="print a shell completion script (bash or zsh)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    completion.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    completion.set_defaults(func=print_script)


def print_script(args: argparse.Namespace) -> int:
    from argcomplete.shell_integration import shellcode

    print(shellcode(["gpuchain"], shell=args.shell), end="")
    return 0


def complete(parser: argparse.ArgumentParser) -> NoReturn:
    """Answer the shell's completion request (argcomplete exits the process)."""
    import argcomplete

    argcomplete.autocomplete(parser)
    raise SystemExit(0)
