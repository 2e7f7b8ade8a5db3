"""Dispatch of approved training jobs: start the Flower run, follow it, register the model it produced.

The hub asks only sites it believes will run the job: each must hold a valid governance approval and its
custodian's approval for the job's FAB hash and run configuration, neither expired nor revoked (checked
with the same `decide` the site gates use, against the governance key and the key in the Site record),
and, for a job that needs a GPU, declare one (fg:gpuCount > 0). Fewer such sites than `min_sites` and
nothing starts. The sites' gates still decide for themselves: this check is what the hub asks for, not
what protects a site.

Every change is a new revision of the job record (state, run id, round, the metrics sites disclosed) and
an entry in the hub's audit log. A completed run's model and metrics are copied to
`<hub home>/models/<slug>/` and registered as an MLDCAT-AP record (federation/jobs/model_record.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from federation.hub.audit import HubAudit
from federation.hub.sites import HUB
from federation.jobs.audit_entry import audit_job
from federation.jobs.model_record import TrainedModel, datasets_for, model_triples
from federation.jobs.record import JobView
from federation.jobs.runner import Runner, RunStatus, run_metrics
from federation.jobs.service import JobService
from federation.signing import public_key
from federation.site.gate import GateKeys, decide
from federation.training.flowerconfig import app_defaults, check_declared, flower_run_config
from registry.errors import AlreadyExists, Conflict, InputError, NotFound, StaleRevision, Unavailable
from registry.identity import Identity, Role
from registry.model import Record
from registry.vocab import FG, Kind

STARTERS = (Role.CONSORTIUM_MEMBER,)  # admin is implied
ARTIFACTS = ("model.safetensors", "metrics.json")  # copied from the run's output
SERVED = (*ARTIFACTS, "model-card.md")  # and the card the hub writes from the record
MODELS_DIR = "models"
_REFRESHING = threading.Lock()
MAX_MISSES = 10  # consecutive unanswered status reads before follow() gives up
FOAF_NAME = "http://xmlns.com/foaf/0.1/name"
SAFE_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,80}\Z")


class NotDispatchable(Conflict):
    code = "not_dispatchable"


@dataclass(frozen=True)
class Selection:
    sites: tuple[str, ...]  # site ids that will be asked
    refused: dict[str, str]  # site id -> why it is left out
    approvals: tuple[str, ...]  # approval ids the selected sites rest on


def select_sites(
    job: JobView, governance: Any, site_keys: dict[str, str | None], gpus: dict[str, int], now: float
) -> Selection:
    """Which target sites hold valid approvals for this job's app and configuration and fit its resources."""
    chosen: list[str] = []
    refused: dict[str, str] = {}
    used: list[str] = []
    for site in job.spec.sites:
        key = site_keys.get(site)
        if key is None:
            refused[site] = "the Site record has no fg:signingKey"
            continue
        d = decide(site, GateKeys(governance, public_key(key)), job.spec.fab_hash, job.run_config,
                   job.approvals, job.revocations, now)  # fmt: skip
        if not d.allowed:
            refused[site] = d.reason
        elif job.spec.gpu and gpus.get(site, 0) < 1:
            refused[site] = "the job needs a GPU and the site declares none (fg:gpuCount)"
        else:
            chosen.append(site)
            used += d.approvals
    return Selection(tuple(chosen), refused, tuple(used))


def model_slug(job_iri: str) -> str:
    tail = job_iri.rstrip("/").rsplit("/", 1)[-1].lower()
    slug = (
        re.sub(r"[^a-z0-9-]", "-", tail)[:60].strip("-") or hashlib.sha256(job_iri.encode()).hexdigest()[:16]
    )
    return f"trained-{slug}"


class TrainingService:
    def __init__(
        self,
        jobs: JobService,
        runner: Runner | None,
        fab: Callable[[], bytes],
        *,
        audit: HubAudit | None = None,
        models_home: Path | None = None,
    ) -> None:
        self.jobs = jobs
        self.records = jobs.records
        self.runner = runner
        self.fab = fab
        self.audit = audit
        self.models_home = models_home or self.records.settings.home

    # --- starting ---------------------------------------------------------------------------------

    def start(self, identity: Identity, iri: str, *, min_sites: int | None = None) -> JobView:
        identity.require(*STARTERS, action="start training jobs")
        job = self.jobs.show(identity, iri)  # consortium-only metadata: the caller must be able to read it
        if job.state == "rejected":
            raise NotDispatchable(f"{iri} was rejected; it cannot run")
        if job.state in ("running", "completed"):
            raise NotDispatchable(f"{iri} is already {job.state} (run {(job.run or {}).get('run_id')})")
        if job.state == "submitted":
            raise NotDispatchable(f"{iri} has no governance approval yet", hint="fairgrid jobs approve IRI")
        now = datetime.now(UTC)
        if job.spec.expires <= now:
            raise NotDispatchable(f"{iri} expired at {job.spec.expires.isoformat()}")
        need = min(2, len(job.spec.sites)) if min_sites is None else min_sites
        if isinstance(need, bool) or not isinstance(need, int) or not 1 <= need <= len(job.spec.sites):
            raise InputError(
                f"min_sites must be a whole number from 1 to {len(job.spec.sites)} (the target sites)"
            )
        sel = self.selection(job, now.timestamp())
        if len(sel.sites) < need:
            why = "; ".join(f"{s}: {r}" for s, r in sorted(sel.refused.items()))
            raise NotDispatchable(
                f"{iri}: {len(sel.sites)} site(s) may run it, {need} needed ({why})",
                hint="each target site's custodian approves with `fairgrid jobs approve --site`",
            )
        fab = self.fab()
        if hashlib.sha256(fab).hexdigest() != job.spec.fab_hash:
            raise NotDispatchable(
                f"the app the hub would send is not the one approved for {iri} (FAB hash differs)"
            )
        if self.runner is None:
            raise NotDispatchable(
                "no SuperLink is configured (FAIRGRID_SUPERLINK_CONTROL) and none runs locally"
            )
        flat = flower_run_config(job.spec, iri, min_sites=need)
        check_declared(flat, app_defaults(fab))
        run_id = self.runner.start(fab, flat, list(sel.sites))
        run = {
            "run_id": run_id, "sites": list(sel.sites), "refused": sel.refused,
            "approvals": list(sel.approvals),
            "min_sites": need, "started": now.isoformat(), "round": 0, "rounds": job.spec.rounds,
            "metrics": {}, "per_site": {}, "history": [], "state": "running", "started_by": identity.subject,
        }  # fmt: skip
        saved = self._save(job, "running", run)
        asked = [{"site": s, "status": "asked"} for s in sel.sites]
        left = [{"site": s, "status": "left out", "reason": r} for s, r in sel.refused.items()]
        self._audit(identity, "training-start", iri, asked + left)
        return saved

    def selection(self, job: JobView, now: float) -> Selection:
        gov = self.jobs.governance_key.public_key()
        sites = self._site_records()
        keys = {sid: rec.value(FG + "signingKey") for sid, rec in sites.items()}
        gpus = {sid: int(rec.value(FG + "gpuCount") or 0) for sid, rec in sites.items()}
        return select_sites(job, gov, keys, gpus, now)

    # --- following --------------------------------------------------------------------------------

    def refresh(self, iri: str) -> tuple[JobView, RunStatus | None]:
        """Read the run's status once and record what changed (round, disclosed metrics, the end)."""
        with _REFRESHING:  # a follower and a reader in one process: one at a time records the change
            return self._refresh(iri)

    def _refresh(self, iri: str) -> tuple[JobView, RunStatus | None]:
        job = self.jobs.show(HUB, iri)
        run = job.run
        if job.state != "running" or run is None or self.runner is None:
            return job, None
        status = self.runner.status(str(run["run_id"]))
        new = {
            **run, "round": status.round, "metrics": status.metrics, "per_site": status.sites,
            "history": [_history_line(h) for h in status.history],
        }  # fmt: skip
        if status.state == "completed" and status.artifacts is not None:
            new["ended"] = datetime.now(UTC).isoformat()
            new["model"] = self._register(job, new, status)
            new["state"] = "completed"
            job = self._save(job, "completed", new)
            self._audit(
                HUB, "training-completed", iri, [{"site": s, "status": "trained"} for s in new["sites"]]
            )
        elif status.finished:
            new.update(
                ended=datetime.now(UTC).isoformat(), state="failed", error=status.error or status.state
            )
            job = self._save(job, "failed", new)
            self._audit(HUB, "training-failed", iri, [{"site": s, "status": "failed"} for s in new["sites"]])
        elif new != run:
            job = self._save(job, "running", new)
        return job, status

    def follow(
        self, iri: str, *, poll_s: float = 1.0, timeout_s: float = 3600.0,
        on_change: Callable[[JobView], None] | None = None,
    ) -> JobView:  # fmt: skip
        """Poll until the run ends (or `timeout_s`); the job as last recorded."""
        deadline = time.monotonic() + timeout_s
        seen: Any = None
        misses = 0
        while True:
            try:
                job, _ = self.refresh(iri)
                misses = 0
            except StaleRevision:  # another process recorded the same change first: read again
                time.sleep(poll_s)
                continue
            except Unavailable:
                # a SuperLink busy for a moment is not a failed run; one gone for good is reported
                misses += 1
                if misses >= MAX_MISSES or time.monotonic() > deadline:
                    raise
                time.sleep(poll_s)
                continue
            if on_change is not None and job.run != seen:
                on_change(job)
            seen = job.run
            if job.state != "running" or time.monotonic() > deadline:
                return job
            time.sleep(poll_s)

    def stop(self, identity: Identity, iri: str) -> JobView:
        identity.require(*STARTERS, action="stop training jobs")
        job = self.jobs.show(identity, iri)
        if job.state != "running" or job.run is None or self.runner is None:
            raise NotDispatchable(f"{iri} is not running")
        self.runner.stop(str(job.run["run_id"]))
        job, _ = self.refresh(iri)
        return job

    # --- results ----------------------------------------------------------------------------------

    def _register(self, job: JobView, run: dict[str, Any], status: RunStatus) -> str:
        assert status.artifacts is not None
        slug = model_slug(job.iri)
        dest = self.models_home / MODELS_DIR / slug
        dest.mkdir(parents=True, exist_ok=True)
        for name in ARTIFACTS:
            shutil.copyfile(status.artifacts / name, dest / name)
        metrics = run_metrics(dest)
        sites = self._site_records()
        took_part = [s for s in _trained_last(run) or metrics.get("sites") or run["sites"] if s in sites]
        site_iris = [sites[s].iri for s in took_part]
        base = self.records.settings.base_iri
        final = metrics.get("final") if isinstance(metrics.get("final"), dict) else {}
        model = TrainedModel(
            iri=f"{base}model/{slug}", slug=slug, job=job.iri, job_title=job.spec.title,
            task=str(job.spec.hyperparameters.get("task") or metrics.get("task") or ""),
            run_id=str(run["run_id"]),
            started=datetime.fromisoformat(run["started"]), ended=datetime.fromisoformat(run["ended"]),
            rounds=int(status.round), run_config=job.run_config, approvals=tuple(run.get("approvals") or ()),
            sites=tuple(site_iris), datasets=tuple(self._datasets(site_iris, job)),
            metrics={k: v for k, v in (final or {}).items() if isinstance(v, int | float | str)},
            history=tuple(run["history"]), download_base=f"{base}{MODELS_DIR}/{slug}/",
        )  # fmt: skip
        names = {sid: str(rec.value(FOAF_NAME) or sid) for sid, rec in sites.items()}
        (dest / "model-card.md").write_text(_card(model, job, names, dest / "metrics.json"), encoding="utf-8")
        data = ox.serialize(model_triples(model), format=ox.RdfFormat.N_TRIPLES)
        assert data is not None
        with contextlib.suppress(AlreadyExists):  # another follower of this job registered it (one IRI a job)
            self.records.create(HUB, data, ox.RdfFormat.N_TRIPLES, source=f"training job {job.iri}")
        return model.iri

    def _datasets(self, site_iris: list[str], job: JobView) -> list[str]:
        heads = self.records.list_records(HUB, Kind.DATASET, 0, 1000)
        found = self.records.get_many(HUB, [h.iri for h in heads if h.published and not h.deprecated])
        recs = [r for r in found.values() if isinstance(r, Record)]
        return datasets_for(recs, site_iris, str(job.spec.hyperparameters.get("task") or ""))

    # --- helpers ----------------------------------------------------------------------------------

    def _site_records(self) -> dict[str, Record]:
        entries = self.jobs.sites.sites()
        found = self.records.get_many(HUB, [e.iri for e in entries.values()])
        return {sid: r for sid, e in entries.items() if isinstance(r := found.get(e.iri), Record)}

    def _save(self, job: JobView, state: str, run: dict[str, Any]) -> JobView:
        self.jobs.save_view(HUB, replace(job, state=state, run=run))
        return self.jobs.show(HUB, job.iri)

    def _audit(self, identity: Identity, what: str, iri: str, sites: list[dict[str, Any]]) -> None:
        audit_job(self.audit, "train", identity, what, iri, sites)  # a failed write only warns


def model_file(home: Path, slug: str, name: str) -> Path:
    """A registered model's file under `<home>/models/<slug>/`: only the artifacts by their own names."""
    if name not in SERVED or not SAFE_NAME.match(slug):
        raise NotFound("no such model file")
    path = home / MODELS_DIR / slug / name
    if not path.is_file():
        raise NotFound(f"model {slug} has no {name}")
    return path


def _card(model: TrainedModel, job: JobView, site_names: dict[str, str], metrics: Path) -> str:
    """model-card.md (registry/publish's card, the one a Zenodo package carries), from the record's facts."""
    from registry.publish.model_card import CardFacts, render_card
    from registry.publish.training import read_run

    facts = CardFacts(
        title=f"Federated model: {model.job_title}", iri=model.iri,
        description=f"Trained with Flower for job {job.iri} ({job.spec.purpose}).", version=model.run_id,
        licence="CC BY 4.0", creators=["fairgrid consortium"], datasets=[(d, d) for d in model.datasets],
        site_names=site_names, cohort=job.criteria, publication_year=str(model.ended.year),
    )  # fmt: skip
    return render_card(facts, read_run(metrics))


def _trained_last(run: dict[str, Any]) -> list[str]:
    """The sites whose training the last round aggregated (a site that only evaluated trained nothing)."""
    history = run.get("history") or [{}]
    return sorted(
        s for s, v in (history[-1].get("sites") or {}).items() if isinstance(v, dict) and "train_s" in v
    )


def _history_line(line: dict[str, Any]) -> dict[str, Any]:
    """A progress line as kept on the job record: round, times, loss, metrics, what each site disclosed."""
    keep = ("round", "started", "ended", "train_loss", "metrics", "sites")
    return {k: line[k] for k in keep if k in line}
