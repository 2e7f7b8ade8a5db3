"""`fairgrid harvest` and `fairgrid review` against a real local HTTP server: exit codes, the review queue."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.cli import output
from api.cli.main import app
from registry.vocab import Kind
from tests.api.cli.conftest import run, runner
from tests.harvest_server import Example, HarvestServer, harvest_server

pytestmark = pytest.mark.usefixtures("home")


@pytest.fixture
def srv() -> Iterator[HarvestServer]:
    with harvest_server() as s:
        yield s


def test_harvest_then_review_queue(srv: HarvestServer) -> None:
    ex = Example(srv.base)
    bad = ex.of(Kind.DATASET)[0]
    ex.untitle(bad)
    srv.serve(ex.fdp())
    code, out = run("harvest", srv.url("/fdp"), "--source-id", "fdp-a", "--dry-run")
    assert code == 0 and "dry run" in out and "valid" in out
    code, out = run("review")
    assert code == 0 and "no non-conformant records" in out  # the dry run stored nothing
    code, out = run("harvest", srv.url("/fdp"), "--source-id", "fdp-a")
    assert code == 0, out
    assert f"non-conformant {bad}: kept as a draft" in out
    code, out = run("review", "--source", "fdp-a")
    assert code == 0 and "1 non-conformant record(s)" in out and bad in out and "dct:title" in out
    code, out = run("review", "--format", "json")
    (queued,) = json.loads(out)
    assert queued["record"] == bad and queued["source"] == "fdp-a"
    assert [v["path"] for v in queued["violations"]] == ["http://purl.org/dc/terms/title"]
    code, out = run("harvest", srv.url("/fdp"), "--source-id", "fdp-a", "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["notModified"] == report["documents"] == len(srv.docs)
    assert report["counts"] == {"unchanged": len(ex.records)}


def test_harvest_exit_codes(srv: HarvestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ex = Example(srv.base)
    srv.serve(ex.paged())
    srv.fail["/catalog?page=2"] = "500"
    code, out = run("harvest", srv.url("/catalog?page=1"), "--source-id", "src")
    assert code == 3 and "page=2 answered 500" in out  # unavailable: nothing changed, retry later
    code, out = run("harvest", srv.url("/missing"), "--source-id", "src")
    assert code == 2 and "404" in out
    code, out = run("harvest", srv.url("/catalog?page=1"), "--source-id", "Not Valid")
    assert code == 1 and "not valid" in out
    broken = tmp_path / "broken.ttl"
    broken.write_text("<a> <b> .\n")
    code, out = run("harvest", str(broken), "--source-id", "file-src")
    assert code == 2 and "broken.ttl" in out
    code, out = run("harvest", "--source-id", "src")
    assert code == 1 and "no harvest source 'src' is configured" in out
    srv.fail.clear()
    monkeypatch.setenv("FAIRGRID_HARVEST_SOURCES", f"src={srv.url('/catalog?page=1')}")
    code, out = run("harvest", "--source-id", "src")  # the configured source's URL
    assert code == 0 and "imported" in out


def test_source_credentials_are_neither_printed_nor_published(srv: HarvestServer, home: Path) -> None:
    ex = Example(srv.base)
    docs = ex.fdp()
    docs["/fdp?token=abc123"] = docs["/fdp"]
    srv.serve(docs)
    url = srv.url("/fdp?token=abc123").replace("http://", "http://harvester:hunter2@")
    for fmt in ("text", "json"):
        code, out = run("harvest", url, "--source-id", "fdp-s", "--base", srv.base, "--format", fmt)
        assert code == 0, out
        assert "hunter2" not in out and "abc123" not in out, out
    exported = runner.invoke(app, ["export", "--format", "nt"]).stdout
    assert f"<{srv.url('/fdp?token=***')}>" in exported  # fg:harvestedFrom, without the credentials
    assert "hunter2" not in exported and "abc123" not in exported
    cached = [f.read_bytes() for f in (home / "harvest").rglob("*.json")]  # the page cache's metadata
    assert cached and not any(b"hunter2" in c or b"abc123" in c for c in cached)


def test_url_schemes(srv: HarvestServer) -> None:
    code, out = run("harvest", "ftp://fdp.example.org/catalog", "--source-id", "fdp-f")
    assert code == output.EXIT_INVALID and "cannot harvest ftp:// URLs" in out, out  # not "no such file"
    ex = Example(srv.base)
    srv.serve(ex.fdp())
    shouting = srv.url("/fdp").replace("http://", "HTTP://")  # a scheme is case-insensitive
    code, out = run("harvest", shouting, "--source-id", "fdp-u", "--base", srv.base, "--dry-run")
    assert code == 0 and "dry run" in out, out


def test_a_source_without_records_says_what_to_give(tmp_path: Path) -> None:
    empty = tmp_path / "empty.ttl"
    empty.write_text("")
    code, out = run("harvest", str(empty), "--source-id", "fdp-e")
    assert code == output.EXIT_INVALID and "describes no records" in out and "what to do:" in out, out
