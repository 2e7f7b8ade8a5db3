"""One entry in the hub's audit log for a training-job decision that has been committed.

Job decisions (submit, governance approval and rejection, a custodian's signed approval, a revocation) and
dispatch (start, completion, failure) write here after the job record's new revision is committed; a
refused or failed decision commits nothing and is not logged. The record is what counts: an audit write
that fails (disk full, a locked or closed log) is a warning, never an error undoing or failing the decision.
"""

from __future__ import annotations

import logging
import sqlite3
import uuid
from typing import Any

from federation.hub.audit import HubAudit
from registry.identity import Identity

log = logging.getLogger("fairgrid.audit")


def audit_job(
    audit: HubAudit | None, prefix: str, who: Identity, what: str, iri: str, sites: list[dict[str, Any]]
) -> None:
    """`what`: the decision (source column); `sites`: one {site, status, ...} per site it concerns."""
    if audit is None:
        return
    try:
        audit.record(f"{prefix}-{uuid.uuid4().hex[:16]}", who.subject, what, iri[:200], iri, sites, None)
    except (sqlite3.Error, OSError) as exc:
        log.warning("the hub audit log did not take %s of %s (%s); the decision stands", what, iri, exc)
