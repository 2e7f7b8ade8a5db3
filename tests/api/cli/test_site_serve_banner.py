"""`fairgrid site serve` names the hub it dials in its first line: a hub URL's credentials are masked
there as in every error and log line."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from api.cli.main import app
from federation.local import fairgrid_command
from tests.conftest import free_port

runner = CliRunner()


def test_the_hub_password_is_not_printed(tmp_path: Path) -> None:
    home = tmp_path / "site"
    assert runner.invoke(app, ["site", "init", "--site-id", "site-b", "--home", str(home)]).exit_code == 0
    hub = f"http://agent:hunter2@127.0.0.1:{free_port()}"  # nothing listens: the agent keeps retrying
    cmd = [*fairgrid_command(), "site", "serve", "--home", str(home), "--hub", hub, "--token", "t0ken"]
    env = {**os.environ, "FAIRGRID_HOME": str(tmp_path / "hub"), "COLUMNS": "300"}
    with subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True) as agent:
        try:
            assert agent.stderr is not None
            banner = next(line for line in agent.stderr if "agent for" in line)
        finally:
            agent.terminate()
    assert "hunter2" not in banner and "***@127.0.0.1" in banner, banner
