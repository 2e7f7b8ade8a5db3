"""The `fairgrid` CLI: exit codes, formats, and the record life cycle end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.cli import output
from api.cli.main import app
from tests.api.cli.conftest import run, runner
from tests.conftest import EXAMPLE
from tests.registry.services.test_records import dataset

pytestmark = pytest.mark.usefixtures("home")
DS = "https://w3id.org/fairgrid/dataset/mm-registry-leiden"


def test_validate_exit_codes_and_json(tmp_path: Path) -> None:
    good = tmp_path / "good.ttl"
    good.write_text(dataset())
    bad = tmp_path / "bad.ttl"
    bad.write_text(dataset().replace('dct:title "Sickle cell cohort"@en ;', ""))
    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix dct: <http://purl.org/dc/terms/> .\n\n<a> dct:title .\n")
    assert run("validate", str(good))[0] == 0
    code, out = run("validate", str(bad))
    assert code == 1 and "dct:title" in out and "MinCount" in out
    code, out = run("validate", str(broken))
    assert code == 2 and "broken.ttl:3" in out
    code, out = run("validate", "--format", "json", str(bad))
    report = json.loads(out)
    assert report["conforms"] is False
    (rejected,) = [r for r in report["records"] if r["status"] == "rejected"]
    v = rejected["error"]["violations"][0]
    assert {"focusNode", "path", "constraint", "severity", "message"} <= set(v)


def test_lifecycle(tmp_path: Path, home: Path) -> None:
    code, out = run("init")
    assert code == 0 and "registered terminologies: 3 new" in out
    ds = tmp_path / "uses-registered-publisher.ttl"
    ds.write_text(dataset(name="later").split("<https://w3id.org/fairgrid/organization/test-org> a")[0]
                  .replace("organization/test-org", "organization/consortium"))  # fmt: skip
    code, out = run("validate", str(ds))
    assert code == 1 and "Agent" in out  # the publisher is not registered yet
    code, out = run("import", str(EXAMPLE), "--dry-run")
    assert code == 0 and "would import 24" in out
    code, out = run("import", str(EXAMPLE))
    assert code == 0 and "imported 24, updated 0, unchanged 0, rejected 0" in out
    code, out = run("import", str(EXAMPLE))
    assert "unchanged 24" in out
    code, out = run("validate", str(ds))
    assert code == 0, out  # now it resolves against the registry
    code, out = run("show", DS)
    assert code == 0 and "prov:generatedAtTime" in out and "Leiden" in out
    shown = runner.invoke(app, ["show", DS, "--format", "json-ld"])
    assert shown.exit_code == 0 and json.loads(shown.stdout)  # warnings, if any, go to stderr
    code, out = run("deprecate", DS, "--reason", "merged into the consortium registry")
    assert code == 0 and "revision 2" in out
    code, out = run("history", DS)
    assert code == 0 and "merged into the consortium" in out
    code, out = run("diff", DS, "1", "2")
    assert code == 0 and "2 added, 0 removed" in out
    code, out = run("show", DS, "--revision", "1", "--format", "nt")
    assert code == 0 and "deprecat" not in out.split("urn:fairgrid:revision")[0]
    code, out = run("show", DS, "--revision", "9")
    assert code == 1 and "no record revision 9" in out
    out_file = tmp_path / "export.ttl"
    code, _ = run("export", "--out", str(out_file))
    title = "Multiple myeloma registry — Leiden example site"
    assert code == 0 and title not in out_file.read_text()  # deprecated: left out
    code, _ = run("export", "--format", "nt", "--include-deprecated", "--out", str(out_file))
    assert title in out_file.read_text()
    code, out = run("terms", "search", "sickle")
    assert code == 0 and "D57" in out
    code, out = run("terms", "descendants", "C90")
    assert code == 0 and "C90.0" in out and "4 descendant(s)" in out
    code, out = run("terms", "descendants", "Z99")
    assert code == 1 and "no concept" in out


def test_import_reports_rejections_and_all_or_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text(dataset(name="b").replace('dct:title "Sickle cell cohort"@en ;', ""))
    good = tmp_path / "good.ttl"
    good.write_text(dataset(name="g"))
    code, out = run("import", "--all-or-nothing", str(good), str(bad))
    assert code == 1 and "nothing imported" in out
    code, out = run("import", str(good), str(bad))
    assert code == 1 and "imported 2" in out and "rejected 1" in out and "dct:title" in out


def test_init_shows_its_progress_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output.err, "_force_terminal", True)  # progress is drawn on terminals only
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    assert "registering" in result.output and "3/3" in result.output
