"""CLI commands of the site side: `synth`, `etl` and the `site` group. Presentation only.

The main CLI calls `register(app)`. Errors from registry/errors.py are printed with their hint; exit code 1
for bad data, 2 for unreadable input (missing files, undecodable CSV, no such site home).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from registry.errors import FairgridError, NotFound

F = TypeVar("F", bound=Callable[..., Any])
err = Console(stderr=True)
out = Console()
HomeOpt = Annotated[
    Path,
    typer.Option("--home", envvar="FAIRGRID_SITE_HOME", help="site home directory (site init creates it)"),
]


def _fail(e: FairgridError) -> None:
    err.print(f"[red]error:[/red] {e.message}", markup=True, highlight=False)
    for item in (e.details.get("errors") or [])[:20]:
        err.print(f"  {item['where']}: {item['reason']}", markup=False, highlight=False)
    n = len(e.details.get("errors") or [])
    if n > 20:
        err.print(f"  ... and {n - 20} more", markup=False)
    if e.hint:
        err.print(f"[yellow]hint:[/yellow] {e.hint}", markup=True, highlight=False)
    raise typer.Exit(2 if e.details.get("exit") == 2 or isinstance(e, NotFound) else 1)


def _handled(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except FairgridError as e:
            _fail(e)

    return wrapper  # type: ignore[return-value]


@contextmanager
def _progress(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    cols = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*cols, console=err, transient=True) as p:
        task = p.add_task(label, total=total)
        yield lambda n: p.advance(task, n)


def synth(
    use_case: Annotated[str, typer.Option("--use-case", help="mds | scd | mm")],
    out_dir: Annotated[Path, typer.Option("--out", help="output directory")],
    sites: Annotated[int, typer.Option("--sites", help="number of sites")] = 3,
    patients: Annotated[int, typer.Option("--patients", help="patients per site")] = 1000,
    seed: Annotated[int, typer.Option("--seed")] = 1,
) -> None:
    """Synthetic multi-site cohorts: FHIR NDJSON and the hospital CSV export per site."""
    from federation.synth.run import synthesize

    with _progress("synthesising", sites * patients) as tick:
        summary = synthesize(use_case, sites, patients, seed, out_dir, tick)
    out.print_json(json.dumps(summary))


def etl(
    mapping: Annotated[Path, typer.Option("--mapping", help="mapping YAML (see federation/etl/mappings/)")],
    site: Annotated[Path, typer.Option("--site", help="site home to load into")],
    csv_files: Annotated[list[Path], typer.Argument(help="CSV files of the hospital export")],
    ndjson_out: Annotated[Path | None, typer.Option("--out", help="also write the FHIR NDJSON here")] = None,
) -> None:
    """Map a hospital CSV export to pseudonymised FHIR, validate, quarantine bad rows, load good ones."""
    from federation.etl.etl import load_mapping, run_etl
    from federation.site.home import open_site
    from federation.site.store import SiteStore

    home = open_site(site)
    m = load_mapping(mapping)
    with SiteStore(home.store_path) as store, _progress("mapping rows", None) as tick:
        report = run_etl(home, store, m, csv_files, out=ndjson_out, progress=tick)
    _print_rejected(report.rejected, f" (see {home.quarantine_dir})")
    out.print(
        f"{report.rows} rows, {report.loaded} resources loaded, {report.unchanged} unchanged, "
        f"{len(report.rejected)} quarantined ({home.quarantine_dir})",
        highlight=False,
    )
    if report.rejected:
        raise typer.Exit(1)


def _print_rejected(rejected: list[tuple[str, str]], where_all: str = "") -> None:
    """The first 50 rejected rows or resources, each with where it was and why."""
    for where, reason in rejected[:50]:
        err.print(f"  {where}: {reason}", markup=False, highlight=False)
    if len(rejected) > 50:
        err.print(f"  ... and {len(rejected) - 50} more{where_all}", markup=False)


site_app = typer.Typer(
    help="A site node: its home, store, loads and dataset descriptions.", no_args_is_help=True
)


@site_app.command("init")
@_handled
def site_init(
    site_id: Annotated[str, typer.Option("--site-id")],
    home: HomeOpt,
    threshold: Annotated[int, typer.Option("--threshold", help="small-cell threshold")] = 10,
    organisation: Annotated[str, typer.Option("--organisation")] = "",
    email: Annotated[str, typer.Option("--email", help="data access contact")] = "",
    force: Annotated[bool, typer.Option("--force", help="reset an existing home (drops its store)")] = False,
) -> None:
    """Create a site home: site.yaml (id, secret, threshold) and an empty store."""
    from federation.site.home import init_site
    from federation.site.store import SiteStore

    h = init_site(home, site_id, threshold=threshold, organisation=organisation, email=email, force=force)
    SiteStore(h.store_path).close()
    out.print(f"site {site_id} initialised in {home}", highlight=False)


@site_app.command("load")
@_handled
def site_load(
    paths: Annotated[list[Path], typer.Argument(help="NDJSON files, Bundle JSON files or directories")],
    home: HomeOpt,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="load good records, report bad")
    ] = False,
) -> None:
    """Load FHIR data into the site store: atomic, idempotent; any bad record fails the load by default."""
    from federation.site.home import open_site
    from federation.site.reader import expand
    from federation.site.store import SiteStore

    h = open_site(home)
    files = expand(paths)
    total = sum(f.stat().st_size for f in files)
    with SiteStore(h.store_path) as store, _progress("loading bytes", total) as tick:
        report = store.load(files, strict=not skip_invalid, progress=tick)
    _print_rejected(report.rejected)
    out.print(
        f"{report.read} read, {report.loaded} loaded, {report.unchanged} unchanged, "
        f"{len(report.rejected)} rejected",
        highlight=False,
    )
    if report.rejected:
        raise typer.Exit(1)


@site_app.command("describe")
@_handled
def site_describe(
    home: HomeOpt,
    out_file: Annotated[Path | None, typer.Option("--out", help="Turtle file (default: stdout)")] = None,
    hub: Annotated[str | None, typer.Option("--hub", help="hub API base URL to register with")] = None,
    token: Annotated[
        str | None,
        typer.Option("--token", envvar="FAIRGRID_TOKEN", help="bearer token for the hub (curator)"),
    ] = None,
) -> None:
    """HealthDCAT-AP dataset records for the site's data, with small-cell protection."""
    from federation.site.describe import describe_site, register_with_hub, to_turtle
    from federation.site.home import open_site
    from federation.site.store import SiteStore

    h = open_site(home)
    with SiteStore(h.store_path, read_only=True) as store:
        ttl = to_turtle(describe_site(h, store))
    if out_file:
        out_file.write_text(ttl, encoding="utf-8")
        err.print(f"wrote {out_file}", highlight=False)
    else:
        typer.echo(ttl)
    if hub:
        err.print(register_with_hub(ttl, hub, token), highlight=False)


@site_app.command("stats")
@_handled
def site_stats(home: HomeOpt) -> None:
    """Counts of patients and resources in the site store (local use: not disclosure-protected)."""
    from federation.site.home import open_site
    from federation.site.store import SiteStore

    h = open_site(home)
    with SiteStore(h.store_path, read_only=True) as store:
        out.print_json(json.dumps({"site": h.config.site_id, **store.stats()}))


@site_app.command("count")
@_handled
def site_count(
    home: HomeOpt,
    code: Annotated[list[str] | None, typer.Option("--code", help="ICD-10 code (with descendants)")] = None,
    sex: Annotated[str | None, typer.Option("--sex")] = None,
    min_age: Annotated[int | None, typer.Option("--min-age")] = None,
    max_age: Annotated[int | None, typer.Option("--max-age")] = None,
    variant: Annotated[
        list[str] | None, typer.Option("--variant", help="gene with a somatic variant")
    ] = None,
    medication: Annotated[list[str] | None, typer.Option("--medication", help="ATC code or name")] = None,
) -> None:
    """Count patients matching all criteria (local use)."""
    from federation.site import queries as q
    from federation.site.home import open_site
    from federation.site.store import SiteStore

    crit: list[q.Criterion] = []
    if code:
        crit.append(q.HasCondition(code))
    if sex:
        crit.append(q.Sex(sex))
    if min_age is not None or max_age is not None:
        crit.append(q.AgeBetween(min_age, max_age, at=date.today()))
    crit += [q.HasVariant(g) for g in variant or []] + [q.OnMedication(m) for m in medication or []]
    h = open_site(home)
    with SiteStore(h.store_path, read_only=True) as store:
        out.print(q.count(store, *crit))


@site_app.command("features")
@_handled
def site_features(
    home: HomeOpt,
    use_case: Annotated[str, typer.Option("--use-case")],
    out_file: Annotated[Path, typer.Option("--out", help="CSV file")],
) -> None:
    """Write the training feature table of a use case (stays at the site)."""
    from federation.site.features import feature_table
    from federation.site.home import open_site
    from federation.site.store import SiteStore

    h = open_site(home)
    with SiteStore(h.store_path, read_only=True) as store:
        table = feature_table(store, use_case)
    table.to_csv(out_file)
    err.print(f"{len(table.rows)} rows x {len(table.columns)} columns -> {out_file}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("synth")(_handled(synth))
    app.command("etl")(_handled(etl))
    app.add_typer(site_app, name="site")
