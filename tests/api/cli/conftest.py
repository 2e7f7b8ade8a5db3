"""The `fairgrid` CLI in process: `run` (the exit code and the output), a fresh FAIRGRID_HOME per test
(`home`; a module opts in with `pytestmark = pytest.mark.usefixtures("home")`) or per module
(`module_home`), consoles wide enough that tables do not wrap the texts tests look for, and a submitted
training job (`submitted_job`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from api.cli import output
from api.cli.main import app
from api.cli.site import register
from federation.signing import public_text
from federation.site.keys import site_key
from tests.conftest import EXAMPLE

runner = CliRunner()
MODEL = "https://w3id.org/fairgrid/model/mds-aml-progression"
CRITERIA = {"inclusion": [[{"type": "diagnosis", "system": "icd10", "code": "D46"}]]}


def site_only_app() -> typer.Typer:
    """A CLI of only what api/cli/site.py registers (`site ...`, `synth`)."""
    site_app = typer.Typer()

    @site_app.callback()
    def _main() -> None:
        """test entry point"""

    register(site_app)
    return site_app


def run(*args: str, input: str | bytes | None = None) -> tuple[int, str]:
    """`fairgrid ARGS`: its exit code and output (stdout and stderr)."""
    result = runner.invoke(app, list(args), input=input)
    # a refusal is a SystemExit with the documented code; anything else escaped as a traceback
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def _widen(mp: pytest.MonkeyPatch) -> None:
    for console in (output.out, output.err):
        mp.setattr(console, "width", 300)


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    _widen(monkeypatch)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wide: None) -> Path:
    """FAIRGRID_HOME for this test: a folder not yet made, under its tmp_path."""
    monkeypatch.setenv("FAIRGRID_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@contextmanager
def module_home(tmp_path_factory: pytest.TempPathFactory, name: str, *commands: list[str]) -> Iterator[Path]:
    """FAIRGRID_HOME for a module's tests, set up by `commands` (each must exit 0)."""
    path = tmp_path_factory.mktemp(name) / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FAIRGRID_HOME", str(path))
        _widen(mp)
        for command in commands:
            code, out = run(*command)
            assert code == 0, out
        yield path


def submitted_job(tmp_path: Path, site_home: Path, title: str) -> str:
    """`init`, the example catalogue and site `site-a` (its signing key from `site_home`) imported, and a job
    for site-a submitted under `title` (files under tmp_path): the job's IRI."""
    assert run("init", "--no-terminologies")[0] == 0
    assert run("import", str(EXAMPLE))[0] == 0
    sites = tmp_path / "sites.ttl"
    sites.write_text(
        "@prefix fg: <https://w3id.org/fairgrid/ns#> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .\n"
        '<https://w3id.org/fairgrid/site/site-a> a fg:Site, foaf:Organization ; foaf:name "A" ;\n'
        f'  fg:siteId "site-a" ; fg:signingKey "{public_text(site_key(site_home))}" .\n'
    )
    assert run("import", str(sites))[0] == 0
    criteria = tmp_path / "criteria.json"
    criteria.write_text(json.dumps(CRITERIA))
    fab = tmp_path / "app.fab"
    fab.write_bytes(b"a flower app bundle")
    code, out = run(
        "jobs", "submit", "--title", title, "--model", MODEL, "--criteria", str(criteria), "--site", "site-a",
        "--purpose", "risk model", "--expires", "2099-01-01T00:00:00+00:00", "--fab", str(fab), "--json",
    )  # fmt: skip
    assert code == 0, out
    return str(json.loads(out)["iri"])
