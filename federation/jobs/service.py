"""Training jobs: submit, approve (governance and each site's custodian), reject, revoke, show, list.

Roles: a consortium member (or curator, or admin) submits; governance approval and rejection are for
consortium members and admins, never by the job's own requester; a custodian approval is signed at the
site with the site's own key and only a site-operator of that site may hand it in. The hub checks it
against the Site record's fg:signingKey before storing it, and stores every document on the job record,
so what a site needs (approvals, revocations) can be fetched and verified offline there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pyoxigraph as ox
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.hub.audit import HubAudit
from federation.hub.sites import HUB, SiteDirectory
from federation.jobs.approvals import (
    Approval,
    ApprovalError,
    Revocation,
    new_approval_id,
    sign_approval,
    sign_revocation,
    verify_approval,
    verify_revocation,
)
from federation.jobs.audit_entry import audit_job
from federation.jobs.record import JobSpec, JobView, check_spec, job_triples, job_view, run_config
from federation.signing import public_key
from federation.training.flowerconfig import check_declared, flower_run_config
from registry import json_text
from registry.errors import Conflict, InputError, NotFound, PermissionDenied, StaleRevision
from registry.identity import Identity, Role
from registry.model import Record
from registry.services.records import RecordService
from registry.vocab import Kind

SUBMITTERS = (Role.CONSORTIUM_MEMBER, Role.CURATOR)
GOVERNANCE = (Role.CONSORTIUM_MEMBER,)  # admin is implied by Identity.has


class JobService:
    def __init__(
        self,
        records: RecordService,
        governance_key: Ed25519PrivateKey,
        *,
        audit: HubAudit | None = None,
        app_config: Callable[[str], dict[str, Any] | None] | None = None,
    ) -> None:
        self.records = records
        self.governance_key = governance_key
        # the run config the app of a FAB hash declares (None: an app this hub does not hold), so a job
        # naming a setting the app does not declare is refused before custodians are asked to approve it
        self.app_config = app_config
        self.audit = audit  # each committed decision is an entry in the hub's audit log (audit_entry.py)
        self.sites = SiteDirectory(records, ttl_s=0.0)  # approvals must see a key rotated a moment ago

    # --- reading ----------------------------------------------------------------------------------

    def show(self, identity: Identity, iri: str) -> JobView:
        rec = self.records.get(identity, iri)  # visibility: consortium-only metadata
        return job_view(rec, self._site_ids())

    def list_jobs(self, identity: Identity, offset: int = 0, limit: int = 100) -> list[JobView]:
        heads = self.records.list_records(identity, Kind.TRAINING_JOB, offset, limit)
        found = self.records.get_many(identity, [h.iri for h in heads])
        ids = self._site_ids()
        return [job_view(r, ids) for r in found.values() if isinstance(r, Record)]

    # --- writing ----------------------------------------------------------------------------------

    def submit(self, identity: Identity, spec: JobSpec) -> JobView:
        identity.require(*SUBMITTERS, action="submit training jobs")
        criteria = check_spec(spec, datetime.now(UTC))
        site_iris = [self._site(s).iri for s in sorted(set(spec.sites))]
        iri = f"{self.records.settings.base_iri.rstrip('/')}/job/{new_approval_id()[5:]}"
        declared = self.app_config(spec.fab_hash) if self.app_config is not None else None
        if declared is not None:
            check_declared(flower_run_config(spec, iri), declared)
        triples = job_triples(iri, spec, criteria, site_iris, identity.agent_iri, "submitted")
        self._write(identity, iri, triples, None)
        job = self.show(HUB, iri)
        self._audit(
            identity, "job-submitted", job, [{"site": s, "status": "submitted"} for s in job.spec.sites]
        )
        return job

    def approve(self, identity: Identity, iri: str, *, expires: datetime | None = None) -> JobView:
        """Governance approval: one document per target site, signed with the governance key."""
        identity.require(*GOVERNANCE, action="approve training jobs")
        job = self.show(HUB, iri)
        self._open(job)
        if job.requester == identity.agent_iri:
            raise PermissionDenied("a job's requester may not give its governance approval")
        until = min(expires or job.spec.expires, job.spec.expires)
        docs = [
            sign_approval(self._approval(job, "governance", site, identity, until), self.governance_key)
            for site in job.spec.sites
        ]
        saved = self._save(identity, job, state="approved", approvals=(*job.approvals, *docs))
        given = [{"site": d["body"]["site"], "status": "approved", "authority": "governance",
                  "approval_id": d["body"]["approval_id"]} for d in docs]  # fmt: skip
        self._audit(identity, "job-approved", saved, given)
        return saved

    def reject(self, identity: Identity, iri: str, note: str) -> JobView:
        identity.require(*GOVERNANCE, action="reject training jobs")
        job = self.show(HUB, iri)
        self._open(job)
        if not note.strip():
            raise InputError("say why the job is rejected")
        # rejecting withdraws every governance approval given so far, signed, so sites learn it too
        revs = self._revocations(job, "governance", f"job rejected: {note[:200]}")
        saved = self._save(identity, job, state="rejected", revocations=(*job.revocations, *revs),
                           rejection=note[:2000])  # fmt: skip
        withdrawn = [r["body"]["approval_id"] for r in revs]
        rejected = [{"site": s, "status": "rejected", "revoked": withdrawn} for s in job.spec.sites]
        self._audit(identity, "job-rejected", saved, rejected)
        return saved

    def add_custodian_approval(self, identity: Identity, iri: str, doc: Any) -> JobView:
        """Store a custodian approval the site signed; only that site's operator may hand it in."""
        identity.require(Role.SITE_OPERATOR, action="hand in custodian approvals")
        job = self.show(HUB, iri)
        self._open(job)
        body = doc.get("body") if isinstance(doc, dict) else None
        site = body.get("site") if isinstance(body, dict) else None
        if not isinstance(site, str) or site not in job.spec.sites:
            raise ApprovalError(f"the approval's site {str(site)[:60]!r} is not a target site of {iri}")
        if not identity.has() and identity.site != site:
            raise PermissionDenied(f"{identity.subject} operates {identity.site}, not {site}")
        approval = verify_approval(doc, self._site_key(site), "custodian")
        expected = self._approval(job, "custodian", site, identity, job.spec.expires)
        for name in ("job", "fab_hash", "purpose", "run_config"):
            if getattr(approval, name) != getattr(expected, name):
                raise ApprovalError(f"the custodian approval's {name} does not match the job")
        if approval.expires > job.spec.expires.timestamp():
            raise ApprovalError("the custodian approval outlives the job's expiry")
        saved = self._save(identity, job, approvals=(*job.approvals, doc))
        given = {"site": site, "status": "approved", "authority": "custodian",
                 "approval_id": approval.approval_id, "signer": approval.signer[:200]}  # fmt: skip
        self._audit(identity, "job-custodian-approved", saved, [given])
        return saved

    def revoke(self, identity: Identity, iri: str, approval_id: str, *, document: Any = None,
               reason: str = "") -> JobView:  # fmt: skip
        """Revoke a governance approval (governance signs) or store a custodian's signed revocation."""
        job = self.show(HUB, iri)
        target = next((d for d in job.approvals if d.get("body", {}).get("approval_id") == approval_id), None)
        if target is None:
            raise NotFound(f"{iri} has no approval {approval_id[:80]!r}")
        authority, site = target["body"]["authority"], target["body"]["site"]
        if authority == "governance":
            identity.require(*GOVERNANCE, action="revoke governance approvals")
            doc = sign_revocation(Revocation(approval_id, "governance", time.time(), reason[:500]),
                                  self.governance_key)  # fmt: skip
        else:
            identity.require(Role.SITE_OPERATOR, action="revoke custodian approvals")
            if not identity.has() and identity.site != site:
                raise PermissionDenied(f"{identity.subject} operates {identity.site}, not {site}")
            if document is None:
                raise InputError("a custodian revocation must be signed at the site (fairgrid jobs revoke)")
            r = verify_revocation(document, self._site_key(site), "custodian")
            if r.approval_id != approval_id:
                raise ApprovalError("the signed revocation names another approval")
            doc = document
        saved = self._save(identity, job, revocations=(*job.revocations, doc))
        revoked = {"site": site, "status": "revoked", "authority": authority, "approval_id": approval_id}
        self._audit(identity, "job-revoked", saved, [revoked])
        return saved

    # --- helpers ----------------------------------------------------------------------------------

    def _approval(self, job: JobView, authority: str, site: str, who: Identity, until: datetime) -> Approval:
        return Approval(
            approval_id=new_approval_id(), authority=authority, job=job.iri,  # type: ignore[arg-type]
            fab_hash=job.spec.fab_hash, site=site, purpose=job.spec.purpose, run_config=run_config(job.spec),
            expires=until.timestamp(), signer=who.subject,
        )  # fmt: skip

    def _revocations(self, job: JobView, authority: str, reason: str) -> list[dict[str, Any]]:
        done = {d.get("body", {}).get("approval_id") for d in job.revocations}
        return [
            sign_revocation(
                Revocation(d["body"]["approval_id"], "governance", time.time(), reason), self.governance_key
            )  # fmt: skip
            for d in job.approvals
            if d.get("body", {}).get("authority") == authority and d["body"]["approval_id"] not in done
        ]

    def _audit(self, identity: Identity, what: str, job: JobView, sites: list[dict[str, Any]]) -> None:
        audit_job(self.audit, "job", identity, what, job.iri, sites)  # after the commit; a failure warns

    def _open(self, job: JobView) -> None:
        if job.state == "rejected":
            raise Conflict(f"{job.iri} was rejected; submit a new job")
        if job.spec.expires <= datetime.now(UTC):
            raise Conflict(f"{job.iri} expired at {job.spec.expires.isoformat()}")

    def _site_ids(self) -> dict[str, str]:
        return {e.iri: e.site_id for e in self.sites.sites().values()}

    def _site(self, site_id: str) -> Any:
        entry = self.sites.sites().get(site_id)
        if entry is None:
            raise InputError(f"no registered site {site_id[:80]!r}", hint="fairgrid sites lists them")
        return entry

    def _site_key(self, site_id: str) -> Any:
        text = self._site(site_id).key
        if text is None:
            raise ApprovalError(f"site {site_id} has no fg:signingKey in its record")
        return public_key(text)

    def _save(
        self,
        identity: Identity,
        job: JobView,
        *,
        state: str | None = None,
        approvals: tuple[dict[str, Any], ...] | None = None,
        revocations: tuple[dict[str, Any], ...] | None = None,
        rejection: str | None = None,
    ) -> JobView:
        new = JobView(
            job.iri,
            job.spec,
            job.criteria,
            job.site_iris,
            job.requester,
            state or job.state,
            approvals if approvals is not None else job.approvals,
            revocations if revocations is not None else job.revocations,
            rejection or job.rejection,
            job.revision,
            job.run,
        )
        self.save_view(identity, new)
        return self.show(HUB, job.iri)

    def save_view(self, identity: Identity, new: JobView) -> None:
        """Write `new` as the job's next revision (based on new.revision); dispatch records runs with it."""
        job = new
        triples = job_triples(job.iri, job.spec, job.criteria, list(job.site_iris), job.requester,
                              new.state, new.documents(), new.trained_model)  # fmt: skip
        self._write(identity, job.iri, triples, job.revision)

    def _write(self, identity: Identity, iri: str, triples: list[ox.Triple], base: int | None) -> None:
        data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
        assert data is not None
        drafts, errors = self.records.parse_drafts(data, ox.RdfFormat.N_TRIPLES, source="training job")
        if errors:
            raise errors[0][1]
        mine = [d for d in drafts if d.iri == iri]
        (checked,) = self.records.check(identity, mine)
        if isinstance(checked, tuple):
            raise checked[1]
        head = checked.head.number if checked.head is not None else None
        if head != base:
            raise StaleRevision(f"{iri} changed meanwhile (revision {head}); try again")
        self.records.commit([self.records.new_revision(identity, checked, note="training job")])


def custodian_approval(
    site_key: Ed25519PrivateKey, job: JobView, site: str, signer: str, expires: datetime | None = None
) -> dict[str, Any]:
    """Signed at the site, by its custodian, with the site's own key: exactly this job's app and config."""
    if site not in job.spec.sites:
        raise ApprovalError(f"{site} is not a target site of {job.iri}")
    until = min(expires or job.spec.expires, job.spec.expires)
    approval = Approval(
        approval_id=new_approval_id(), authority="custodian", job=job.iri, fab_hash=job.spec.fab_hash,
        site=site, purpose=job.spec.purpose, run_config=run_config(job.spec), expires=until.timestamp(),
        signer=signer,
    )  # fmt: skip
    return sign_approval(approval, site_key)


def custodian_revocation(site_key: Ed25519PrivateKey, approval_id: str, reason: str = "") -> dict[str, Any]:
    return sign_revocation(Revocation(approval_id, "custodian", time.time(), reason[:500]), site_key)


def load_document(text: str) -> Any:
    try:
        return json_text.loads(text)
    except ValueError as exc:
        raise ApprovalError(f"not a JSON document: {exc}") from exc
