"""The `fairgrid` command group: usage errors exit with the documented code for invalid input."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from typer.core import TyperGroup

from api.cli.output import EXIT_INVALID


@contextmanager
def _usage_is_invalid_input() -> Iterator[None]:
    try:
        yield
    except click.UsageError as exc:
        # typed a ClassVar, but Click (and Typer) exit with the instance's: sys.exit(e.exit_code)
        exc.exit_code = EXIT_INVALID  # type: ignore[misc]
        raise


class CommandLine(TyperGroup):
    """Click exits 2 on a usage error (an unknown option or command, a missing argument, a value it cannot
    convert); here 2 says an input could not be read. So a usage error exits 1, invalid input, as a value
    a command refuses itself does (`--port abc` as `--port 99999`). Subcommand groups (`site`, `jobs`)
    are parsed within this group's invoke, so this covers them too."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        with _usage_is_invalid_input():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        with _usage_is_invalid_input():
            return super().invoke(ctx)
