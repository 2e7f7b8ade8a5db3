"""Terminology commands: search and descendants."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from api.cli import main
from api.cli.output import out
from api.cli.records import guarded
from registry.errors import InputError
from registry.services.terms import Concept

SHOWN = 50  # concepts listed by `terms search`

app = typer.Typer(
    help="Look up concepts in the registered terminologies (ICD-10, ORPHA, HPO).", no_args_is_help=True
)


def _table(concepts: list[Concept], title: str) -> None:
    table = Table(title=title)
    for col in ("code", "label", "IRI"):
        table.add_column(col, overflow="fold")
    for c in concepts:
        table.add_row(c.notation or "", c.label, c.iri)
    out.print(table)


@app.command()
@guarded
def search(
    text: str, scheme: Annotated[str | None, typer.Option(help="restrict to one scheme IRI")] = None
) -> None:
    """Find concepts by code or label."""
    with main.registry() as reg:
        schemes = sorted({c.scheme for c in reg.terms.all_concepts()})
        if scheme is not None and scheme not in schemes:  # as an unknown --kind: never a silent empty table
            raise InputError(
                f"--scheme {scheme!r} is not a registered terminology",
                hint="one of: " + (", ".join(schemes) or "none (run `fairgrid init`)"),
            )
        hits = reg.terms.search(main.me(), text, scheme, limit=SHOWN + 1)
    more = len(hits) > SHOWN
    _table(hits[:SHOWN], f"{'first ' if more else ''}{min(len(hits), SHOWN)} concept(s) matching {text!r}"
                         + (" (narrow the text to see others)" if more else ""))  # fmt: skip


@app.command()
@guarded
def descendants(iri: Annotated[str, typer.Argument(help="concept IRI or code (e.g. D46)")]) -> None:
    """List every concept below a concept (transitively)."""
    with main.registry() as reg:
        found = reg.terms.descendants(main.me(), iri)
    _table(found, f"{len(found)} descendant(s) of {iri}")
