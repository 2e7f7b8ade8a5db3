"""A real `fairgrid serve` (and an Oxigraph store server) on a free local port, for benchmarks and the
tests that need a live server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def store_server(location: Path, *, stderr: int | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """`oxigraph serve` over the store folder `location` on a free local port (`fairgrid serve --workers N`
    needs the store as a server), answering when returned: the process and its query URL. `stderr`: as
    for subprocess.Popen (default: this process's)."""
    exe = Path(sys.executable).parent / "oxigraph"
    port = free_port()
    cmd = [str(exe) if exe.exists() else "oxigraph", "serve", "--location", str(location)]
    proc = subprocess.Popen([*cmd, "--bind", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=stderr)
    url = f"http://127.0.0.1:{port}/query"
    for _ in range(300):
        try:
            httpx.get(url, params={"query": "ASK {}"}, timeout=1)
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the Oxigraph server did not start")


class LiveServer:
    """`fairgrid serve` over FAIRGRID_HOME=home (development auth on), ready when entered."""

    def __init__(self, home: Path, *, workers: int = 1, env: dict[str, str] | None = None) -> None:
        self.home, self.workers, self.port = home, workers, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "FAIRGRID_HOME": str(home), "FAIRGRID_DEV_AUTH": "1", **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 90) -> None:
        exe = str(Path(sys.executable).parent / "fairgrid")
        cmd = [
            exe,
            "serve",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--log-level",
            "warning",
        ]
        self.proc = subprocess.Popen(cmd, env=self.env)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"fairgrid serve exited with {self.proc.returncode}")
            try:
                if httpx.get(self.base + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("fairgrid serve did not become ready")

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    def __enter__(self) -> LiveServer:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
