"""Printing results and errors for people (Rich) or machines (JSON), and exit codes."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from rich.console import Console
from rich.table import Table
from rich.text import Text

from registry.errors import (
    FairgridError,
    InputError,
    RdfSyntaxError,
    Unavailable,
    UnreadableInput,
    ValidationFailed,
    Violation,
)
from registry.services.importer import AbortImport
from registry.validation.report import short


def data_console(**options: Any) -> Console:
    """A console that prints strings as they are: registered text is hostile input, so neither console
    markup ('[sickle cell]' dropped, '[link=...]' a hyperlink) nor ':emoji:' codes are read in it.
    Styled text is a Text (`styled`)."""
    return Console(markup=False, emoji=False, highlight=False, **options)


def styled(label: str, style: str, rest: str = "", *, indent: str = "") -> Text:
    """`label` in `style`, then `rest` as it is: "error: <message>" with only the label coloured."""
    return Text.assemble(indent, (label, style), " " + rest if rest else "")


out = data_console(soft_wrap=True)
err = data_console(stderr=True, soft_wrap=True)

EXIT_OK = 0
EXIT_INVALID = 1  # the input was read but violates rules
EXIT_UNREADABLE = 2  # the input could not be read or parsed
EXIT_UNAVAILABLE = 3
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as shells report it


def exit_code(exc: FairgridError) -> int:
    if isinstance(exc, AbortImport):  # the worst of the rejections it stands for
        return max(EXIT_INVALID, worst_exit(exc.causes))
    if isinstance(exc, RdfSyntaxError | UnreadableInput):
        return EXIT_UNREADABLE
    if isinstance(exc, Unavailable):
        return EXIT_UNAVAILABLE
    if isinstance(exc, InputError):
        return EXIT_INVALID
    return EXIT_INVALID


def worst_exit(errors: Iterable[FairgridError | None]) -> int:
    """The exit code of a run that reported these errors for some of its items (0 for none): the
    highest of theirs, so that an unreadable file among invalid records still exits 2."""
    return max((exit_code(e) for e in errors if e is not None), default=EXIT_OK)


@contextmanager
def writing(path: Path) -> Iterator[Path]:
    """Around the write of a file the user named (--out): an OSError (a folder there, a missing folder,
    no permission) becomes UnreadableInput naming the path, as for an input file."""
    try:
        yield path
    except OSError as exc:
        why = (exc.strerror or type(exc).__name__).lower()
        raise UnreadableInput(
            f"cannot write {path}: {why}", hint="give --out a file in a folder that exists and can be written"
        ) from None


def check_writable(path: Path) -> None:
    """Refuse an --out path that cannot be written before the work that fills it (an export of the
    whole catalogue): the same message `writing` gives after it."""
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        why = "is a directory"
    elif not parent.is_dir():
        why = "no such directory"
    elif not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        why = "permission denied"
    else:
        return
    raise UnreadableInput(
        f"cannot write {path}: {why}", hint="give --out a file in a folder that exists and can be written"
    )


def fail(exc: FairgridError) -> NoReturn:
    err.print(styled("error:", "bold red", exc.message))
    if isinstance(exc, ValidationFailed):
        violations_table(exc.violations, console=err)
    if exc.hint:
        err.print(styled("what to do:", "dim", exc.hint))
    sys.exit(exit_code(exc))


def violations_table(results: list[Violation], console: Console = out, title: str | None = None) -> None:
    table = Table(title=title, show_lines=False, expand=False)
    for col in ("severity", "focus node", "path", "rule", "message"):
        table.add_column(col, overflow="fold")
    for v in results:
        sev = short(v.severity)
        style = {"Violation": "red", "Warning": "yellow"}.get(sev, "cyan")
        table.add_row(Text(sev, style), v.focus_node, short(v.path), short(v.constraint), v.message)
    console.print(table)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def feasibility_table(body: dict[str, Any]) -> None:
    """A feasibility answer (POST /feasibility's JSON) as a table: per site, then the total."""
    table = Table(title="feasibility")
    for col in ("site", "status", "count", "precision"):
        table.add_column(col)
    for s in body["sites"]:
        count = s["count"] if s["count"] is not None else (f"<{s['threshold']}" if s["threshold"] else "-")
        table.add_row(s["site"], s["status"], str(count), s["precision"] or (s["reason"] or ""))
    total = body["total"]
    shown = "-" if total["count"] is None else str(total["count"])
    if total.get("upper") is not None:
        shown += f" (at most {total['upper']})"
    table.add_row(Text("total", "bold"), "", Text(shown, "bold"), total["precision"] or "")
    out.print(table)
