"""`fairgrid feasibility` on criteria it cannot parse: bytes that are not UTF-8, text that is not JSON,
from a file or standard input. Exit 2 (unreadable input, as `validate`), a message, never a traceback;
the hub is not asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.cli import output
from tests.api.cli.conftest import run

pytestmark = pytest.mark.usefixtures("wide")
NO_HUB = "http://127.0.0.1:9"  # nothing listens: reaching it would exit 3, not 2


@pytest.mark.parametrize("body", [b"\xbd\xff binary", b'{"codes": ['], ids=["not UTF-8", "not JSON"])
@pytest.mark.parametrize("from_stdin", [False, True], ids=["file", "stdin"])
def test_criteria_that_do_not_parse(tmp_path: Path, body: bytes, from_stdin: bool) -> None:
    path = tmp_path / "criteria.json"
    path.write_bytes(body)
    arg = "-" if from_stdin else str(path)
    code, out = run("feasibility", arg, "--hub", NO_HUB, input=body if from_stdin else None)
    assert code == output.EXIT_UNREADABLE, out
    assert "not JSON" in out and "cannot reach the hub" not in out
