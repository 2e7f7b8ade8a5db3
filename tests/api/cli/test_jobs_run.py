"""`fairgrid jobs run` and `jobs status`: a job that may not run exits 1 with the reason and changes
nothing; status shows the state (the real run path is tests/federation/training/test_end_to_end.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.cli import main
from registry.identity import Identity, Role
from tests.api.cli.conftest import run
from tests.api.cli.test_jobs import CRITERIA, MODEL
from tests.conftest import EXAMPLE

pytestmark = pytest.mark.usefixtures("home")
GOV = Identity("gov", frozenset({Role.CONSORTIUM_MEMBER}))


def test_run_refusals_and_status(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("init", "--no-terminologies")[0] == 0
    assert run("import", str(EXAMPLE))[0] == 0
    criteria = tmp_path / "criteria.json"
    criteria.write_text(json.dumps(CRITERIA))
    fab = tmp_path / "app.fab"
    fab.write_bytes(b"not the app the hub builds")
    code, out = run("jobs", "submit", "--title", "T", "--model", MODEL, "--criteria", str(criteria),
                    "--site", "paris-01", "--purpose", "p", "--expires", "2099-01-01T00:00:00+00:00",
                    "--fab", str(fab), "--json")  # fmt: skip
    assert code == 0, out
    job = json.loads(out)["iri"]
    monkeypatch.setattr(main, "me", lambda: Identity("rita", frozenset({Role.RESEARCHER})))
    code, out = run("jobs", "run", job)
    assert code == 1 and "may not start training jobs" in out, out
    monkeypatch.setattr(main, "me", lambda: GOV)
    code, out = run("jobs", "run", job, "--follow")
    assert code == 1 and "no governance approval" in out and "Traceback" not in out, out
    assert run("jobs", "approve", job)[0] == 0
    code, out = run("jobs", "run", job, "--min-sites", "5")
    assert code == 1 and "min_sites" in out, out
    code, out = run("jobs", "run", job)  # the example site paris-01 has no signing key: nobody to ask
    assert code == 1 and "paris-01: the Site record has no fg:signingKey" in out, out
    code, out = run("jobs", "status", job, "--json")
    assert code == 0, out
    assert json.loads(out)["state"] == "approved" and json.loads(out)["run"] is None
    code, out = run("jobs", "status", job)
    assert code == 0 and "approved" in out, out
