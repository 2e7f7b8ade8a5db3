"""Site agents as local processes, for the demo, the tests and the benchmark (a real deployment runs one
`fairgrid site serve` per hospital, started by its own operators)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx


def fairgrid_command() -> list[str]:
    exe = Path(sys.executable).parent / "fairgrid"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "api.cli.main"]


@dataclass
class AgentProcess:
    site: str
    home: Path
    proc: subprocess.Popen[bytes]
    log: Path

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGCONT)  # a stopped process cannot handle SIGTERM
                self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@dataclass
class LocalSites:
    hub: str
    env: dict[str, str]
    agents: dict[str, AgentProcess] = field(default_factory=dict)

    def start(self, site: str, home: Path, token: str) -> AgentProcess:
        log = home / "agent.log"
        cmd = [*fairgrid_command(), "site", "serve", "--home", str(home), "--hub", self.hub, "--token", token]
        with log.open("ab") as out:
            proc = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, env=self.env, start_new_session=True
            )
        self.agents[site] = AgentProcess(site, home, proc, log)
        return self.agents[site]

    def wait_connected(self, token: str, sites: list[str] | None = None, timeout_s: float = 60) -> None:
        """Until the hub lists every one of `sites` (default: all started) as connected."""
        want = set(sites if sites is not None else self.agents)
        deadline = time.monotonic() + timeout_s
        seen: set[str] = set()
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError, ValueError):
                r = httpx.get(
                    f"{self.hub}/federation/sites", headers={"Authorization": f"Bearer {token}"}, timeout=5
                )
                seen = {s["site"] for s in r.json() if s["connected"]}
                if want <= seen:
                    return
            for a in self.agents.values():
                if a.site in want and a.proc.poll() is not None:
                    raise RuntimeError(
                        f"site agent {a.site} exited: {a.log.read_text(errors='replace')[-2000:]}"
                    )
            time.sleep(0.2)
        raise TimeoutError(f"sites not connected after {timeout_s} s: {sorted(want - seen)}")

    def stop_all(self) -> None:
        for a in self.agents.values():
            a.stop()
