"""`fairgrid jobs`: submit, approve, reject, revoke, show and list training jobs (federation/jobs)."""

from __future__ import annotations

import hashlib
import json as jsonlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from api.cli import main
from api.cli.output import out, print_json, styled
from api.cli.records import guarded
from api.federation import job_service, training_service
from federation.jobs.record import JobSpec, JobView, job_json
from federation.jobs.service import JobService, custodian_approval, custodian_revocation
from federation.site.keys import existing_site_key
from registry.errors import InputError, Unavailable, UnreadableInput
from registry.wiring import Registry

app = typer.Typer(
    help="Training jobs: submit, approve (governance or a site's custodian), revoke, show, run, status.",
    no_args_is_help=True,  # as `site` and `terms`: the commands, not "Missing command."
)


def register(parent: typer.Typer) -> None:
    parent.add_typer(app, name="jobs")


def _service(reg: Registry) -> JobService:
    return job_service(reg)  # the composition root's, audited


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UnreadableInput(f"cannot read {path}: {exc.strerror}") from exc


def _json(text: str, what: str) -> Any:
    try:
        return jsonlib.loads(text)
    except ValueError as exc:
        raise InputError(f"{what} is not JSON: {exc}") from exc


def _when(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"{text[:60]!r} is not an ISO date-time (e.g. 2027-01-31T00:00:00+00:00)") from exc


def _show(job: JobView, as_json: bool) -> None:
    if as_json:
        print_json(job_json(job))
        return
    out.print(styled(job.spec.title, "bold", f"{job.iri}\nstate {job.state}; FAB {job.spec.fab_hash}"))
    out.print(f"sites {', '.join(job.spec.sites)}; run {jsonlib.dumps(job.run_config, sort_keys=True)}")
    table = Table(title="approvals")
    for col in ("approval", "authority", "site", "expires", "revoked"):
        table.add_column(col)
    revoked = {d.get("body", {}).get("approval_id") for d in job.revocations}
    for d in job.approvals:
        b = d["body"]
        until = datetime.fromtimestamp(b["expires"], UTC).isoformat()
        table.add_row(
            b["approval_id"], b["authority"], b["site"], until, "yes" if b["approval_id"] in revoked else ""
        )
    out.print(table)


@app.command()
@guarded
def submit(
    title: Annotated[str, typer.Option(help="what the job trains")],
    model: Annotated[str, typer.Option(help="IRI of the MLDCAT-AP model record")],
    criteria: Annotated[Path, typer.Option(help="cohort criteria (feasibility criteria JSON file)")],
    site: Annotated[list[str], typer.Option(help="target site id (repeat for several)")],
    purpose: Annotated[str, typer.Option(help="why; every approval binds this text")],
    expires: Annotated[str, typer.Option(help="ISO date-time with a zone, e.g. 2027-01-31T00:00:00+00:00")],
    fab: Annotated[Path | None, typer.Option(help="the Flower app bundle (.fab): its sha256 is used")] = None,
    fab_hash: Annotated[str | None, typer.Option(help="sha256 of the FAB (instead of --fab)")] = None,
    rounds: Annotated[int, typer.Option(help="federated rounds")] = 3,
    strategy: Annotated[str, typer.Option(help="FedAvg or FedProx")] = "FedAvg",
    privacy: Annotated[str, typer.Option(help="none, central or local differential privacy")] = "none",
    epsilon: Annotated[float | None, typer.Option(help="DP epsilon (with central or local)")] = None,
    gpu: Annotated[bool, typer.Option(help="run only at sites with a GPU")] = False,
    hyperparameters: Annotated[str, typer.Option(help="JSON object")] = "{}",
    json: Annotated[bool, typer.Option("--json", help="print the job as JSON")] = False,
) -> None:
    """Submit a training job; it waits for governance and each site's custodian."""
    if (fab is None) == (fab_hash is None):
        raise InputError("give either --fab FILE or --fab-hash HEX")
    digest = hashlib.sha256(_read(fab)).hexdigest() if fab is not None else str(fab_hash)
    spec = JobSpec(
        title=title, model=model, fab_hash=digest, criteria=_read(criteria).decode("utf-8", "replace"),
        sites=tuple(site), rounds=rounds, strategy=strategy, purpose=purpose, expires=_when(expires),
        hyperparameters=_json(hyperparameters, "--hyperparameters"), privacy=privacy, epsilon=epsilon,
        gpu=gpu,
    )  # fmt: skip
    with main.registry() as reg:
        _show(_service(reg).submit(main.me(), spec), json)


@app.command()
@guarded
def approve(
    job: Annotated[str, typer.Argument(help="job IRI")],
    site_home: Annotated[Path | None, typer.Option(help="a site home: sign as that site's custodian")] = None,
    site: Annotated[str | None, typer.Option(help="the site id (with --site-home)")] = None,
    json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Governance approval (signed with the hub's governance key), or with --site-home a custodian's."""
    with main.registry() as reg:
        jobs = _service(reg)
        if site_home is None:
            _show(jobs.approve(main.me(), job), json)
            return
        if site is None:
            raise InputError("--site-home needs --site (the site id it signs for)")
        key = existing_site_key(site_home)  # the site's own key, never a new one at a typo
        view = jobs.show(main.me(), job)
        doc = custodian_approval(key, view, site, main.me().subject)
        _show(jobs.add_custodian_approval(main.me(), job, doc), json)


@app.command()
@guarded
def reject(
    job: Annotated[str, typer.Argument(help="job IRI")],
    note: Annotated[str, typer.Option(help="why")],
    json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Reject a job (withdraws any governance approval it had)."""
    with main.registry() as reg:
        _show(_service(reg).reject(main.me(), job, note), json)


@app.command()
@guarded
def revoke(
    job: Annotated[str, typer.Argument(help="job IRI")],
    approval: Annotated[str, typer.Argument(help="approval id")],
    site_home: Annotated[
        Path | None, typer.Option(help="a site home: revoke that custodian's approval")
    ] = None,
    reason: Annotated[str, typer.Option()] = "",
    json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Revoke an approval; sites refuse the job from the moment they receive the revocation."""
    with main.registry() as reg:
        doc = (
            custodian_revocation(existing_site_key(site_home), approval, reason)
            if site_home is not None
            else None
        )
        _show(_service(reg).revoke(main.me(), job, approval, document=doc, reason=reason), json)


@app.command()
@guarded
def show(
    job: Annotated[str, typer.Argument(help="job IRI")],
    json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A job's settings, state, approvals and revocations."""
    with main.registry() as reg:
        _show(_service(reg).show(main.me(), job), json)


@app.command(name="list")
@guarded
def list_jobs(json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Training jobs in the registry."""
    with main.registry() as reg:
        jobs = _service(reg).list_jobs(main.me())
    if json:
        print_json([job_json(j) for j in jobs])
        return
    table = Table(title="training jobs")
    for col in ("job", "title", "state", "sites", "approvals"):
        table.add_column(col)
    for j in jobs:
        table.add_row(j.iri, j.spec.title, j.state, ", ".join(j.spec.sites), str(len(j.approvals)))
    out.print(table)


def _run_table(job: JobView) -> Table:
    run = job.run or {}
    table = Table(title=f"{job.state}: run {run.get('run_id', '-')}, round {run.get('round', 0)}/"
                        f"{run.get('rounds', job.spec.rounds)}")  # fmt: skip
    for col in ("site", "examples", "metrics (as the site disclosed them)"):
        table.add_column(col)
    for site, numbers in sorted((run.get("per_site") or {}).items()):
        rest = {k: v for k, v in numbers.items() if k != "num_examples"}
        table.add_row(site, str(numbers.get("num_examples", "-")), jsonlib.dumps(rest, sort_keys=True))
    for site, why in sorted((run.get("refused") or {}).items()):
        table.add_row(site, "-", f"left out: {why}")
    return table


def _status(job: JobView, as_json: bool) -> None:
    if as_json:
        print_json(job_json(job))
        return
    out.print(_run_table(job))
    run = job.run or {}
    if run.get("metrics"):
        out.print(f"aggregate {jsonlib.dumps(run['metrics'], sort_keys=True)}")
    if job.trained_model:
        out.print(Text.assemble("model ", (job.trained_model, "bold")))
    if run.get("error"):
        out.print(styled("failed:", "red", str(run["error"])))


@app.command()
@guarded
def run(
    job: Annotated[str, typer.Argument(help="job IRI")],
    follow: Annotated[bool, typer.Option(help="wait for the run and show each round")] = False,
    min_sites: Annotated[int | None, typer.Option(help="sites each round needs (default 2)")] = None,
    json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Start an approved job on the SuperLink (FAIRGRID_SUPERLINK_CONTROL) with the sites that may run it."""
    with main.registry() as reg:
        training = training_service(reg)
        view = training.start(main.me(), job, min_sites=min_sites)
        if not follow:
            _status(view, json)
            return
        with out.status("training") as spinner:

            def shown(v: JobView) -> None:
                r = v.run or {}
                spinner.update(f"training: round {r.get('round', 0)}/{r.get('rounds', '?')} ({v.state})")
                if r.get("history") and not json:
                    last = r["history"][-1]
                    out.print(f"round {last.get('round')}: {jsonlib.dumps(last.get('metrics', {}))}")

            view = training.follow(job, on_change=shown)
        _status(view, json)
        if view.state != "completed":
            raise typer.Exit(1)


@app.command()
@guarded
def status(
    job: Annotated[str, typer.Argument(help="job IRI")],
    json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A job's run: state, round, what each site disclosed, the registered model."""
    with main.registry() as reg:
        training = training_service(reg)
        view = training.jobs.show(main.me(), job)
        stale = None
        if view.state == "running" and training.runner is not None:
            try:
                view, _ = training.refresh(job)
            except Unavailable as exc:  # show what the record says, and why it may be behind
                stale = exc.message
        _status(view, json)
        if stale and not json:
            out.print(styled("as last recorded:", "yellow", stale))
