"""`fairgrid audit` as text: each entry on one line, as the hub's log holds it."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.federation import AUDIT_FILE
from federation.hub.audit import HubAudit
from federation.jobs.audit_entry import audit_job
from registry.identity import Identity
from tests.api.cli.conftest import run

pytestmark = pytest.mark.usefixtures("home")

JOB = "https://w3id.org/fairgrid/job/j1"


def _log(home: Path) -> None:
    log = HubAudit(home / AUDIT_FILE)
    try:
        sites = [{"site": "demo-mds", "status": "OK", "precision": "EXACT", "epsilon": 0.0},
                 {"site": "demo-mm", "status": "REFUSED", "precision": None, "epsilon": 0.0}]  # fmt: skip
        log.record("q1", "researcher-1", "SITES", "k", '{"inclusion":[[{"type":"sex"}]]}', sites, "EXACT")
        job_sites = [{"site": "demo-mds", "status": "approved"}]
        audit_job(log, "job", Identity("board-1"), "job-approved", JOB, job_sites)  # as JobService logs it
    finally:
        log.close()


def test_the_sites_of_each_entry_are_shown(home: Path) -> None:
    # the per-site statuses were printed inside [...], which the console took as markup and dropped:
    # a question's line said nothing of how each site answered
    home.mkdir(parents=True)
    _log(home)
    code, out = run("audit")
    assert code == 0, out
    question, job = out.strip().splitlines()
    assert "[demo-mds OK, demo-mm REFUSED]" in question and "total EXACT" in question
    assert "[[{" in question  # the criteria as logged
    # a job decision has no total: that column belongs to questions
    assert "[demo-mds approved]" in job and "total" not in job and JOB in job
