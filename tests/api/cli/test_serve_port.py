"""`fairgrid serve` with a port it cannot listen on: out of range (refused as input, as dev-zenodo does)
or taken by another process (exit 3 with the reason, as dev-zenodo; not uvicorn's traceback, and the
store is not opened); `dev-token` with a lifetime under a second."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from api.cli import output
from api.cli.main import app
from tests.api.cli.conftest import runner


@pytest.fixture(autouse=True)
def env(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAIRGRID_DEV_AUTH", "1")
    for var in ("FAIRGRID_SEARCH_URL", "FAIRGRID_STORE_URL", "FAIRGRID_WORKERS"):
        monkeypatch.delenv(var, raising=False)


@pytest.mark.parametrize("port", ["-1", "65536", "99999"])
def test_a_port_out_of_range_is_refused(port: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--once", "--port", port])
    assert result.exit_code == output.EXIT_INVALID, result.output
    assert f"--port {port} is not a TCP port" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "home" / "store").exists()


def test_a_port_in_use_is_said_plainly(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for once in (["--once"], []):
            result = runner.invoke(app, ["serve", *once, "--port", str(port)])
            assert result.exit_code == output.EXIT_UNAVAILABLE, result.output
            assert f"cannot listen on 127.0.0.1:{port}" in result.output, result.output
            assert "Traceback" not in result.output and "another process may use the port" in result.output
    assert not (tmp_path / "home" / "store").exists()


@pytest.mark.parametrize("ttl", ["0", "-5"])
def test_dev_token_refuses_a_token_expired_when_printed(ttl: str) -> None:
    result = runner.invoke(app, ["dev-token", "--role", "curator", "--ttl", ttl])
    assert result.exit_code == output.EXIT_INVALID and "at least 1 second" in result.output
    assert "." not in result.stdout  # no JWT printed
