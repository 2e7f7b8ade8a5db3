"""What a site's gate syncs from the hub: every signed approval and revocation of the jobs that target it.

Read for a site-operator of that site (or an admin). The documents are signed, so the answer needs no
trust beyond freshness (a withheld revocation is why the site's gate refuses after a stale sync); the
governance public key comes along for a site that pins it on first contact.
"""

from __future__ import annotations

from typing import Any

from federation.jobs.service import JobService
from federation.signing import public_text
from registry.errors import PermissionDenied
from registry.identity import Identity, Role, check_site_id

PAGE = 100


def documents_for_site(jobs: JobService, identity: Identity, site: str) -> dict[str, Any]:
    site = check_site_id(site)
    identity.require(Role.SITE_OPERATOR, action="sync a site's training approvals")
    if not identity.has() and identity.site != site:
        raise PermissionDenied(f"{identity.subject} operates {identity.site}, not {site}")
    out: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = jobs.list_jobs(identity, offset, PAGE)
        for job in page:
            if site not in job.spec.sites:
                continue
            out.append({
                "iri": job.iri,
                "fab_hash": job.spec.fab_hash,
                "cohort": job.criteria,  # canonical, as flowerconfig puts it in the run config
                "approvals": [d for d in job.approvals if d.get("body", {}).get("site") == site],
                "revocations": list(job.revocations),
            })  # fmt: skip
        if len(page) < PAGE:
            break
        offset += PAGE
    return {"site": site, "governance_key": public_text(jobs.governance_key), "jobs": out}
