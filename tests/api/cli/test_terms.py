"""`fairgrid terms`: every code form of a concept (ORPHA:232, its IRI, D46) works in search and descendants."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import output
from api.cli.main import app

runner = CliRunner()
ORPHA_232 = "http://www.orpha.net/ORDO/Orphanet_232"


@pytest.fixture(scope="module", autouse=True)
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("cli-terms") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FAIRGRID_HOME", str(path))
        for console in (output.out, output.err):
            mp.setattr(console, "width", 300)
        assert runner.invoke(app, ["init"]).exit_code == 0
        yield path


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("form", ["ORPHA:232", "orpha:232", ORPHA_232])
def test_orpha_232_in_every_form(form: str) -> None:
    code, out = run("terms", "descendants", form)
    assert code == 0 and f"0 descendant(s) of {form}" in out
    code, out = run("terms", "search", form)
    assert code == 0 and ORPHA_232 in out and "ORPHA:232" in out


def test_d46_by_code_and_iri() -> None:
    by_code = run("terms", "descendants", "D46")
    by_iri = run("terms", "descendants", "http://id.who.int/icd/release/10/2019/D46")
    assert by_code[0] == by_iri[0] == 0 and "D46.2" in by_code[1] and "D46.2" in by_iri[1]


def test_an_unknown_code_is_exit_1_naming_it() -> None:
    code, out = run("terms", "descendants", "ORPHA:999999")
    assert code == 1 and "'ORPHA:999999'" in out
