"""`fairgrid publish IRI [--sandbox] [--dry-run]`: a record to Zenodo, its DOI written back."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli import main
from api.cli.output import err, out, print_json, styled
from api.cli.records import guarded
from api.federation import publish_service


def register(app: typer.Typer) -> None:
    app.command(name="publish")(guarded(publish))


def publish(
    iri: Annotated[str, typer.Argument(help="IRI of a published model, dataset or terminology record")],
    sandbox: Annotated[
        bool, typer.Option(help="deposit on the Zenodo sandbox (FAIRGRID_ZENODO_SANDBOX_URL)")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option(help="print the exact payload (metadata and files); send nothing")
    ] = False,
) -> None:
    """Publish a record to Zenodo (consortium members): metadata, files, then the DOI as a new revision.

    Zenodo is found through FAIRGRID_ZENODO_URL and FAIRGRID_ZENODO_TOKEN (the sandbox: the *_SANDBOX_*
    variables). Run it again after any failure: it resumes the same deposition, never a second one.
    """
    with main.registry() as reg, err.status("publishing", spinner="dots") as status:

        def progress(message: str) -> None:
            status.update(message)
            err.print(styled("·", "dim", message))

        service = publish_service(reg)
        result = service.publish(main.me(), iri, sandbox=sandbox, dry_run=dry_run, progress=progress)
    if result.dry_run:
        print_json(result.payload)
        return
    pub = result.published
    assert pub is not None
    out.print(styled("published", "bold green", iri))
    out.print(f"  DOI          https://doi.org/{pub.doi}")
    out.print(f"  concept DOI  https://doi.org/{pub.concept_doi}  (all versions)")
    out.print(f"  Zenodo       {pub.record_url}")
    if result.audit_warning:
        err.print(styled("warning:", "yellow", result.audit_warning))
    if result.writeback_error:
        err.print(styled("the DOI is not in the registry yet:", "yellow", result.writeback_error))
        err.print(
            styled(
                "what to do:",
                "dim",
                "run the same command again; it writes the DOI back without publishing again",
            )
        )
        raise typer.Exit(1)
    out.print(f"  registry     revision {result.revision} of {iri} holds the DOI")
