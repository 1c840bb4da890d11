"""The `gpuchain` command line, in Cosmos SDK conventions (`-o json`, `--home`, `--node`).

Settings a client would repeat on every command (chain id, keyring backend, node, output,
broadcast mode, gas) come from HOME/config/client.toml unless a flag gives them; HOME is
--home, else $GPUCHAIN_HOME, else ~/.gpuchain.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from chain.cli import output
from chain.client_config import (
    KEYRING_BACKENDS,
    OUTPUTS,
    SETTINGS,
    ClientConfigError,
    default_home,
    load_client_config,
)

# Each top-level command, the module that registers it (`module:function` when the
# function is not `register`) and its one-line help. Only the
# module of the command being run is imported, so `gpuchain status` does not pay for
# every module's CLI (bench/cli_startup.py measures it).
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("chain.cli.node_commands", "create a node home and genesis"),
    "start": ("chain.cli.node_commands", "run the node"),
    "status": ("chain.cli.node_commands", "the node's sync status"),
    "keys": ("chain.cli.keys", "manage keyring keys"),
    "genesis": ("chain.cli.genesis", "build a genesis file: accounts, gentxs"),
    "testnet": ("chain.cli.testnet", "make N validator homes"),
    "tx": ("chain.cli.tx", "sign and broadcast transactions"),
    "query": ("chain.cli.query", "query chain state"),
    "sdl": ("chain.cli.main:register_sdl", "validate and hash SDL files"),
    "lease": ("provider.gateway_client", "a lease's manifest, status and logs (provider gateway)"),
    "config": ("chain.cli.config_commands", "read and write HOME/config/client.toml"),
    "completion": ("chain.cli.completion", "print a shell completion script (bash or zsh)"),
}
ALIASES = {"q": "query"}
# The common flags that take a value: skipped when looking for the command's name.
_VALUE_FLAGS = {"--home", "-o", "--output", "--node", "--chain-id", "--keyring-backend"}
# Common flags set from client.toml when not given; build flags are set by the tx commands.
_COMMON_ATTRIBUTES = {"chain_id", "keyring_backend", "node", "output"}


class Parser(argparse.ArgumentParser):
    """argparse with three fixes for a CLI of amounts and subcommands.

    - A token such as `-5ugpc` is a (negative, refused) amount, not an unknown flag: no
      gpuchain flag starts with a digit.
    - An unknown flag is reported with the usage of the subcommand it was given to, not
      the root's.
    - A bad value is one `Error:` line under that usage, exit code 2.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-\d")

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        if extras and self._subparsers is None:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"Error: {self.prog}: {message}\n")


def common_flags() -> argparse.ArgumentParser:
    """The flags every command takes; their defaults come from client.toml (see main)."""
    common = Parser(add_help=False)
    suppress = argparse.SUPPRESS
    common.add_argument(
        "--home",
        type=Path,
        default=suppress,
        help="node and client home (default $GPUCHAIN_HOME, else ~/.gpuchain)",
    )
    common.add_argument(
        "-o", "--output", choices=OUTPUTS, default=suppress, help="output format (default text)"
    )
    common.add_argument(
        "--node", default=suppress, help="CometBFT RPC address (default tcp://127.0.0.1:26657)"
    )
    common.add_argument(
        "--chain-id", default=suppress, help="the chain to sign for (default: the node's)"
    )
    common.add_argument(
        "--keyring-backend",
        choices=KEYRING_BACKENDS,
        default=suppress,
        help="where keys are kept: file (encrypted, default) or test (unencrypted)",
    )
    return common


def chosen_command(argv: Sequence[str]) -> str | None:
    """The top-level command argv names (its first word that is one), None if none."""
    skip = False
    for token in argv:
        if skip:
            skip = False
        elif token in _VALUE_FLAGS:
            skip = True
        elif not token.startswith("-"):
            name = ALIASES.get(token, token)
            return name if name in COMMANDS else None
    return None


def build_parser(
    modules: Sequence[Any] | None = None, command: str | None = "*"
) -> argparse.ArgumentParser:
    """The parser of `gpuchain`: every command (command "*"), or only the one named fully
    and the others as names with their help. Each wired module (default: chain.wiring's)
    adds its `tx` and `query` commands."""
    common = common_flags()
    parser = Parser(prog="gpuchain", parents=[common], description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    registered: set[str] = set()
    for name, (spec, _) in COMMANDS.items():
        if command not in ("*", name) or name in registered:
            continue
        module_name, _, function = spec.partition(":")
        register = getattr(importlib.import_module(module_name), function or "register")
        before = set(commands.choices)
        group = register(commands, common)
        registered |= set(commands.choices) - before
        if name in ("tx", "query"):
            _register_modules(name, group, common, modules)
    for name, (_, help_text) in COMMANDS.items():
        if name not in commands.choices:
            commands.add_parser(
                name, aliases=[a for a, n in ALIASES.items() if n == name], help=help_text
            )
    return parser


def register_sdl(commands: Any, common: argparse.ArgumentParser) -> None:
    """`gpuchain sdl …`, whose subcommands sdl/cli.py adds."""
    from sdl import cli

    parser = commands.add_parser("sdl", parents=[common], help=COMMANDS["sdl"][1])
    cli.register(parser)


def _register_modules(
    group_name: str, group: Any, common: argparse.ArgumentParser, modules: Sequence[Any] | None
) -> None:
    from chain.wiring import build_modules

    for module in modules if modules is not None else build_modules():
        module_commands = module.commands()
        if module_commands is None:
            continue
        if group_name == "tx":
            module_commands.register_tx(group, common)
        else:
            module_commands.register_query(group, common)


def apply_client_config(args: argparse.Namespace) -> None:
    """Fill what no flag gave from client.toml, then from the built-in defaults.

    The common flags are absent when not given; a tx command's build flags are None."""
    args.home = Path(getattr(args, "home", None) or default_home())
    from_file = load_client_config(args.home)
    for setting in SETTINGS:
        name = setting.attribute
        if name in _COMMON_ATTRIBUTES:
            if not hasattr(args, name):
                setattr(args, name, from_file.get(setting.key, setting.default))
        elif hasattr(args, name) and getattr(args, name) is None and setting.key in from_file:
            if name == "gas_prices" and vars(args).get("fees"):
                continue  # --fees on the command line wins over the file's gas price
            setattr(args, name, setting.parse(from_file[setting.key]))


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    if "_ARGCOMPLETE" in os.environ:
        from chain.cli.completion import complete

        complete(build_parser(command=chosen_command(os.environ.get("COMP_LINE", "").split()[1:])))
    parser = build_parser(command=chosen_command(arguments))
    if any("\x00" in argument for argument in arguments):
        # No shell can pass one; a caller of main() could, and paths cannot hold one.
        parser.error("an argument holds a NUL byte")
    args = parser.parse_args(arguments)
    try:
        apply_client_config(args)
        code: int = args.func(args)
    except (output.CommandError, ClientConfigError, OSError) as error:
        output.fail(args, str(error))
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        if _is_reported(error):
            output.fail(args, str(error))
            return 1
        raise
    return code


def _is_reported(error: Exception) -> bool:
    """A config, RPC or genesis failure: the user's to fix, printed as one line (their
    modules are imported only now: most commands never load them)."""
    from chain.config import ConfigError
    from chain.genesis import GenesisError
    from chain.rpc import RpcError

    return isinstance(error, (ConfigError, RpcError, GenesisError))


if __name__ == "__main__":
    sys.exit(main())
