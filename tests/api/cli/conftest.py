"""The `fairgrid` CLI in process: `run` (the exit code and the output), a fresh FAIRGRID_HOME per test
(`home`; a module opts in with `pytestmark = pytest.mark.usefixtures("home")`) or per module
(`module_home`), and consoles wide enough that tables do not wrap the texts tests look for."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import output
from api.cli.main import app

runner = CliRunner()


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
