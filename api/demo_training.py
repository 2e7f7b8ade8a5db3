"""The demo's governed training run: a job over the three demo sites, approved by governance and by each
site's custodian (signed with the key in the site's home), run on a real SuperLink and three SuperNodes
with their gates on localhost, and the model registered back as an MLDCAT-AP record.

It runs in the demo process before the hub is served (the registry is open here). Two demo sites hold
MDS patients (federation/site/demo.py: demo-mds, and demo-mm, the Cancer Centre that treats MDS as well
as MM), so the MDS job trains at both and needs `min-sites` 2; demo-scd (paediatric SCD only) is asked
too (it approved), sends no update for having fewer patients than its disclosure threshold, and the round
table says so. The gates' refusals and acceptances are in each site's audit log
(`<site home>/audit/gate.jsonl`).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from federation.hub.sites import HUB
from federation.jobs.dispatch import TrainingService
from federation.jobs.record import JobSpec, JobView
from federation.jobs.runner import LocalFlowerRunner
from federation.jobs.service import JobService, custodian_approval
from federation.signing import public_text
from federation.site.approvals_store import ApprovalsStore, pin_governance_key
from federation.site.demo import DEMO_SITES
from federation.site.keys import site_key
from registry.identity import Identity, Role
from registry.wiring import Registry

REQUESTER = Identity("demo-researcher", frozenset({Role.CONSORTIUM_MEMBER}))
GOVERNANCE = Identity("demo-governance-board", frozenset({Role.CONSORTIUM_MEMBER}))
MODEL = "https://w3id.org/fairgrid/model/mds-aml-progression"  # the example catalogue's model record
COHORT = {"inclusion": [[{"type": "diagnosis", "system": "icd10", "code": "D46"}]]}


def _n(numbers: dict[str, Any]) -> str:
    if "train_s" not in numbers:
        return "did not train"
    n = numbers.get("num_examples")
    return f"trained, n={int(n)}" if isinstance(n, int | float) else "trained, n below threshold"


def _table(job: JobView) -> Table:
    """One row per round. A target site missing from a round's line sent no update: it declined (fewer
    labelled patients than its threshold, as demo-scd for MDS) or failed; its reason stays at the site."""
    run = job.run or {}
    # Text title and cells: the caller's Console may read markup and ':emoji:' codes in strings
    table = Table(title=Text(f"training job: {job.state}, {run.get('round', 0)}/{run.get('rounds')} rounds"))
    for col in ("round", "seconds", "AUC", "sites (as each disclosed)"):
        table.add_column(col)
    for line in run.get("history", []):
        auc = (line.get("metrics") or {}).get("auc")
        shown = {s: _n(v) for s, v in (line.get("sites") or {}).items()}
        shown |= {s: "did not train (no update)" for s in job.spec.sites if s not in shown}
        sites = ", ".join(f"{s}: {v}" for s, v in sorted(shown.items()))
        took = line.get("ended", 0) - line.get("started", 0)
        cells = (str(line.get("round")), f"{took:.1f}", "-" if auc is None else f"{auc:.3f}", sites)
        table.add_row(*map(Text, cells))
    return table


def run(reg: Registry, home: Path, console: Console) -> JobView | None:
    """Submit, approve and run the demo job; None (and why) when the training extra is not installed."""
    try:
        from federation.training.appcode import app_dir
        from federation.training.fab import build_fab
        from federation.training.local import LocalFlower
    except ImportError as exc:
        console.print(Text(f"  training skipped: {exc.name} is not installed (pip install '.[train]')"))
        return None
    from api.federation import training_service

    sites = {sid: home / "demo-sites" / "sites" / sid for sid in sorted(DEMO_SITES.values())}
    fab = build_fab(app_dir())
    training = training_service(reg)
    jobs: JobService = training.jobs
    spec = JobSpec(
        title="MDS to AML within 2 years (demo)", model=MODEL, fab_hash=fab.hash, criteria=COHORT,
        sites=tuple(sites), rounds=2, strategy="FedAvg",
        purpose="Demo: risk of AML transformation within two years of an MDS diagnosis",
        expires=datetime.now(UTC) + timedelta(days=7),
        hyperparameters={"task": "mds-aml", "lr": 0.05, "local_epochs": 30, "hidden": 0},  # 2 rounds only
    )  # fmt: skip
    job = jobs.approve(GOVERNANCE, jobs.submit(REQUESTER, spec).iri)
    gov = public_text(jobs.governance_key.public_key())
    for sid, site_home in sites.items():
        custodian = Identity(f"custodian-{sid}", frozenset({Role.SITE_OPERATOR}), site=sid)
        signed = custodian_approval(site_key(site_home), job, sid, custodian.subject)
        job = jobs.add_custodian_approval(custodian, job.iri, signed)
    for site_home in sites.values():  # what each gate would sync from the hub, handed over here
        pin_governance_key(site_home, gov)
        ApprovalsStore(site_home).put(list(job.approvals), list(job.revocations))
    console.print(
        Text(f"  job {job.iri}: governance and {len(sites)} custodian approvals, FAB {fab.hash[:12]}…")
    )
    started = time.monotonic()
    with LocalFlower(home / "demo-training" / datetime.now(UTC).strftime("%Y%m%dT%H%M%S")) as flower:
        with console.status("starting a SuperLink and three SuperNodes with their gates"):
            for sid, site_home in sites.items():
                flower.add_node(sid, site_home)
            flower.wait_nodes(len(sites))
        dispatch = TrainingService(jobs, LocalFlowerRunner(flower), lambda: fab.content, audit=training.audit)
        job = dispatch.start(GOVERNANCE, job.iri, min_sites=2)  # demo-mds and demo-mm
        with console.status("training: 2 federated rounds") as status:

            def shown(view: JobView) -> None:
                status.update(f"training: round {(view.run or {}).get('round', 0)}/2 finished")

            job = dispatch.follow(job.iri, poll_s=1.0, timeout_s=300, on_change=shown)
    console.print(_table(job))
    run_doc = job.run or {}
    if job.state != "completed":
        console.print(Text.assemble("  ", (f"the run {job.state}", "red"), f": {run_doc.get('error', '')}"))
        return job
    final = run_doc.get("metrics") or {}
    console.print(
        Text.assemble(
            "  model ",
            (str(job.trained_model), "bold"),
            f" registered (MLDCAT-AP, PROV of run {run_doc.get('run_id')}); "
            f"final AUC {final.get('auc')}; {time.monotonic() - started:.0f} s with Flower",
        )
    )
    assert job.trained_model is not None
    reg.records.get(HUB, job.trained_model)  # it is there and readable
    return job
