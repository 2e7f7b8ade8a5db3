"""fairgrid's main job on embedded defaults (`make demo`).

Initialises a registry home, registers the bundled terminologies and the consortium's example
catalogue, sets up three synthetic hospital sites (MDS, SCD, MM) and registers the dataset
descriptions they derive from their own data, then indexes everything and prints a summary.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.table import Table
from rich.text import Text

from api.cli.output import data_console, styled
from api.harvest_demo import harvest_demo_source
from federation.site.demo import build_demo_sites
from federation.site.export_sample import load_sample
from registry.config import Settings
from registry.identity import ANONYMOUS, local_operator
from registry.search.port import Facet, SearchFilter, SearchQuery
from registry.terminology_files import terminology_files
from registry.validation.bundle import example_catalogue
from registry.vocab import Kind
from registry.wiring import Registry, open_registry

console = data_console()


def register(reg: Registry, label: str, paths: list[Path]) -> None:
    summary = reg.importer.run(local_operator("demo"), paths)
    console.print(
        f"  {label}: {summary.imported} imported, {summary.updated} updated, {summary.unchanged} unchanged, "
        f"{summary.rejected} rejected"
    )
    for item in summary.rejections:
        said = f"{item.where}: {item.error.message if item.error else ''}"
        console.print(styled("rejected", "red", said, indent="    "))


def setup_sites(home: Path) -> list[Path]:
    with console.status("synthesising three hospital sites and loading their stores"):
        described = build_demo_sites(home / "demo-sites")
    report, myeloma, measurable = load_sample()
    passed = ", ".join(f"{rtype} {n}" for rtype, n in sorted(report.passed_over.items()))
    void = ", ".join(f"{why} {n}" for why, n in sorted(report.not_counted.items()))
    console.print(
        "a FHIR server export as hospitals send it (gzipped; ICD-10-GM; a lab's own code before LOINC; "
        f"M-protein <0.5; a refuted diagnosis): {report.read} read, {report.loaded} loaded, "
        f"{len(report.rejected)} rejected; not counted: {void}; passed over: {passed}; "
        f"myeloma {myeloma} patients, measurable (M-protein >= 0.5 g/dL) {measurable}",
        highlight=False,
    )
    return described


def summary(reg: Registry) -> None:
    table = Table(title="fairgrid registry")
    table.add_column("kind")
    table.add_column("records", justify="right")
    for kind in Kind:
        n = reg.store.count(kind)
        if n:
            table.add_row(kind.value, str(n))
    console.print(table)
    me = local_operator("demo")
    result = reg.search.search(
        me,
        SearchQuery(
            text="myelodysplastic", filters=SearchFilter(diseases=["D46"]), facets=[Facet.ACCESS_RIGHTS]
        ),
    )
    console.print(f"search 'myelodysplastic' with disease D46 (and descendants): {result.total} record(s)")
    # as people type them: WHO's ICD-10 writes "Waldenström" and "Sickle-cell anaemia" (registry/folding.py)
    found = []
    for typed in ("waldenstrom", "sickle cell anemia"):
        codes = [c.notation or c.iri for c in reg.terms.search(ANONYMOUS, typed, limit=4)]
        found.append(f"'{typed}': {', '.join(codes) or 'none'}")
    console.print("terms as typed (no accents, either spelling): " + "; ".join(found))
    # a dataset is found by its coded diseases' names, and the text takes OR and -word (text_query.py)
    counts = []
    for typed in ("sickle cell anaemia", "myeloma OR sickle", "myeloma -treatment"):
        asked = SearchQuery(text=typed, filters=SearchFilter(kinds=[Kind.DATASET.value]), first=0)
        counts.append(f"'{typed}': {reg.search.search(ANONYMOUS, asked).total}")
    console.print("datasets found by text: " + "; ".join(counts))
    datasets = SearchQuery(filters=SearchFilter(kinds=[Kind.DATASET.value]), first=0)
    public = reg.search.search(ANONYMOUS, datasets).total
    console.print(f"datasets anonymous callers find (published metadata is public): {public}")
    for hit in result.hits[:5]:
        console.print(Text.assemble(f"  • {hit.title}  ", (hit.iri, "dim")))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--no-sites", action="store_true", help="skip the synthetic hospital sites")
    ap.add_argument("--serve", action="store_true", help="then serve the hub, connect the sites, ask them")
    ap.add_argument("--once", action="store_true", help="with --serve: stop after the federated question")
    ap.add_argument("--no-training", action="store_true", help="with --serve: skip the governed training run")
    args = ap.parse_args(argv)
    settings = Settings.from_env()
    settings.home.mkdir(parents=True, exist_ok=True)
    console.print(styled("fairgrid demo", "bold", f"— home {settings.home.resolve()}"))
    reg = open_registry(settings)
    try:
        register(reg, "terminologies", terminology_files(settings.ontologies_dir, settings.terminology_set))
        register(reg, "example catalogue", [example_catalogue(settings.ontologies_dir)])
        if not args.no_sites:
            described = setup_sites(settings.home)
            if described:
                register(reg, "site dataset descriptions", described)
        harvest_demo_source(reg, console)  # a FAIR Data Point export, and the review queue it leaves
        if args.serve and not args.no_sites and not args.no_training:
            from api import demo_training

            console.print(
                Text.assemble(
                    "\n", ("Governed federated training", "bold"), " (Flower, the three demo sites)"
                )
            )
            job = demo_training.run(reg, settings.home, console)
            from api import demo_publish

            demo_publish.publish_step(reg, console, settings.port, job.trained_model if job else None)
        # A full rebuild, not just the outbox: an index left by an earlier run may carry older visibility
        # flags (metadata of RESTRICTED datasets used to be hidden from anonymous callers).
        n = reg.search.reindex(local_operator("demo"))
        console.print(f"  search index: {n} records indexed")
        summary(reg)
    finally:
        reg.close()
    port = settings.port
    console.print(
        Text.assemble(
            "\n",
            ("GraphiQL:", "bold"),
            f" http://127.0.0.1:{port}/graphql   (REST and linked data: /docs, /catalog)",
        )
    )
    console.print(
        styled(
            "In a browser:",
            "bold",
            f"http://127.0.0.1:{port}/ (search), http://127.0.0.1:{port}/catalog "
            "(every record, linked to its landing page; RDF clients get DCAT-AP there)",
        )
    )
    console.print("Two queries to paste there:")
    for q in EXAMPLE_QUERIES:
        print(q)  # plain: Rich would wrap the lines
    console.print(
        "Curators: `fairgrid dev-token --role curator` gives a token for the mutations (accepted because "
        "`make demo` serves with FAIRGRID_DEV_AUTH=1, development sign-in)."
    )
    if args.serve and not args.no_sites:
        from api import demo_federation

        return demo_federation.run(settings, port, once=args.once)
    return 0


EXAMPLE_QUERIES = (
    """query MDSDatasets {
  search(text: "patients", filter: {diseases: ["D46"]}, facets: [ACCESS_RIGHTS, DISEASE]) {
    totalCount
    hits { iri title snippet }
    facets { facet buckets { label count } }
  }
}""",
    """query Concept {
  concept(iri: "C90") { label notation descendants { notation label } }
}""",
)


if __name__ == "__main__":
    sys.exit(main())
