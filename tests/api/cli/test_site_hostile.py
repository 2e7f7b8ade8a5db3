"""`fairgrid site load` on hostile FHIR: JSON nested past Python's recursion limit, a resource larger than
the store's staging line. Each is a rejected record (exit 1, file:line and why), never a traceback nor
"retry later", and the store is unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.cli import output
from api.cli.main import app
from tests.api.cli.conftest import run, runner

PATIENT = {"resourceType": "Patient", "id": "p1", "gender": "male", "birthDate": "1950-01-01"}


@pytest.fixture
def home(tmp_path: Path, wide: None) -> Path:
    home = tmp_path / "site"
    assert run("site", "init", "--site-id", "site-a", "--home", str(home))[0] == 0
    return home


def load(home: Path, path: Path) -> tuple[int, str]:
    return run("site", "load", str(path), "--home", str(home))


def stats(home: Path) -> str:
    return runner.invoke(app, ["site", "stats", "--home", str(home)]).output


@pytest.mark.parametrize("name", ["deep.ndjson", "deep.json"])
def test_json_nested_too_deeply_is_a_rejected_record(home: Path, tmp_path: Path, name: str) -> None:
    before = stats(home)
    deep = tmp_path / name
    nested = "[" * 100_000 + "]" * 100_000
    deep.write_text(json.dumps(PATIENT)[:-1] + f', "extension": {nested}}}\n')
    code, out = load(home, deep)
    assert code == output.EXIT_INVALID, out
    assert f"{name}:1" in out and "nested" in out
    assert stats(home) == before


def test_a_resource_too_large_is_a_rejected_record_not_unavailable(home: Path, tmp_path: Path) -> None:
    before = stats(home)
    big = dict(PATIENT, extension=[{"url": "https://example.org/x", "valueString": "y" * 3_000_000}])
    path = tmp_path / "big.ndjson"
    path.write_text(json.dumps(PATIENT | {"id": "p0"}) + "\n" + json.dumps(big) + "\n")
    code, out = load(home, path)
    assert code == output.EXIT_INVALID, out
    assert "big.ndjson:2" in out and "bytes" in out and "retry later" not in out
    assert len(out) < 5_000  # the resource is not echoed
    assert stats(home) == before
    skipping = runner.invoke(app, ["site", "load", "--skip-invalid", str(path), "--home", str(home)])
    assert skipping.exit_code == output.EXIT_INVALID and "1 loaded" in skipping.output
    assert '"patients": 1' in stats(home)


def test_a_fifo_is_not_said_to_be_missing(home: Path, tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "pipe.ndjson"
    os.mkfifo(fifo)
    code, out = load(home, fifo)
    assert code == output.EXIT_UNREADABLE and "pipe.ndjson: not a regular file" in out, out


@pytest.mark.parametrize("entry", ["5", '"nope"', '{"resource": {}}'])
def test_a_bundle_whose_entry_is_not_a_list(home: Path, tmp_path: Path, entry: str) -> None:
    bundle = tmp_path / "bundle.json"
    bundle.write_text(f'{{"resourceType": "Bundle", "type": "collection", "entry": {entry}}}')
    code, out = load(home, bundle)
    assert code == output.EXIT_INVALID, out
    assert "bundle.json#entry: Bundle.entry is not a list" in out and "1 of 1 records rejected" in out
