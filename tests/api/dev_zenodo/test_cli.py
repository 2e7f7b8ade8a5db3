"""`fairgrid dev-zenodo` as its own process: says it is a stand-in, serves, keeps state across restarts."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
from typer.testing import CliRunner

from api.cli.main import app
from tests.api.dev_zenodo.conftest import TOKEN, published
from tests.conftest import free_port

runner = CliRunner()
FAIRGRID = [sys.executable, "-c", "from api.cli.main import main; main()"]


def _start(data: Path, port: int, *extra: str) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        [*FAIRGRID, "dev-zenodo", "--port", str(port), "--data", str(data), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert proc.stdout is not None
    lines: list[str] = []
    while not any(line.startswith("state in") for line in lines):
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else "no output"
        lines.append(line.strip())
    return proc, lines


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.terminate()
    _, err = proc.communicate(timeout=20)
    return err


def test_serves_says_it_is_a_stand_in_and_keeps_state(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc, lines = _start(tmp_path, port)
    try:
        assert f"set FAIRGRID_ZENODO_URL={url}" in lines
        made_up = next(
            line.split("=", 1)[1] for line in lines if line.startswith("set FAIRGRID_ZENODO_TOKEN=")
        )
        dep = published(
            httpx.Client(base_url=url, headers={"Authorization": f"Bearer {made_up}"}, timeout=10)
        )
    finally:
        err = _stop(proc)
    assert "LOCAL STAND-IN" in err
    # Restarted on the same folder with a given token: the state is kept and the token is not echoed.
    proc, lines = _start(tmp_path, port, "--token", TOKEN)
    try:
        assert not any(TOKEN in line for line in lines)
        got = httpx.get(
            f"{url}/api/deposit/depositions/{dep['id']}", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert got.status_code == 200 and got.json()["doi"] == dep["doi"]
    finally:
        err = _stop(proc)
    assert TOKEN not in err


def test_bad_options_exit_1_without_a_traceback(tmp_path: Path) -> None:
    for args in (["--fail", "status=503"], ["--fail", "route=/a,status=200"], ["--fail-rate", "2"],
                 ["--port", "70000"], ["--max-file-bytes", "0"]):  # fmt: skip
        r = runner.invoke(app, ["dev-zenodo", "--data", str(tmp_path), *args])
        assert r.exit_code == 1, (args, r.output)
        assert r.exception is None or isinstance(r.exception, SystemExit)


def test_a_port_in_use_is_exit_3(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        r = runner.invoke(app, ["dev-zenodo", "--data", str(tmp_path), "--port", str(taken.getsockname()[1])])
    assert r.exit_code == 3, r.output
