"""`fairgrid audit` as text: each entry on one line, as the hub's log holds it."""

from __future__ import annotations

import contextlib
import json
import sqlite3
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


ODD = "[/]"  # a closing tag with nothing to close: Rich's markup raised MarkupError


def test_entries_are_printed_as_they_are_held(home: Path) -> None:
    # a researcher's criteria, a token's subject, an IRI and a publication's facts are text from outside:
    # taken as console markup, '[/]' ended `fairgrid audit` in a traceback and '[bold]..' was dropped
    home.mkdir(parents=True)
    log = HubAudit(home / AUDIT_FILE)
    try:
        log.record("q1", f"user{ODD}", "SITES", "k", f'{{"code":"{ODD}[bold]x"}}', [], None)
        log.record_event(f"member{ODD}", "published", f"https://e.org/{ODD}", {"doi": f"10.1/{ODD}[red]"})
    finally:
        log.close()
    with contextlib.closing(sqlite3.connect(home / AUDIT_FILE)) as con, con:
        # a time no datetime holds (a hand-edited or imported entry): shown as the number it is
        con.execute("UPDATE query SET at = 1e15")
    code, out = run("audit")
    assert code == 0, out
    published, question = out.strip().splitlines()
    assert all(t in published for t in (f"member{ODD}", f"https://e.org/{ODD}", f"10.1/{ODD}[red]"))
    assert f"user{ODD}" in question and f'{ODD}[bold]x"' in question and question.startswith("1e+15")


def test_site_audit_prints_criteria_as_they_are_held(tmp_path: Path) -> None:
    # criteria a site cannot parse are logged as sent: any researcher could end the operator's listing
    from federation.site.feasibility import Responder

    site = tmp_path / "site"
    code, out = run("site", "init", "--site-id", "site-x", "--home", str(site))
    assert code == 0, out
    responder = Responder.open(site)
    try:
        responder.answer(f"r{ODD}", {"inclusion": ODD})
    finally:
        responder.close()
    code, out = run("site", "audit", "--home", str(site))
    assert code == 0, out
    assert f"r{ODD}" in out and f"'inclusion': '{ODD}'" in out


@pytest.mark.parametrize("args", [("--user", "\udcff"), ("--since", "\udcff")])
def test_a_user_or_time_that_is_no_text_is_invalid_input(home: Path, args: tuple[str, str]) -> None:
    # an argument that is not UTF-8 arrives as a lone surrogate: SQLite raised UnicodeEncodeError
    home.mkdir(parents=True)
    code, out = run("audit", *args)
    assert code == 1 and args[0] in out, out


@pytest.mark.parametrize("damage", ["a folder", "not SQLite"])
def test_a_log_that_cannot_be_opened_is_said_so(home: Path, damage: str) -> None:
    # sqlite3.OperationalError / DatabaseError escaped as a traceback (and from `fairgrid serve` too)
    home.mkdir(parents=True)
    if damage == "a folder":
        (home / AUDIT_FILE).mkdir()
    else:
        (home / AUDIT_FILE).write_bytes(b"\x00garbage" * 1000)
    code, out = run("audit")
    assert code == 3 and str(home / AUDIT_FILE) in out.replace("\n", ""), out


def test_a_listing_cut_at_its_limit_says_so(home: Path) -> None:
    # only the oldest 1000 entries were listed, silently: a publication or decision made after the
    # thousandth question never showed in `fairgrid audit`, with nothing saying there was more
    home.mkdir(parents=True)
    log = HubAudit(home / AUDIT_FILE)
    try:
        for n in range(1001):
            log.record(f"q{n}", "researcher-1", "SITES", "k", "{}", [], None)
        log.record_event("member-1", "published", "https://e.org/m", {"doi": "10.1/latest"})
    finally:
        log.close()
    code, out = run("audit")
    assert code == 0 and "10.1/latest" not in out
    assert "the oldest 1000 entries" in out and "--since" in out, out[-300:]
    code, out = run("audit", "--json")
    assert code == 0 and "the oldest 1000 entries" in out


def test_a_missing_home_is_said_and_not_made(home: Path) -> None:
    # reading the log opened it, which made the folder (and an empty log) wherever FAIRGRID_HOME pointed
    code, out = run("audit", "--json")
    assert code == 0 and not home.exists(), out
    assert "no registry home at" in out
    code, out = run("audit", "--since", "yesterday-ish")
    assert code == 1 and not home.exists(), out


def test_publications_of_the_former_log_are_listed_under_the_callers_user_id(home: Path) -> None:
    # the former publish/audit.jsonl held the caller's agent IRI ("by"); entries written today hold the
    # token subject (PublishService: identity.subject): `--user member-1` missed the imported ones
    legacy = home / "publish" / "audit.jsonl"
    legacy.parent.mkdir(parents=True)
    head = {"at": "2026-11-02T10:00:00+00:00", "event": "published"}
    by = [Identity(s).agent_iri for s in ("member-1", "auth0|42", "https://orcid.org/0000-0002-1825-0097")]
    lines = [{**head, "iri": f"https://e.org/m{n}", "doi": f"10.1/old{n}", "by": b} for n, b in enumerate(by)]
    legacy.write_text("".join(json.dumps(line) + "\n" for line in lines))
    log = HubAudit(home / AUDIT_FILE)
    try:  # as PublishService records a publication now
        log.record_event(Identity("member-1").subject, "published", "https://e.org/new", {"doi": "10.1/new"})
    finally:
        log.close()
    code, out = run("audit", "--user", "member-1")
    assert code == 0, out
    assert "10.1/old0" in out and "10.1/new" in out and "10.1/old1" not in out, out
    code, out = run("audit", "--user", "auth0|42")  # the subject the agent IRI percent-encoded
    assert code == 0 and "10.1/old1" in out and "10.1/old0" not in out, out
    # a subject that was an IRI was its own agent IRI: the same identifier then and now
    code, out = run("audit", "--user", "https://orcid.org/0000-0002-1825-0097")
    assert code == 0 and "10.1/old2" in out, out
