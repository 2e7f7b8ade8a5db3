"""`fairgrid jobs`: submit, approve (governance, then a custodian with its site home), revoke, show, list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.cli import main, output
from api.cli.main import app
from registry.identity import Identity, Role
from tests.api.cli.conftest import CRITERIA, MODEL, run, runner, submitted_job

pytestmark = pytest.mark.usefixtures("home")


def test_jobs_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site_home = tmp_path / "site-a"
    job = submitted_job(tmp_path, site_home, "T")

    code, out = run("jobs", "approve", job)
    assert code == 1 and "requester" in out  # the submitter cannot approve their own job

    monkeypatch.setattr(main, "me", lambda: Identity("gov", frozenset({Role.CONSORTIUM_MEMBER})))
    code, out = run("jobs", "approve", job, "--json")
    assert code == 0, out
    assert json.loads(out)["state"] == "approved"
    monkeypatch.setattr(main, "me", lambda: Identity("op", frozenset({Role.SITE_OPERATOR}), site="site-a"))
    code, out = run("jobs", "approve", job, "--site-home", str(site_home), "--site", "site-a", "--json")
    assert code == 0, out
    shown = json.loads(out)
    assert sorted(a["body"]["authority"] for a in shown["approvals"]) == ["custodian", "governance"]
    custodian = next(
        a["body"]["approval_id"] for a in shown["approvals"] if a["body"]["authority"] == "custodian"
    )

    code, out = run("jobs", "revoke", job, custodian, "--site-home", str(site_home), "--json")
    assert code == 0, out
    assert len(json.loads(out)["revocations"]) == 1
    monkeypatch.setattr(main, "me", lambda: Identity("gov", frozenset({Role.CONSORTIUM_MEMBER})))
    code, out = run("jobs", "list", "--json")
    assert code == 0, out
    assert [j["iri"] for j in json.loads(out)] == [job]

    # each decision is in the hub's audit log, as `fairgrid audit` shows it (the refused approval is not)
    code, out = run("audit", "--json")
    assert code == 0, out
    entries = [e for e in json.loads(out) if e["query"] == job]
    assert [(e["user"], e["source"]) for e in entries] == [
        (entries[0]["user"], "job-submitted"),  # the CLI's local operator
        ("gov", "job-approved"),
        ("op", "job-custodian-approved"),
        ("op", "job-revoked"),
    ]
    assert entries[3]["sites"] == [
        {"site": "site-a", "status": "revoked", "authority": "custodian", "approval_id": custodian}
    ]


def test_bad_submissions_exit_1_or_2(tmp_path: Path) -> None:
    assert run("init", "--no-terminologies")[0] == 0
    base = ["jobs", "submit", "--title", "T", "--model", MODEL, "--site", "x", "--purpose", "p",
            "--expires", "2099-01-01T00:00:00+00:00"]  # fmt: skip
    code, out = run(*base, "--criteria", str(tmp_path / "missing.json"), "--fab-hash", "0" * 64)
    assert code == 2, out
    criteria = tmp_path / "c.json"
    criteria.write_text(json.dumps(CRITERIA))
    code, out = run(*base, "--criteria", str(criteria), "--fab-hash", "nothex")
    assert code == 1 and "sha256" in out
    code, out = run(*base, "--criteria", str(criteria), "--fab-hash", "0" * 64, "--expires", "tomorrow")
    assert code == 1 and "ISO" in out
    code, out = run("jobs", "show", "https://w3id.org/fairgrid/job/none")
    assert code == 1 and "Traceback" not in out


@pytest.mark.parametrize("group", ["jobs", "site", "terms"])
def test_a_command_group_alone_lists_its_commands(group: str) -> None:
    result = runner.invoke(app, [group])
    assert "Missing command" not in result.output and "Commands" in result.output, result.output


@pytest.mark.parametrize("command", ["approve", "revoke"])
def test_a_custodian_site_home_must_be_one(tmp_path: Path, command: str) -> None:
    assert runner.invoke(app, ["init", "--no-terminologies"]).exit_code == 0
    typo = tmp_path / "no-such-site"
    job = "https://w3id.org/fairgrid/training-job/none"
    extra = ["--site", "site-a"] if command == "approve" else ["approval-1"]
    result = runner.invoke(app, ["jobs", command, job, *extra, "--site-home", str(typo)])
    assert result.exit_code == output.EXIT_UNREADABLE, result.output
    assert "holds no site signing key" in result.output
    assert not typo.exists()  # no signing key made up for a site home that is not one
