"""CLI commands of the site side: `synth`, `etl` and the `site` group. Presentation only: each command
parses its options, calls federation/site/service.py (or synth) and prints the result.

The main CLI calls `register(app)`. Errors are printed and mapped to exit codes by api/cli/output.py, the one
mapping for every command: 0 ok, 1 invalid input, 2 unreadable input, 3 backend unavailable.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.cli.output import EXIT_INVALID, err, fail, out, writing
from registry.errors import FairgridError
from registry.identity import Identity

P = ParamSpec("P")
R = TypeVar("R")
HomeOpt = Annotated[
    Path,
    typer.Option("--home", envvar="FAIRGRID_SITE_HOME", help="site home directory (site init creates it)"),
]
SHOWN = 50  # rejected records listed before "... and N more"


def _handled(fn: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except FairgridError as exc:
            errors = exc.details.get("errors")
            if isinstance(errors, list):  # a refused load: every record with where and why
                _print_rejected([(str(item.get("where")), str(item.get("reason"))) for item in errors])
            fail(exc)

    return wrapper


def _me() -> Identity:
    """Whoever runs the CLI on the site machine operates its site (the main CLI's local operator)."""
    from api.cli.main import me

    return me()


@contextmanager
def _progress(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    cols = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*cols, console=err, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done: bar.advance(task, done)


def _print_rejected(rejected: list[tuple[str, str]], where_all: str = "") -> None:
    """The first rejected rows or resources, each with where it was and why."""
    for where, reason in rejected[:SHOWN]:
        err.print(f"  {where}: {reason}")
    if len(rejected) > SHOWN:
        err.print(f"  ... and {len(rejected) - SHOWN} more{where_all}")


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
    from federation.site import service

    with _progress("mapping rows", None) as tick:
        home, report = service.etl(_me(), site, mapping, csv_files, out=ndjson_out, progress=tick)
    _print_rejected(report.rejected, f" (see {home.quarantine_dir})")
    out.print(
        f"{report.rows} rows, {report.loaded} resources loaded, {report.unchanged} unchanged, "
        f"{len(report.rejected)} quarantined ({home.quarantine_dir})",
        highlight=False,
    )
    if report.rejected:
        raise typer.Exit(EXIT_INVALID)


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
    gpus: Annotated[int, typer.Option("--gpus", help="GPUs offered to approved training apps")] = 0,
    gpu_model: Annotated[str, typer.Option("--gpu-model", help="the GPUs' model name")] = "",
) -> None:
    """Create a site home: site.yaml (id, secret, threshold, resources; owner-only) and an empty store."""
    from federation.site import service

    service.init(_me(), home, site_id, threshold=threshold, organisation=organisation, email=email,
                 force=force, gpus=gpus, gpu_model=gpu_model)  # fmt: skip
    out.print(f"site {site_id} initialised in {home}", highlight=False)


@site_app.command("resources")
@_handled
def site_resources(
    home: HomeOpt,
    gpus: Annotated[int | None, typer.Option("--gpus", help="GPUs offered to approved training apps")] = None,
    gpu_model: Annotated[str | None, typer.Option("--gpu-model", help="the GPUs' model name")] = None,
) -> None:
    """Show, or declare, the training resources the site offers (published by `describe` as fg:gpuCount)."""
    from federation.site import service

    cfg = service.resources(_me(), home, gpus=gpus, gpu_model=gpu_model).config
    out.print_json(json.dumps({"site": cfg.site_id, "gpus": cfg.gpus, "gpu_model": cfg.gpu_model or None}))


@site_app.command("load")
@_handled
def site_load(
    paths: Annotated[
        list[Path],
        typer.Argument(help="NDJSON files, Bundle JSON files (either also gzipped, .gz) or directories"),
    ],
    home: HomeOpt,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="load good records, report bad")
    ] = False,
) -> None:
    """Load FHIR data into the site store: atomic, idempotent; any bad record fails the load by default.
    Folders contribute their FHIR files (a site folder as `synth` writes it loads as is); narrative text
    is never stored."""
    from federation.site import service

    inputs = service.plan_load(_me(), home, paths)
    with _progress("loading bytes", inputs.total_bytes) as tick:
        report = service.load(_me(), home, inputs, skip_invalid=skip_invalid, progress=tick)
    for where, why in report.skipped:
        err.print(f"note: skipped {where} ({why})")
    if report.narratives_dropped:
        err.print(f"note: narrative (text.div) of {report.narratives_dropped} resource(s) not stored")
    if report.passed_over:
        types = ", ".join(f"{rtype}: {n}" for rtype, n in sorted(report.passed_over.items()))
        err.print(f"note: passed over resources of types the CDM does not use ({types})", highlight=False)
    if report.not_counted:
        reasons = ", ".join(f"{why}: {n}" for why, n in sorted(report.not_counted.items()))
        err.print(f"note: stored but not counted, as their status says ({reasons})", highlight=False)
    _print_rejected(report.rejected)
    out.print(
        f"{report.read} read, {report.loaded} loaded, {report.unchanged} unchanged, "
        f"{len(report.rejected)} rejected",
        highlight=False,
    )
    if report.rejected:
        raise typer.Exit(EXIT_INVALID)


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
    from federation.site import service
    from federation.site.hub import register_with_hub

    ttl = service.describe(_me(), home)
    if out_file:
        with writing(out_file):
            out_file.write_text(ttl, encoding="utf-8")
        err.print(f"wrote {out_file}", highlight=False)
    else:
        typer.echo(ttl)
    if hub:
        done = register_with_hub(ttl, hub, token)
        err.print(
            f"{done.hub}: {len(done.created)} record(s) created, {len(done.updated)} updated, "
            f"{len(done.unchanged)} unchanged",
            highlight=False,
        )


@site_app.command("stats")
@_handled
def site_stats(home: HomeOpt) -> None:
    """Counts of patients and resources in the site store (local use: not disclosure-protected)."""
    from federation.site import service

    out.print_json(json.dumps(service.stats(_me(), home)))


@site_app.command("count")
@_handled
def site_count(
    home: HomeOpt,
    code: Annotated[list[str] | None, typer.Option("--code", help="ICD-10 code (with descendants)")] = None,
    sex: Annotated[str | None, typer.Option("--sex", help="male | female | other | unknown")] = None,
    min_age: Annotated[int | None, typer.Option("--min-age")] = None,
    max_age: Annotated[int | None, typer.Option("--max-age")] = None,
    variant: Annotated[
        list[str] | None, typer.Option("--variant", help="gene with a somatic variant")
    ] = None,
    medication: Annotated[list[str] | None, typer.Option("--medication", help="ATC code or name")] = None,
) -> None:
    """Count patients matching all criteria (local use)."""
    from federation.site import service

    selection = service.CountFilter(
        codes=code or [], sex=sex, min_age=min_age, max_age=max_age,
        variants=variant or [], medications=medication or [],
    )  # fmt: skip
    out.print(service.count(_me(), home, selection))


@site_app.command("features")
@_handled
def site_features(
    home: HomeOpt,
    use_case: Annotated[str, typer.Option("--use-case")],
    out_file: Annotated[Path, typer.Option("--out", help="CSV file")],
) -> None:
    """Write the training feature table of a use case (stays at the site)."""
    from federation.site import service

    table = service.features(_me(), home, use_case)
    with writing(out_file):
        table.to_csv(out_file)
    err.print(f"{len(table.rows)} rows x {len(table.columns)} columns -> {out_file}", highlight=False)


@site_app.command("gate")
@_handled
def site_gate(
    home: HomeOpt,
    supernode: Annotated[str, typer.Option("--supernode", help="the SuperNode's Runtime API, host:port")],
    hub: Annotated[str | None, typer.Option("--hub", help="hub API base URL to sync approvals from")] = None,
    token: Annotated[
        str | None,
        typer.Option("--token", envvar="FAIRGRID_TOKEN", help="site-operator token for the hub"),
    ] = None,
    gpu: Annotated[
        bool | None,
        typer.Option("--gpu/--no-gpu", help="override site.yaml's resources (default: GPU iff gpus > 0)"),
    ] = None,
    secret_file: Annotated[
        Path | None, typer.Option("--secret-file", help="the SuperNode's --superexec-auth-secret-file")
    ] = None,
    governance_key: Annotated[
        str | None, typer.Option("--governance-key", help="pin the consortium's governance public key")
    ] = None,
) -> None:
    """The only launcher of ClientApps at this site: checks each task's app against the approvals held."""
    import logging

    from federation.site import gate_runner

    cfg = gate_runner.gate_config(home, supernode, hub=hub, token=token, gpu=gpu, secret_file=secret_file,
                                  governance_key=governance_key)  # fmt: skip
    logging.basicConfig(level=logging.INFO, format="%(levelname)s gate: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    err.print(f"site gate for {cfg.site} serving the SuperNode at {supernode}", highlight=False)
    gate_runner.serve(cfg)


def register(app: typer.Typer) -> None:
    app.command("synth")(_handled(synth))
    app.command("etl")(_handled(etl))
    app.add_typer(site_app, name="site")
