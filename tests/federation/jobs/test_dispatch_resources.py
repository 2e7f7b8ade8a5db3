"""Sites as `fairgrid site describe` publishes them (fg:gpuCount from site.yaml), in a real registry: a GPU
job is dispatched to the GPU site only; a CPU job to both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyoxigraph as ox
import pytest

from federation.jobs.approvals import governance_key
from federation.jobs.dispatch import TrainingService
from federation.jobs.record import JobSpec
from federation.jobs.service import JobService
from federation.site.describe import describe_site, to_turtle
from federation.site.home import init_site
from federation.site.store import SiteStore
from registry.errors import FairgridError
from registry.identity import local_operator
from registry.io.split import split
from registry.wiring import Registry
from tests.conftest import EXAMPLE
from tests.federation.jobs.test_dispatch import (
    ALICE,
    APP,
    CRITERIA,
    FAB,
    GOV,
    MODEL,
    FolderRunner,
    custodians,
)

SITES = ("site-gpu", "site-cpu")


def _register_described(reg: Registry, tmp_path: Path) -> dict[str, Path]:
    me = local_operator()
    homes = {}
    for sid, gpus in (("site-gpu", 1), ("site-cpu", 0)):
        home = init_site(tmp_path / sid, sid, secret="x", gpus=gpus, gpu_model="NVIDIA L40S" if gpus else "")
        with SiteStore(home.store_path) as store:
            turtle = to_turtle(describe_site(home, store, reg.settings))
        triples = [q.triple for q in ox.parse(turtle, format=ox.RdfFormat.TURTLE)]
        for draft in split(triples, base_iri=reg.settings.base_iri, allowed=(reg.settings.base_iri,)).drafts:
            data = ox.serialize(draft.triples, format=ox.RdfFormat.N_TRIPLES)
            assert data is not None
            reg.records.create(me, data, ox.RdfFormat.N_TRIPLES)
        homes[sid] = home.path
    return homes


def test_a_gpu_job_goes_to_the_described_gpu_site_only(reg: Registry, tmp_path: Path) -> None:
    reg.importer.run(local_operator(), [EXAMPLE])
    homes = _register_described(reg, tmp_path)
    jobs = JobService(reg.records, governance_key(reg.settings.home))
    runner = FolderRunner(tmp_path / "out")
    svc = TrainingService(jobs, runner, lambda: APP)
    started = []
    for gpu in (True, False):
        spec = JobSpec(
            title="MDS AML risk", model=MODEL, fab_hash=FAB, criteria=CRITERIA, sites=SITES, rounds=2,
            strategy="FedAvg", purpose="AML transformation risk", expires=datetime.now(UTC) + timedelta(days=9),
            hyperparameters={"lr": 0.05, "task": "mds-aml"}, gpu=gpu,
        )  # fmt: skip
        job = custodians(jobs, jobs.approve(GOV, jobs.submit(ALICE, spec).iri), homes, SITES)
        started.append(svc.start(GOV, job.iri, min_sites=1))
    gpu_job, cpu_job = started
    assert gpu_job.run is not None and cpu_job.run is not None
    assert gpu_job.run["sites"] == ["site-gpu"] and "fg:gpuCount" in gpu_job.run["refused"]["site-cpu"]
    assert runner.started[0][1] == ["site-gpu"] and runner.started[0][0]["gpu"] is True
    assert sorted(cpu_job.run["sites"]) == sorted(SITES) and cpu_job.run["refused"] == {}


def test_the_registry_refuses_a_negative_or_untyped_gpu_count(reg: Registry) -> None:
    for count in ('"-1"^^xsd:nonNegativeInteger', '"two"'):
        ttl = f"""@prefix fg: <https://w3id.org/fairgrid/ns#> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://w3id.org/fairgrid/site/site-x> a fg:Site, foaf:Organization ; foaf:name "Hospital X" ;
  fg:siteId "site-x" ; fg:gpuCount {count} ."""
        with pytest.raises(FairgridError, match="SHACL violation") as refused:
            reg.records.create(local_operator(), ttl, ox.RdfFormat.TURTLE)
        assert "gpuCount" in str(refused.value.details)
