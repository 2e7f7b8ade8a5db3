"""Harvest commands: `harvest` a DCAT catalogue or FAIR Data Point, `review` the non-conformant records."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from api.cli import main
from api.cli.output import EXIT_INVALID, EXIT_OK, err, out, print_json, styled, violations_table
from api.cli.records import ReportFmt, guarded, progress
from registry.redact import redact
from registry.services.harvest import HarvestResult, HarvestSource

ORDER = ("imported", "updated", "unchanged", "non-conformant", "deprecated", "valid", "would deprecate",
         "rejected")  # fmt: skip


def harvest(
    source_id: Annotated[str, typer.Option("--source-id", help="the harvest source's id, e.g. fdp-leiden")],
    source: Annotated[
        str | None,
        typer.Argument(
            help="a file, a URL of a DCAT catalogue (any RDF format) or an FDP; "
            "default: the source FAIRGRID_HARVEST_SOURCES names --source-id"
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="check everything, store nothing")] = False,
    base: Annotated[
        str | None, typer.Option(help="keep record IRIs under this prefix (default: the URL's origin)")
    ] = None,
    format: Annotated[ReportFmt, typer.Option("--format", help="report format")] = ReportFmt.text,
) -> None:
    """Harvest every record of a source: follows hydra paging and FDP links, sends conditional requests,
    keeps records that violate the shapes as non-conformant drafts (`fairgrid review`) and deprecates
    the records the source no longer describes. Exit 0 done, 1 records rejected, 2 unreadable source,
    3 source unavailable (nothing changed)."""
    with main.registry(create=True) as reg, progress() as bar:
        src = HarvestSource(source_id, source, base) if source else reg.harvest.configured(source_id)
        task = bar.add_task("reading the source", total=None)

        def tick(url: str, documents: int) -> None:  # one request per document: an FDP is thousands
            bar.update(task, completed=documents, description=f"read {redact(url)[-60:]}")

        result = reg.harvest.harvest(main.me(), src, dry_run=dry_run, progress=tick)
    if format == ReportFmt.json:
        print_json(_as_json(result))
    else:
        _print(result)
    raise typer.Exit(EXIT_INVALID if result.counts["rejected"] else EXIT_OK)


def review(
    source: Annotated[str | None, typer.Option(help="only records of this harvest source")] = None,
    format: Annotated[ReportFmt, typer.Option("--format", help="report format")] = ReportFmt.text,
) -> None:
    """The review queue: harvested records kept as drafts because they violate the shapes, with their
    violations. A curator's fix that conforms (`fairgrid import`, PUT) or the source's next conforming
    version publishes them."""
    with main.registry() as reg:
        queue = reg.harvest.non_conformant(main.me(), source)
    if format == ReportFmt.json:
        print_json([
            {"record": q.iri, "kind": q.kind.value, "source": q.source, "revision": q.revision,
             "violations": [v.to_dict() for v in q.violations]}
            for q in queue
        ])  # fmt: skip
        return
    if not queue:
        out.print("review queue: no non-conformant records")
        return
    out.print(f"review queue: {len(queue)} non-conformant record(s)")
    for q in queue:
        out.print(styled(q.iri, "bold", f"({q.kind.value}, source {q.source}, draft revision {q.revision})"))
        violations_table(q.violations)


def _print(result: HarvestResult) -> None:
    what = "dry run of " if result.dry_run else ""
    where = redact(result.source.location)  # a source URL may carry user:password@ or ?token=
    out.print(
        f"{what}harvest {result.source.id} from {where}: {result.documents} document(s), "
        f"{result.not_modified} not modified since the last run"
    )
    table = Table()
    table.add_column("status")
    table.add_column("records", justify="right")
    for status in ORDER:
        if result.counts[status]:
            table.add_row(status, str(result.counts[status]))
    out.print(table)
    for item in result.items:
        if item.status == "non-conformant":
            out.print(
                styled(
                    "non-conformant",
                    "yellow",
                    f"{item.iri}: kept as a draft, {len(item.violations)} violation(s)",
                )
            )
        elif item.status == "rejected":
            err.print(styled("rejected", "red", f"{item.iri}: {item.error.message if item.error else ''}"))
        elif item.status in ("deprecated", "would deprecate"):
            out.print(f"{item.status} {item.iri} (no longer at the source)")


def _as_json(result: HarvestResult) -> dict[str, object]:
    return {
        "source": result.source.id, "location": redact(result.source.location), "dryRun": result.dry_run,
        "documents": result.documents, "notModified": result.not_modified, "counts": dict(result.counts),
        "records": [
            {"record": i.iri, "status": i.status, "violations": [v.to_dict() for v in i.violations],
             **({"error": i.error.to_dict()} if i.error and i.status == "rejected" else {})}
            for i in result.items
        ],
    }  # fmt: skip


def register(app: typer.Typer) -> None:
    app.command()(guarded(harvest))
    app.command()(guarded(review))
