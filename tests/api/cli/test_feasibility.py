"""`fairgrid feasibility` on criteria it cannot parse: bytes that are not UTF-8, text that is not JSON,
from a file or standard input. Exit 2 (unreadable input, as `validate`), a message, never a traceback;
the hub is not asked."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import output
from api.cli.main import app

runner = CliRunner()
NO_HUB = "http://127.0.0.1:9"  # nothing listens: reaching it would exit 3, not 2


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    for console in (output.out, output.err):
        monkeypatch.setattr(console, "width", 300)


@pytest.mark.parametrize("body", [b"\xbd\xff binary", b'{"codes": ['], ids=["not UTF-8", "not JSON"])
@pytest.mark.parametrize("from_stdin", [False, True], ids=["file", "stdin"])
def test_criteria_that_do_not_parse(tmp_path: Path, body: bytes, from_stdin: bool) -> None:
    path = tmp_path / "criteria.json"
    path.write_bytes(body)
    arg = "-" if from_stdin else str(path)
    result = runner.invoke(app, ["feasibility", arg, "--hub", NO_HUB], input=body if from_stdin else None)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == output.EXIT_UNREADABLE, result.output
    assert "not JSON" in result.output and "cannot reach the hub" not in result.output
