"""Dispatch through a real registry: who may start a job, which sites are asked, what is refused, and the
model registered from a run's outputs (SHACL-valid MLDCAT-AP with PROV).

The runner here is a Runner adapter over a folder laid out as the training contract says the ServerApp
writes it; the real SuperLink path is tests/federation/training/test_end_to_end.py.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import zipfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyoxigraph as ox
import pytest

from federation.hub.audit import HubAudit
from federation.jobs.approvals import governance_key
from federation.jobs.dispatch import NotDispatchable, TrainingService
from federation.jobs.record import JobSpec, JobView
from federation.jobs.runner import RunStatus, Scalar
from federation.jobs.service import JobService, custodian_approval, custodian_revocation
from federation.signing import public_text
from federation.site.keys import site_key
from registry.errors import InputError, PermissionDenied, Unavailable
from registry.identity import Identity, Role, local_operator
from registry.vocab import FG, MLDCAT
from registry.wiring import Registry
from tests.conftest import EXAMPLE


def _bundle() -> bytes:
    """A stand-in FAB: a zip whose pyproject.toml declares the bundled training app's run config (the
    hub reads what the app declares from it before it starts a run)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("pyproject.toml", (REPO / "federation/training/app/pyproject.toml").read_text("utf-8"))
    return buf.getvalue()


REPO = Path(__file__).resolve().parents[3]
APP = _bundle()
FAB = hashlib.sha256(APP).hexdigest()
MODEL = "https://w3id.org/fairgrid/model/mds-aml-progression"
ALICE = Identity("alice", frozenset({Role.CONSORTIUM_MEMBER}))
GOV = Identity("gov-board", frozenset({Role.CONSORTIUM_MEMBER}))
RESEARCHER = Identity("rita", frozenset({Role.RESEARCHER}))
CRITERIA = {"inclusion": [[{"type": "diagnosis", "system": "icd10", "code": "D46"}]]}
SITES = ("site-a", "site-b", "site-c")
GPUS = {"site-a": 1, "site-b": 0, "site-c": 2}
PROV = "http://www.w3.org/ns/prov#"


def site_ttl(site: str, key: str) -> str:
    return f"""@prefix fg: <https://w3id.org/fairgrid/ns#> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://w3id.org/fairgrid/site/{site}> a fg:Site, foaf:Organization ; foaf:name "Hospital {site}" ;
  fg:siteId "{site}" ; fg:signingKey "{key}" ; fg:gpuCount "{GPUS[site]}"^^xsd:nonNegativeInteger ."""


class FolderRunner:
    """A Runner whose 'SuperLink' is a folder: each start makes a run; tests write its outputs."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.started: list[tuple[dict[str, Scalar], list[str]]] = []
        self.unanswered = 0  # status reads to leave unanswered (a SuperLink busy for a moment)

    def start(self, fab: bytes, run_config: Mapping[str, Scalar], sites: list[str]) -> str:
        self.started.append((dict(run_config), sites))
        run_id = str(1000 + len(self.started))
        (self.out / run_id).mkdir(parents=True)
        return run_id

    def status(self, run_id: str) -> RunStatus:
        if self.unanswered:
            self.unanswered -= 1
            raise Unavailable("the SuperLink did not answer")
        folder = self.out / run_id
        lines = [json.loads(x) for x in (folder / "progress.jsonl").read_text().splitlines()] if (
            folder / "progress.jsonl").exists() else []  # fmt: skip
        done = json.loads((folder / "done.json").read_text()) if (folder / "done.json").exists() else None
        last = lines[-1] if lines else {}
        state = "running" if done is None else done["status"]
        return RunStatus(run_id, state, last.get("round", 0), 2, last.get("sites", {}), tuple(lines),
                         last.get("metrics", {}), done.get("error") if done else None,
                         folder if state == "completed" else None)  # fmt: skip

    def stop(self, run_id: str) -> None:
        (self.out / run_id / "done.json").write_text(json.dumps({"status": "stopped"}))


@pytest.fixture
def world(reg: Registry, tmp_path: Path) -> tuple[TrainingService, JobService, FolderRunner, dict[str, Path]]:
    me = local_operator()
    reg.importer.run(me, [EXAMPLE])
    homes = {s: tmp_path / s for s in SITES}
    for s, h in homes.items():
        reg.records.create(me, site_ttl(s, public_text(site_key(h))), ox.RdfFormat.TURTLE)
        ds = f"""@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix fg: <https://w3id.org/fairgrid/ns#> .
<https://w3id.org/fairgrid/dataset/{s}-mds> a dcat:Dataset ; dct:identifier "{s}-mds" ;
  dct:title "MDS cohort at {s}"@en ; dct:description "Site data."@en ;
  fg:hostedAt <https://w3id.org/fairgrid/site/{s}> ."""
        reg.records.create(me, ds, ox.RdfFormat.TURTLE)
    jobs = JobService(reg.records, governance_key(reg.settings.home))
    runner = FolderRunner(tmp_path / "out")
    return TrainingService(jobs, runner, lambda: APP), jobs, runner, homes


def submit(jobs: JobService, *, gpu: bool = False, approve: tuple[str, ...] = SITES) -> JobView:
    spec = JobSpec(
        title="MDS AML risk", model=MODEL, fab_hash=FAB, criteria=CRITERIA, sites=SITES, rounds=2,
        strategy="FedAvg", purpose="AML transformation risk", expires=datetime.now(UTC) + timedelta(days=9),
        hyperparameters={"lr": 0.05, "task": "mds-aml"}, gpu=gpu,
    )  # fmt: skip
    return jobs.submit(ALICE, spec)


def custodians(jobs: JobService, job: JobView, homes: dict[str, Path], sites: tuple[str, ...]) -> JobView:
    for s in sites:
        op = Identity(f"op-{s}", frozenset({Role.SITE_OPERATOR}), site=s)
        job = jobs.add_custodian_approval(
            op, job.iri, custodian_approval(site_key(homes[s]), job, s, f"c-{s}")
        )
    return job


def test_refusals_name_the_reason_and_change_nothing(world) -> None:  # type: ignore[no-untyped-def]
    svc, jobs, runner, homes = world
    job = submit(jobs)
    with pytest.raises(PermissionDenied):
        svc.start(RESEARCHER, job.iri)
    with pytest.raises(NotDispatchable, match="no governance approval"):
        svc.start(GOV, job.iri)
    job = jobs.approve(GOV, job.iri)
    with pytest.raises(NotDispatchable, match="0 site.*2 needed.*site-a: no custodian approval"):
        svc.start(GOV, job.iri)
    job = custodians(jobs, job, homes, ("site-a",))
    with pytest.raises(NotDispatchable, match="1 site"):
        svc.start(GOV, job.iri)
    with pytest.raises(InputError, match="min_sites"):
        svc.start(GOV, job.iri, min_sites=4)
    job = custodians(jobs, job, homes, ("site-b",))
    # a custodian revokes: site-b no longer counts
    appr = next(d["body"]["approval_id"] for d in job.approvals
                if d["body"]["authority"] == "custodian" and d["body"]["site"] == "site-b")  # fmt: skip
    op_b = Identity("op-b", frozenset({Role.SITE_OPERATOR}), site="site-b")
    jobs.revoke(op_b, job.iri, appr, document=custodian_revocation(site_key(homes["site-b"]), appr))
    with pytest.raises(NotDispatchable, match="site-b: the custodian approval .* was revoked"):
        svc.start(GOV, job.iri)
    assert runner.started == [] and jobs.show(GOV, job.iri).state == "approved"
    # a hub whose app differs from the approved one sends nothing
    svc_other = TrainingService(jobs, runner, lambda: b"another app")
    job = custodians(jobs, jobs.show(GOV, job.iri), homes, ("site-b",))
    with pytest.raises(NotDispatchable, match="FAB hash differs"):
        svc_other.start(GOV, job.iri)
    assert runner.started == []


@pytest.mark.parametrize(
    ("hyperparameters", "why"),
    [
        ({"learning_rate": 0.1}, "'learning_rate' is not one the training app declares"),
        ({"lr": "fast"}, "lr must be a number"),
        ({"local_epochs": 2.5}, "local_epochs must be a whole number"),
        ({"hidden": True}, "hidden must be a whole number"),
    ],
)
def test_a_hyperparameter_the_app_does_not_declare_is_refused_before_the_run(  # type: ignore[no-untyped-def]
    world, hyperparameters: dict[str, object], why: str
) -> None:
    # the SuperLink refuses undeclared keys too, as a start failure; here the hub says which, before
    # anything is sent
    svc, jobs, runner, homes = world
    spec = JobSpec(
        title="MDS AML risk", model=MODEL, fab_hash=FAB, criteria=CRITERIA, sites=SITES, rounds=2,
        strategy="FedAvg", purpose="AML transformation risk", expires=datetime.now(UTC) + timedelta(days=9),
        hyperparameters={"task": "mds-aml", **hyperparameters},
    )  # fmt: skip
    job = custodians(jobs, jobs.approve(GOV, jobs.submit(ALICE, spec).iri), homes, SITES)
    with pytest.raises(InputError, match=why) as err:
        svc.start(GOV, job.iri)
    assert "must be" in why or "local_epochs, lr, proximal_mu" in (err.value.hint or "")
    assert runner.started == [] and jobs.show(GOV, job.iri).state == "approved"


def test_rejected_and_running_jobs_do_not_start(world) -> None:  # type: ignore[no-untyped-def]
    svc, jobs, runner, homes = world
    job = jobs.reject(GOV, submit(jobs).iri, "out of scope")
    with pytest.raises(NotDispatchable, match="rejected"):
        svc.start(GOV, job.iri)
    job = custodians(jobs, jobs.approve(GOV, submit(jobs).iri), homes, SITES)
    svc.start(GOV, job.iri)
    with pytest.raises(NotDispatchable, match="already running"):
        svc.start(GOV, job.iri)
    assert len(runner.started) == 1


def test_a_failed_audit_write_does_not_fail_a_started_run(  # type: ignore[no-untyped-def]
    world, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _, jobs, runner, homes = world
    audit = HubAudit(tmp_path / "audit.sqlite")
    audit.close()  # every write now fails (sqlite3.ProgrammingError)
    svc = TrainingService(jobs, runner, lambda: APP, audit=audit)
    job = custodians(jobs, jobs.approve(GOV, submit(jobs).iri), homes, SITES)
    with caplog.at_level(logging.WARNING, logger="fairgrid.audit"):
        job = svc.start(GOV, job.iri)  # the run started and is recorded: the caller is told so
    assert job.state == "running" and len(runner.started) == 1
    assert "did not take training-start" in caplog.text


def test_gpu_jobs_go_to_gpu_sites_only(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, jobs, runner, homes = world
    audit = HubAudit(tmp_path / "audit.sqlite")
    svc = TrainingService(jobs, runner, lambda: APP, audit=audit)
    job = custodians(jobs, jobs.approve(GOV, submit(jobs, gpu=True).iri), homes, SITES)
    job = svc.start(GOV, job.iri)
    (entry,) = audit.entries()
    assert entry["user"] == "gov-board" and entry["source"] == "training-start" and entry["query"] == job.iri
    assert {(s["site"], s["status"]) for s in entry["sites"]} == {
        ("site-a", "asked"),
        ("site-c", "asked"),
        ("site-b", "left out"),
    }
    assert job.state == "running" and job.run is not None
    assert job.run["sites"] == ["site-a", "site-c"] and "GPU" in job.run["refused"]["site-b"]
    flat, sites = runner.started[0]
    assert sites == ["site-a", "site-c"] and flat["gpu"] is True and flat["min-sites"] == 2
    assert flat["num-server-rounds"] == 2 and flat["task"] == "mds-aml" and flat["job"] == job.iri


def _write_round(folder: Path, n: int, auc: float) -> None:
    line = {"round": n, "started": 1.0, "ended": 2.0, "train_loss": 0.6, "metrics": {"auc": auc},
            "sites": {"site-a": {"num_examples": 120, "auc": auc, "train_s": 0.2},
                      "site-c": {"num_examples": 80, "train_s": 0.3}, "site-b": {"auc": 0.5}}}  # fmt: skip
    with (folder / "progress.jsonl").open("a") as f:
        f.write(json.dumps(line) + "\n")


def test_a_completed_run_registers_a_valid_model_with_prov(world, reg: Registry) -> None:  # type: ignore[no-untyped-def]
    svc, jobs, runner, homes = world
    job = custodians(jobs, jobs.approve(GOV, submit(jobs).iri), homes, ("site-a", "site-c"))
    job = svc.start(GOV, job.iri)
    assert job.run is not None
    folder = runner.out / job.run["run_id"]
    _write_round(folder, 1, 0.61)
    job, status = svc.refresh(job.iri)
    assert job.state == "running" and job.run is not None and job.run["round"] == 1
    assert job.run["per_site"]["site-a"]["auc"] == 0.61 and status is not None
    _write_round(folder, 2, 0.7)
    (folder / "model.safetensors").write_bytes(b"weights")
    (folder / "metrics.json").write_text(json.dumps(
        {"task": "mds-aml", "final": {"auc": 0.7, "num_examples": 200}, "sites": ["site-a", "site-c"]}))  # fmt: skip
    (folder / "done.json").write_text(json.dumps({"status": "completed"}))
    job = svc.follow(job.iri, poll_s=0.01)
    assert job.state == "completed" and job.trained_model is not None
    stored = reg.settings.home / "models" / job.trained_model.rsplit("/", 1)[-1]
    assert (stored / "model.safetensors").read_bytes() == b"weights"
    card = (stored / "model-card.md").read_text()
    assert "# Model card: Federated model: MDS AML risk" in card and "Hospital site" in card, card
    model = reg.records.get(GOV, job.trained_model)  # stored = SHACL-valid
    assert {v.value for v in model.values(MLDCAT + "trainedOn")} == {
        "https://w3id.org/fairgrid/dataset/site-a-mds",
        "https://w3id.org/fairgrid/dataset/site-c-mds",
    }
    run = ox.NamedNode(job.trained_model + "#run")
    by = {(t.predicate.value, str(getattr(t.object, "value", ""))) for t in model.triples if t.subject == run}
    assert (PROV + "wasAssociatedWith", "https://w3id.org/fairgrid/site/site-a") in by
    assert (FG + "trainingJob", job.iri) in by and (FG + "roundsCompleted", "2") in by
    used = {o for p, o in by if p == PROV + "used"}
    assert job.iri in used and len(used) == 1 + len(job.run["approvals"]) == 5  # type: ignore[index]
    assert jobs.show(GOV, job.iri).trained_model == job.trained_model


def test_a_failed_run_is_recorded_as_failed(world) -> None:  # type: ignore[no-untyped-def]
    svc, jobs, runner, homes = world
    job = svc.start(GOV, custodians(jobs, jobs.approve(GOV, submit(jobs).iri), homes, SITES).iri)
    assert job.run is not None
    (runner.out / job.run["run_id"] / "done.json").write_text(
        json.dumps({"status": "failed", "error": "boom"})
    )
    job = svc.follow(job.iri, poll_s=0.01)
    assert job.state == "failed" and job.run is not None and job.run["error"] == "boom"
    assert job.trained_model is None


def test_follow_rides_out_a_busy_superlink_but_not_a_gone_one(world) -> None:  # type: ignore[no-untyped-def]
    svc, jobs, runner, homes = world
    job = svc.start(GOV, custodians(jobs, jobs.approve(GOV, submit(jobs).iri), homes, SITES).iri)
    assert job.run is not None
    (runner.out / job.run["run_id"] / "done.json").write_text(json.dumps({"status": "failed", "error": "x"}))
    runner.unanswered = 3
    assert svc.follow(job.iri, poll_s=0.01).state == "failed"
    job = svc.start(GOV, custodians(jobs, jobs.approve(GOV, submit(jobs).iri), homes, SITES).iri)
    runner.unanswered = 1000
    with pytest.raises(Unavailable):
        svc.follow(job.iri, poll_s=0.01)
    assert jobs.show(GOV, job.iri).state == "running"  # not marked failed: nobody knows it failed


def test_two_followers_register_one_model(world, reg: Registry) -> None:  # type: ignore[no-untyped-def]
    svc, jobs, runner, homes = world
    job = svc.start(GOV, custodians(jobs, jobs.approve(GOV, submit(jobs).iri), homes, SITES).iri)
    assert job.run is not None
    folder = runner.out / job.run["run_id"]
    _write_round(folder, 1, 0.6)
    (folder / "model.safetensors").write_bytes(b"w")
    (folder / "metrics.json").write_text(json.dumps({"final": {"auc": 0.6}, "sites": ["site-a"]}))
    (folder / "done.json").write_text(json.dumps({"status": "completed"}))
    other = TrainingService(jobs, runner, lambda: APP)  # e.g. the GraphQL follower and a reader
    with ThreadPoolExecutor(2) as pool:
        views = list(pool.map(lambda s: s.follow(job.iri, poll_s=0.01), (svc, other)))
    assert {v.state for v in views} == {"completed"} and len({v.trained_model for v in views}) == 1
    assert [r.number for r in reg.records.history(GOV, views[0].trained_model)] == [1]
