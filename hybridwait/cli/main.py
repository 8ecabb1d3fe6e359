"""Entry point of the ``hybridwait`` console script.

Example::

    $ hybridwait --version
    hybridwait 0.1.0
    $ hybridwait fake-apiserver --port 8080
    $ hybridwait wait pod/web-0 --for=condition=Ready --timeout=60s
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Subcommand modules, each exposing ``register(subparsers) -> None`` that adds
# its parser and sets ``func(args) -> int`` as the parser default.
_SUBCOMMANDS = ("wait", "demo", "fake_apiserver")


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every available subcommand."""
    parser = argparse.ArgumentParser(
        prog="hybridwait",
        description="Wait for Kubernetes objects with one shared watch and a polling fallback.",
    )
    from hybridwait import __version__

    parser.add_argument("--version", action="version", version=f"hybridwait {__version__}",
                        help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _SUBCOMMANDS:
        try:
            mod = importlib.import_module(f"hybridwait.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"hybridwait.cli.{name}":
                raise
            continue
        mod.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 1
    code: int = func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
