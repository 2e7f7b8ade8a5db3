"""The documented exit codes (0 ok, 1 invalid input, 2 unreadable input, 3 backend unavailable) hold for
`fairgrid` and its `site` commands alike: a usage error (an unknown option or command, a missing argument,
a value the option cannot take) is invalid input, 1, not Click's 2, which here says a file could not be read."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from api.cli import output
from federation.local import fairgrid_command
from tests.api.cli.conftest import run

pytestmark = pytest.mark.usefixtures("home")
IRI = "https://w3id.org/fairgrid/dataset/x"

USAGE_ERRORS = [
    ["--bogus"],
    ["no-such-command"],
    ["validate"],
    ["validate", "--bogus", "x.ttl"],
    ["show", "--format", "docx", IRI],
    ["serve", "--port", "abc"],
    ["jobs", "no-such-command"],
    ["site", "--bogus"],
    ["site", "no-such-command"],
    ["site", "load"],
    ["site", "init"],
    ["site", "count", "--bogus"],
]


@pytest.mark.parametrize("args", USAGE_ERRORS, ids=" ".join)
def test_a_usage_error_is_invalid_input(args: list[str]) -> None:
    code, out = run(*args)
    assert code == output.EXIT_INVALID, out
    assert "Usage: " in out and "--help" in out


def test_unreadable_input_is_still_2_in_both(tmp_path: Path) -> None:
    code, out = run("validate", str(tmp_path / "missing.ttl"))
    assert code == output.EXIT_UNREADABLE and "no such file" in out, out
    site = tmp_path / "site"
    assert run("site", "init", "--site-id", "site-a", "--home", str(site))[0] == 0
    code, out = run("site", "load", str(tmp_path / "missing.ndjson"), "--home", str(site))
    assert code == output.EXIT_UNREADABLE, out
    code, out = run("site", "stats", "--home", str(tmp_path / "not-a-site"))
    assert code == output.EXIT_UNREADABLE and "is not a site home" in out, out
    assert run("--help")[0] == run("site", "--help")[0] == output.EXIT_OK


def test_the_installed_command_exits_the_same(tmp_path: Path, home: Path) -> None:
    env = {**os.environ, "FAIRGRID_HOME": str(home)}
    for args, expected in (
        (["site", "load"], output.EXIT_INVALID),
        (["--bogus"], output.EXIT_INVALID),
        (["validate", str(tmp_path / "missing.ttl")], output.EXIT_UNREADABLE),
    ):
        done = subprocess.run(
            [*fairgrid_command(), *args], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == expected, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
