"""Record commands: init, validate, import, export, show, history, diff, deprecate."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from api.cli import main
from api.cli.output import (
    EXIT_INTERRUPTED,
    check_writable,
    err,
    fail,
    out,
    print_json,
    styled,
    violations_table,
    worst_exit,
    writing,
)
from registry.errors import FairgridError
from registry.model import provenance
from registry.rdf import COMMON_PREFIXES, format_named, serialize
from registry.terminology_files import terminology_files
from registry.validation.report import findings_of

P = ParamSpec("P")
R = TypeVar("R")


class Fmt(StrEnum):
    turtle = "turtle"
    json_ld = "json-ld"
    xml = "xml"
    nt = "nt"


class ReportFmt(StrEnum):
    text = "text"
    json = "json"


def guarded(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn fairgrid errors into a clear message and the documented exit code."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except FairgridError as exc:
            fail(exc)

    return wrapper


def progress() -> Progress:
    return Progress(
        TextColumn("{task.description}", style="bold", markup=False),  # a file's name is no markup
        BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=False, disable=not err.is_terminal,
    )  # fmt: skip


def init(
    terminologies: Annotated[bool, typer.Option(help="register the bundled terminologies")] = True,
) -> None:
    """Create the registry home ($FAIRGRID_HOME, default ./.fairgrid) and register the terminologies."""
    s = main.settings()
    with main.registry(create=True) as reg:  # creates the home
        if terminologies:
            files = terminology_files(reg.settings.ontologies_dir, reg.settings.terminology_set)
            with progress() as bar:  # the complete terminologies take a while: shown as an import is
                task = bar.add_task("registering terminologies", total=len(files))

                def tick(source: str, done: int, total: int) -> None:
                    bar.update(task, completed=done, description=f"registering {Path(source).name}")

                summary = reg.importer.run(main.me(), files, progress=tick)
            out.print(f"registered terminologies: {summary.imported} new, {summary.unchanged} unchanged")
        out.print(
            Text.assemble(
                "fairgrid home ready at ", (str(s.home.resolve()), "bold"), f" ({reg.store.count()} records)"
            )
        )


def validate(
    files: Annotated[list[Path], typer.Argument(help="RDF files (.ttl, .jsonld, .rdf, .nt)")],
    format: Annotated[ReportFmt, typer.Option("--format", help="report format")] = ReportFmt.text,
) -> None:
    """Validate records without storing them. Exit 0 conforms, 1 violations, 2 unreadable input."""
    from registry.errors import Unavailable
    from registry.store.oxigraph import OxigraphStore
    from registry.wiring import Registry

    s = main.settings()
    # References to records already registered resolve against the home's store, opened read only;
    # without a home, validation runs on an empty in-memory store. Either way nothing is written.
    try:
        store = (
            OxigraphStore(s.home / "store", read_only=True)
            if (s.home / "store").exists()
            else OxigraphStore()
        )
    except Unavailable:
        store = OxigraphStore()
    reg = Registry(s, store)
    summary = reg.importer.run(main.me(), files, dry_run=True, keep_items=True)
    if format == ReportFmt.json:
        print_json(
            {
                "conforms": summary.rejected == 0,
                "records": [
                    {"record": i.iri, "where": i.where, "status": i.status, "warnings": i.warnings,
                     **({"error": i.error.to_dict()} if i.error else {})}
                    for i in summary.items
                ],
            }
        )  # fmt: skip
    else:
        for i in summary.rejections:
            err.print(styled("✗", "red", _said(i.where, i.error)))
            violations = getattr(i.error, "violations", [])
            if violations:
                violations_table(violations, console=err)
            if i.error is not None and i.error.hint:
                err.print(styled("what to do:", "dim", i.error.hint, indent="  "))
        out.print(f"{summary.valid} record(s) conform, {summary.rejected} rejected")
    raise typer.Exit(worst_exit(i.error for i in summary.rejections))


def import_(
    paths: Annotated[list[Path], typer.Argument(help="files or folders of RDF")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="validate only, store nothing")] = False,
    all_or_nothing: Annotated[
        bool, typer.Option("--all-or-nothing", help="store nothing if any record is rejected")
    ] = False,
) -> None:
    """Import records; a bad record does not stop the others unless --all-or-nothing."""
    # a dry run stores nothing, so it creates no registry either (`fairgrid validate` needs none)
    try:
        with main.registry(create=not dry_run) as reg, progress() as bar:
            task = bar.add_task("importing", total=None)

            def tick(source: str, done: int, total: int) -> None:
                bar.update(task, completed=done, total=total, description=f"importing {Path(source).name}")

            summary = reg.importer.run(
                main.me(), paths, dry_run=dry_run, all_or_nothing=all_or_nothing, progress=tick,
                exclusive=True,  # this process uses the store for the import alone: it may reopen it
            )  # fmt: skip
    except KeyboardInterrupt:
        kept = (
            "nothing was stored" if dry_run or all_or_nothing
            else "the batches committed before it are kept, the one in progress is not"
        )  # fmt: skip
        err.print(styled("interrupted:", "yellow", kept))
        err.print(
            styled(
                "what to do:", "dim", "run the same import again: records already stored come back unchanged"
            )
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    for i in summary.rejections:
        err.print(styled("rejected", "red", _said(i.where, i.error)))
        violations = getattr(i.error, "violations", [])
        if violations:
            violations_table(violations, console=err)
    verb = "would import" if dry_run else "imported"
    out.print(
        f"{verb} {summary.imported + summary.valid}, updated {summary.updated}, "
        f"unchanged {summary.unchanged}, "
        f"rejected {summary.rejected}"
    )
    raise typer.Exit(worst_exit(i.error for i in summary.rejections))


def export(
    format: Annotated[Fmt, typer.Option("--format")] = Fmt.turtle,
    out_file: Annotated[Path | None, typer.Option("--out", help="file to write (default: stdout)")] = None,
    include_deprecated: Annotated[bool, typer.Option(help="also export deprecated records")] = False,
) -> None:
    """Export the catalogue (latest revisions) as DCAT-AP."""
    if out_file is not None:
        check_writable(out_file)  # before the whole catalogue is read and serialised
    with main.registry() as reg, progress() as bar:
        task = bar.add_task("exporting", total=None)
        triples = reg.exporter.triples(
            main.me(),
            include_deprecated=include_deprecated,
            progress=lambda d, t: bar.update(task, completed=d, total=t),
        )
        data = serialize(list(triples), format_named(format.value), COMMON_PREFIXES)
    if out_file is None:
        sys.stdout.buffer.write(data)
    else:
        with writing(out_file):
            out_file.write_bytes(data)
        err.print(f"wrote {out_file} ({len(data)} bytes)")


def show(
    iri: str,
    revision: Annotated[
        int | None, typer.Option("--revision", help="revision number (default: latest)")
    ] = None,
    format: Annotated[Fmt, typer.Option("--format")] = Fmt.turtle,
) -> None:
    """Print a record (latest or a given revision) with its provenance."""
    with main.registry() as reg:
        rec = reg.records.get(main.me(), iri, revision)
    assert rec.revision is not None
    data = serialize([*rec.triples, *provenance(rec.revision)], format_named(format.value), COMMON_PREFIXES)
    sys.stdout.buffer.write(data)
    findings = findings_of(rec.revision.findings)
    if findings:  # on stderr: stdout stays the record's RDF, fit for a pipe
        n = len(findings)
        err.print(f"revision {rec.revision.number} was registered with {n} validation warning(s):")
        violations_table(findings, console=err)


def history(iri: str) -> None:
    """List every revision of a record."""
    from rich.table import Table

    with main.registry() as reg:
        revs = reg.records.history(main.me(), iri)
    table = Table(title=iri)
    for col in ("rev", "generated at", "by", "status", "warnings", "note"):
        table.add_column(col)
    for r in revs:
        status = f"deprecated: {r.reason}" if r.deprecated else ("draft" if not r.published else "")
        table.add_row(
            str(r.number), r.generated_at.isoformat(timespec="seconds"), r.attributed_to, status,
            str(len(r.findings)), r.note or "",
        )  # fmt: skip
    out.print(table)
    for r in revs:
        if r.findings:
            title = f"revision {r.number}: {len(r.findings)} validation warning(s)"
            violations_table(findings_of(r.findings), title=title)


def diff(iri: str, a: int, b: int) -> None:
    """Show the triples added (+) and removed (-) between revisions A and B."""
    with main.registry() as reg:
        d = reg.records.diff(main.me(), iri, a, b)
    for t in d.removed:
        out.print(Text(f"- {t} .", "red"))
    for t in d.added:
        out.print(Text(f"+ {t} .", "green"))
    out.print(f"{len(d.added)} added, {len(d.removed)} removed")


def deprecate(
    iri: str, reason: Annotated[str, typer.Option("--reason", help="why (shown to users)")]
) -> None:
    """Deprecate a record: it stays resolvable, marked deprecated with the reason."""
    with main.registry() as reg:
        rec = reg.records.deprecate(main.me(), iri, reason)
    assert rec.revision is not None
    out.print(f"deprecated {iri} at revision {rec.revision.number}")


def register(app: typer.Typer) -> None:
    app.command()(guarded(init))
    app.command()(guarded(validate))
    app.command("import")(guarded(import_))
    app.command()(guarded(export))
    app.command()(guarded(show))
    app.command()(guarded(history))
    app.command()(guarded(diff))
    app.command()(guarded(deprecate))


def _said(where: str, error: FairgridError | None) -> str:
    """The error's message, led by where it happened unless the message already names its source."""
    message = error.message if error else ""
    return message if message.startswith(where.split(": ", 1)[0]) else f"{where}: {message}"
