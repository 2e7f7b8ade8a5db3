"""The site gate allows a task only with both approvals for exactly this app, site and run configuration."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.jobs.approvals import Approval, Revocation, sign_approval, sign_revocation
from federation.site.gate import Decision, Gate, GateKeys, audit_file, read_audit
from federation.site.keys import site_key

NOW = 1_800_000_000.0
FAB = hashlib.sha256(b"the approved app").hexdigest()
OTHER_FAB = hashlib.sha256(b"the approved app, modified").hexdigest()
CONFIG: dict[str, Any] = {"cohort": '{"inclusion":[]}', "strategy": "FedAvg", "rounds": 3, "epsilon": 2.0,
                          "dp": "central"}  # fmt: skip
JOB = "https://registry.example.org/job/j1"


class World:
    def __init__(self, home: Path) -> None:
        self.governance = Ed25519PrivateKey.generate()
        self.custodian = site_key(home)  # the site's own key, as the site's custodian signs with it
        self.home = home
        self.gate = Gate(
            "site-a", GateKeys(self.governance.public_key(), self.custodian.public_key()), audit_file(home)
        )

    def approval(self, authority: str, **changes: Any) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "approval_id": f"appr-{authority}",
            "authority": authority,
            "job": JOB,
            "fab_hash": FAB,
            "site": "site-a",
            "purpose": "MDS AML-transformation risk model",
            "run_config": CONFIG,
            "expires": NOW + 3600,
            "signer": "someone",
            **changes,
        }
        key = changes.pop("key", None) or (self.governance if authority == "governance" else self.custodian)
        fields.pop("key", None)
        return sign_approval(Approval(**fields), key)

    def both(self, **changes: Any) -> list[dict[str, Any]]:
        return [self.approval("governance", **changes), self.approval("custodian", **changes)]

    def check(
        self,
        docs: list[dict[str, Any]],
        *,
        fab: str = FAB,
        config: dict[str, Any] | None = None,
        revocations: list[Any] | None = None,
    ) -> Decision:
        return self.gate.check(fab, CONFIG if config is None else config, docs, revocations or [], now=NOW)


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def test_both_approvals_allow(world: World) -> None:
    d = world.check(world.both())
    assert d.allowed, d.reason
    assert d.approvals == ("appr-governance", "appr-custodian")
    # fewer rounds and a smaller epsilon stay within what was approved
    assert world.check(world.both(), config={**CONFIG, "rounds": 2, "epsilon": 1.0}).allowed


def test_modified_app_refused(world: World) -> None:
    d = world.check(world.both(), fab=OTHER_FAB)
    assert not d.allowed and "FAB hash" in d.reason


def test_approval_for_another_site_refused(world: World) -> None:
    d = world.check(world.both(site="site-b"))
    assert not d.allowed and "site-b" in d.reason


def test_custodian_approval_of_another_site_refused(world: World) -> None:
    other_site = Ed25519PrivateKey.generate()
    docs = [world.approval("governance"), world.approval("custodian", key=other_site)]
    d = world.check(docs)
    assert not d.allowed and "custodian" in d.reason


def test_expired_refused(world: World) -> None:
    d = world.check(world.both(expires=NOW - 1))
    assert not d.allowed and "expired" in d.reason
    d = world.check([world.approval("governance"), world.approval("custodian", expires=NOW)])
    assert not d.allowed and "custodian" in d.reason and "expired" in d.reason


@pytest.mark.parametrize("authority", ["governance", "custodian"])
def test_revoked_refused(world: World, authority: str) -> None:
    key = world.governance if authority == "governance" else world.custodian
    revocation = sign_revocation(Revocation(f"appr-{authority}", authority, NOW - 5, "withdrawn"), key)  # type: ignore[arg-type]
    d = world.check(world.both(), revocations=[revocation])
    assert not d.allowed and "revoked" in d.reason and authority in d.reason


def test_revocation_signed_by_another_key_ignored(world: World) -> None:
    forged = sign_revocation(
        Revocation("appr-custodian", "custodian", NOW, "x"), Ed25519PrivateKey.generate()
    )
    junk: list[Any] = [forged, {"body": {}, "sig": "!"}, "junk"]
    assert world.check(world.both(), revocations=junk).allowed


@pytest.mark.parametrize(
    "config",
    [
        {**CONFIG, "rounds": 4},
        {**CONFIG, "epsilon": 8.0},
        {**CONFIG, "strategy": "FedProx"},
        {**CONFIG, "dp": "none"},
        {**CONFIG, "gpu": True},
        {**CONFIG, "cohort": '{"inclusion":[["C90"]]}'},  # another cohort under the same approval
        {k: v for k, v in CONFIG.items() if k != "cohort"},
        {**CONFIG, "rounds": "3"},
        {**CONFIG, "rounds": True},
        {k: v for k, v in CONFIG.items() if k != "dp"},  # privacy settings left out
        {k: v for k, v in CONFIG.items() if k != "epsilon"},
    ],
)
def test_run_config_outside_approval_refused(world: World, config: dict[str, Any]) -> None:
    d = world.check(world.both(), config=config)
    assert not d.allowed and "run configuration" in d.reason


def test_forged_signature_refused(world: World) -> None:
    forger = Ed25519PrivateKey.generate()
    docs = [world.approval("governance", key=forger), world.approval("custodian")]
    d = world.check(docs)
    assert not d.allowed and "governance" in d.reason
    # an altered body under a genuine signature
    altered = world.both()
    altered[0]["body"]["fab_hash"] = OTHER_FAB
    altered[1]["body"]["fab_hash"] = OTHER_FAB
    assert not world.check(altered, fab=OTHER_FAB).allowed


def test_custodian_alone_or_governance_alone_refused(world: World) -> None:
    assert not world.check([world.approval("custodian")]).allowed
    assert not world.check([world.approval("governance")]).allowed
    # a custodian-signed document claiming governance authority is not a governance approval
    assert not world.check(
        [world.approval("governance", key=world.custodian), world.approval("custodian")]
    ).allowed


def test_approvals_for_different_jobs_refused(world: World) -> None:
    docs = [world.approval("governance"), world.approval("custodian", job=JOB + "-other")]
    assert not world.check(docs).allowed


def test_malformed_documents_refused_not_raised(world: World) -> None:
    junk: list[Any] = [None, 3, "x", {"body": "x", "sig": "y"}, {"body": {}, "sig": "AAAA"}]
    d = world.check(junk)
    assert not d.allowed


def test_every_decision_audited(world: World) -> None:
    world.check(world.both())
    world.check(world.both(), fab=OTHER_FAB)
    log = read_audit(world.home)
    assert [e["allowed"] for e in log] == [True, False]
    assert log[1]["fab_hash"] == OTHER_FAB and "FAB hash" in log[1]["reason"]
    assert all(e["site"] == "site-a" for e in log)


def test_documents_nested_too_deeply_refused_not_raised(world: World) -> None:
    # a document (from a hostile hub, or handed in) nested deeper than json can write: refused like any
    # other bad document; a RecursionError would leave the task unanswered
    deep: Any = 1
    for _ in range(100_000):
        deep = {"a": deep}
    doc = world.approval("governance")
    bad = {"body": {**doc["body"], "run_config": deep}, "sig": doc["sig"]}
    revocation = {"body": {"type": "fairgrid-approval-revocation/1", "x": deep}, "sig": doc["sig"]}
    d = world.check([bad, world.approval("custodian")], revocations=[revocation])
    assert not d.allowed and "no governance approval" in d.reason
    assert world.check(world.both(), revocations=[revocation]).allowed
