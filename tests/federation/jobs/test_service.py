"""Training jobs through a real registry: submit, governance and custodian approvals, and the site gate."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyoxigraph as ox
import pytest

from federation.hub.audit import HubAudit
from federation.jobs.approvals import ApprovalError, governance_key
from federation.jobs.record import JobSpec
from federation.jobs.service import JobService, custodian_approval, custodian_revocation
from federation.signing import public_text
from federation.site.gate import Gate, GateKeys
from federation.site.keys import site_key
from federation.training.flowerconfig import app_defaults
from registry.errors import (
    Conflict,
    InputError,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    ValidationFailed,
)
from registry.identity import ANONYMOUS, Identity, Role, local_operator
from registry.wiring import Registry
from tests.conftest import EXAMPLE
from tests.federation.jobs.test_dispatch import APP as APP_BUNDLE

FAB = hashlib.sha256(b"fab bytes").hexdigest()
MODEL = "https://w3id.org/fairgrid/model/mds-aml-progression"
ALICE = Identity("alice", frozenset({Role.CONSORTIUM_MEMBER}))  # requester
GOV = Identity("gov-board", frozenset({Role.CONSORTIUM_MEMBER}))
OP_A = Identity("op-a", frozenset({Role.SITE_OPERATOR}), site="site-a")
OP_B = Identity("op-b", frozenset({Role.SITE_OPERATOR}), site="site-b")
SITES = ("site-a", "site-b")
CRITERIA = {"inclusion": [[{"type": "diagnosis", "system": "icd10", "code": "D46"}]]}


def site_ttl(site: str, key: str) -> str:
    return f"""@prefix fg: <https://w3id.org/fairgrid/ns#> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .
<https://w3id.org/fairgrid/site/{site}> a fg:Site, foaf:Organization ; foaf:name "Hospital {site}" ;
  fg:siteId "{site}" ; fg:signingKey "{key}" ."""


@pytest.fixture
def world(reg: Registry, tmp_path: Path) -> tuple[JobService, dict[str, Path]]:
    me = local_operator()
    reg.importer.run(me, [EXAMPLE])
    homes = {s: tmp_path / s for s in ("site-a", "site-b")}
    for s, h in homes.items():
        reg.records.create(me, site_ttl(s, public_text(site_key(h))), ox.RdfFormat.TURTLE)
    return JobService(reg.records, governance_key(reg.settings.home)), homes


def spec(**changes: object) -> JobSpec:
    base = JobSpec(
        title="MDS AML risk, round one", model=MODEL, fab_hash=FAB, criteria=CRITERIA,
        sites=("site-a", "site-b"), rounds=3, strategy="FedAvg", purpose="AML transformation risk",
        expires=datetime.now(UTC) + timedelta(days=30), hyperparameters={"lr": 0.01},
        privacy="central", epsilon=2.0,
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def test_submit_stores_a_conforming_consortium_only_record(world: tuple[JobService, dict[str, Path]]) -> None:
    jobs, _ = world
    job = jobs.submit(ALICE, spec())
    assert job.state == "submitted" and job.spec.sites == ("site-a", "site-b")
    assert job.spec.fab_hash == FAB and job.spec.epsilon == 2.0 and job.spec.rounds == 3
    assert '"D46"' in job.criteria  # the canonical criteria JSON
    assert jobs.show(GOV, job.iri).iri == job.iri
    with pytest.raises((NotFound, Unauthenticated)):
        jobs.show(ANONYMOUS, job.iri)
    assert [j.iri for j in jobs.list_jobs(GOV)] == [job.iri]


@pytest.mark.parametrize(
    "changes",
    [
        {"fab_hash": "abc"},
        {"fab_hash": FAB.upper()},
        {"sites": ("nowhere",)},
        {"sites": ()},
        {"rounds": 0},
        {"strategy": "FedSGD"},
        {"privacy": "central", "epsilon": None},
        {"privacy": "none", "epsilon": 1.0},
        {"criteria": {"inclusion": []}},
        {"criteria": "not json"},
        {"expires": datetime.now(UTC) - timedelta(days=1)},
        {"model": "https://w3id.org/fairgrid/dataset/mds-registry-hub-a"},  # not a model record
    ],
)
def test_bad_job_refused_and_nothing_stored(
    world: tuple[JobService, dict[str, Path]], reg: Registry, changes: dict[str, object]
) -> None:
    jobs, _ = world
    before = reg.store.dump()
    with pytest.raises((InputError, ValidationFailed)):
        jobs.submit(ALICE, spec(**changes))
    assert reg.store.dump() == before


def test_a_setting_the_app_would_ignore_is_refused_at_submit(
    world: tuple[JobService, dict[str, Path]], reg: Registry
) -> None:
    # the SuperLink would refuse the run only at its start, after every custodian approved it; the hub
    # that holds the app says so at submit
    _ = world  # the example catalogue and the two sites
    declared = app_defaults(APP_BUNDLE)
    jobs = JobService(reg.records, governance_key(reg.settings.home),
                      app_config=lambda h: declared if h == FAB else None)  # fmt: skip
    before = reg.store.dump()
    with pytest.raises(InputError, match="'learning_rate' is not one the training app declares"):
        jobs.submit(ALICE, spec(hyperparameters={"learning_rate": 0.1}))
    with pytest.raises(InputError, match="hidden must be a whole number"):
        jobs.submit(ALICE, spec(hyperparameters={"hidden": 1.5}))
    assert reg.store.dump() == before
    assert jobs.submit(ALICE, spec(hyperparameters={"lr": 0.05, "hidden": 0})).state == "submitted"
    # an app this hub does not hold: nothing to check against (dispatch checks again at start)
    assert (
        jobs.submit(ALICE, spec(fab_hash="1" * 64, hyperparameters={"learning_rate": 0.1})).state
        == "submitted"
    )


def test_roles(world: tuple[JobService, dict[str, Path]]) -> None:
    jobs, _ = world
    with pytest.raises(PermissionDenied):
        jobs.submit(Identity("r", frozenset({Role.RESEARCHER})), spec())
    job = jobs.submit(ALICE, spec())
    with pytest.raises(PermissionDenied):
        jobs.approve(ALICE, job.iri)  # the requester may not approve their own job
    with pytest.raises(PermissionDenied):
        jobs.approve(OP_A, job.iri)


def test_approved_job_passes_the_gate_and_revocation_stops_it(
    world: tuple[JobService, dict[str, Path]],
) -> None:
    jobs, homes = world
    job = jobs.approve(GOV, jobs.submit(ALICE, spec()).iri)
    assert job.state == "approved" and len(job.approvals) == 2  # one governance approval per site
    key_a = site_key(homes["site-a"])
    doc = custodian_approval(key_a, job, "site-a", "custodian-a")
    with pytest.raises(PermissionDenied):
        jobs.add_custodian_approval(OP_B, job.iri, doc)  # another site's operator
    job = jobs.add_custodian_approval(OP_A, job.iri, doc)
    forged = custodian_approval(key_a, job, "site-b", "x")  # site-b's approval signed with site-a's key
    with pytest.raises(ApprovalError):
        jobs.add_custodian_approval(OP_B, job.iri, forged)

    gov_pub = governance_key(jobs.records.settings.home).public_key()
    gate_a = Gate("site-a", GateKeys(gov_pub, key_a.public_key()))
    gate_b = Gate("site-b", GateKeys(gov_pub, site_key(homes["site-b"]).public_key()))
    assert gate_a.check(FAB, job.run_config, job.approvals, job.revocations).allowed
    assert not gate_b.check(FAB, job.run_config, job.approvals, job.revocations).allowed  # no custodian yet
    assert not gate_a.check(FAB, {**job.run_config, "rounds": 4}, job.approvals).allowed

    custodian_id = doc["body"]["approval_id"]
    job = jobs.revoke(OP_A, job.iri, custodian_id, document=custodian_revocation(key_a, custodian_id))
    d = gate_a.check(FAB, job.run_config, job.approvals, job.revocations)
    assert not d.allowed and "revoked" in d.reason


def test_governance_revocation_and_rejection(world: tuple[JobService, dict[str, Path]]) -> None:
    jobs, homes = world
    job = jobs.approve(GOV, jobs.submit(ALICE, spec()).iri)
    key_a = site_key(homes["site-a"])
    job = jobs.add_custodian_approval(OP_A, job.iri, custodian_approval(key_a, job, "site-a", "c"))
    gov_id = next(d["body"]["approval_id"] for d in job.approvals
                  if d["body"]["authority"] == "governance" and d["body"]["site"] == "site-a")  # fmt: skip
    job = jobs.revoke(GOV, job.iri, gov_id, reason="ethics review")
    gate = Gate(
        "site-a", GateKeys(governance_key(jobs.records.settings.home).public_key(), key_a.public_key())
    )
    assert not gate.check(FAB, job.run_config, job.approvals, job.revocations).allowed

    other = jobs.approve(GOV, jobs.submit(ALICE, spec()).iri)
    other = jobs.reject(GOV, other.iri, "purpose too broad")
    assert other.state == "rejected" and len(other.revocations) == 2
    with pytest.raises(Conflict):
        jobs.approve(GOV, other.iri)


def test_each_committed_decision_is_in_the_hub_audit_log(
    world: tuple[JobService, dict[str, Path]], tmp_path: Path
) -> None:
    plain, homes = world
    audit = HubAudit(tmp_path / "audit.sqlite")
    jobs = JobService(plain.records, plain.governance_key, audit=audit)
    key_a = site_key(homes["site-a"])
    job = jobs.submit(ALICE, spec())
    with pytest.raises(PermissionDenied):
        jobs.approve(ALICE, job.iri)  # refused: nothing committed, nothing logged
    job = jobs.approve(GOV, job.iri)
    doc = custodian_approval(key_a, job, "site-a", "custodian-a")
    job = jobs.add_custodian_approval(OP_A, job.iri, doc)
    custodian_id = doc["body"]["approval_id"]
    jobs.revoke(OP_A, job.iri, custodian_id, document=custodian_revocation(key_a, custodian_id))
    jobs.reject(GOV, job.iri, "purpose too broad")

    entries = audit.entries()
    assert [(e["source"], e["user"]) for e in entries] == [
        ("job-submitted", "alice"),
        ("job-approved", "gov-board"),
        ("job-custodian-approved", "op-a"),
        ("job-revoked", "op-a"),
        ("job-rejected", "gov-board"),
    ]
    assert all(e["query"] == job.iri for e in entries)
    submitted, approved, custodian, revoked, rejected = (e["sites"] for e in entries)
    assert [(s["site"], s["status"]) for s in submitted] == [("site-a", "submitted"), ("site-b", "submitted")]
    gov_ids = {a["body"]["approval_id"] for a in job.approvals if a["body"]["authority"] == "governance"}
    assert {s["approval_id"] for s in approved} == gov_ids and {s["site"] for s in approved} == set(SITES)
    assert custodian == [{"site": "site-a", "status": "approved", "authority": "custodian",
                          "approval_id": custodian_id, "signer": "custodian-a"}]  # fmt: skip
    assert revoked == [{"site": "site-a", "status": "revoked", "authority": "custodian",
                        "approval_id": custodian_id}]  # fmt: skip
    assert {s["status"] for s in rejected} == {"rejected"} and set(rejected[0]["revoked"]) == gov_ids


def test_a_failed_audit_write_does_not_fail_the_committed_decision(
    world: tuple[JobService, dict[str, Path]], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    plain, _ = world
    audit = HubAudit(tmp_path / "audit.sqlite")
    audit.close()  # every write now fails (sqlite3.ProgrammingError)
    jobs = JobService(plain.records, plain.governance_key, audit=audit)
    with caplog.at_level(logging.WARNING, logger="fairgrid.audit"):
        job = jobs.approve(GOV, jobs.submit(ALICE, spec()).iri)
    assert job.state == "approved" and plain.show(GOV, job.iri).state == "approved"
    assert "did not take job-submitted" in caplog.text and "did not take job-approved" in caplog.text
