"""Shared fixtures: real stores (embedded Oxigraph and an Oxigraph SPARQL server), registries."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from registry.config import AuthSettings, Settings
from registry.identity import Identity, Role
from registry.locks import exclusive
from registry.wiring import Registry, open_registry
from tests.shared_nodes import OPENSEARCH_URL, node_lock

# Tests sign in with `fairgrid dev-token` tokens: development sign-in must be asked for explicitly, here
# for the CLI and the servers tests start (`make test` sets it too), and DEV_AUTH for settings built in code.
os.environ.setdefault("FAIRGRID_DEV_AUTH", "1")
# `fairgrid init` and the demo register the complete terminologies (~210,000 triples); the tests that
# run them (and the servers they start) register the use cases' subsets unless a test asks for more.
os.environ.setdefault("FAIRGRID_TERMINOLOGY_SET", "subset")
DEV_AUTH = AuthSettings(dev=True)

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "ontologies" / "examples" / "consortium.ttl"

CURATOR = Identity("curator-1", frozenset({Role.CURATOR}))
RESEARCHER = Identity("researcher-1", frozenset({Role.RESEARCHER}))


PORT_CLAIMS = Path(tempfile.gettempdir()) / "fairgrid-test-ports.json"
CLAIM_S = 600.0  # longer than a test holds a port it was handed


def _any_free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_port() -> int:
    """A port free now, and not handed out by this function to any test process on the machine (xdist
    workers, other runs) in the last CLAIM_S seconds: a test binds it later, or relies on nothing
    listening there, and meanwhile the other workers' servers take other ports."""
    with exclusive(PORT_CLAIMS.with_suffix(".lock"), timeout_s=60, what="the test port claims"):
        now = time.time()
        try:
            claims = {p: t for p, t in json.loads(PORT_CLAIMS.read_text()).items() if now - t < CLAIM_S}
        except (OSError, ValueError):
            claims = {}
        for _ in range(1000):
            port = _any_free_port()
            if str(port) not in claims:
                break
        claims[str(port)] = now
        PORT_CLAIMS.write_text(json.dumps(claims))
    return port


def listens(pid: int, port: int) -> bool:
    """Whether process `pid` holds the socket listening on 127.0.0.1:`port` (Linux; elsewhere assumed)."""
    try:
        rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return True
    inodes = {
        f"socket:[{cols[9]}]"
        for cols in (row.split() for row in rows)
        if cols[1] == f"0100007F:{port:04X}" and cols[3] == "0A"  # 0A: LISTEN
    }
    try:
        return any(os.readlink(fd) in inodes for fd in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:  # it exited meanwhile
        return False


def oxigraph_binary() -> str:
    exe = Path(sys.executable).parent / "oxigraph"
    found = str(exe) if exe.exists() else shutil.which("oxigraph")
    if not found:
        pytest.fail("the `oxigraph` server (PyPI package oxigraph) is not installed; run `make install`")
    return found


class OxigraphServer:
    def __init__(self, location: Path, *, timeout_s: float | None = None):
        self.location = location
        self.timeout_s = timeout_s  # the server's own query limit (`--timeout-s`)
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the server on a free port; when another process took the port between `free_port`
        and the server's bind (xdist workers start servers at the same time), on another one."""
        error = b""
        for _ in range(5):
            self.proc = subprocess.Popen(self._command(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if self._answers():
                return
            error = self.proc.communicate(timeout=10)[1] if self.proc.poll() is not None else b""
            self.stop()
            self.port = free_port()
        raise RuntimeError(f"oxigraph server did not start: {error.decode(errors='replace')[-2000:]}")

    def _command(self) -> list[str]:
        return [
            oxigraph_binary(),
            "serve",
            "--location",
            str(self.location),
            "--bind",
            f"127.0.0.1:{self.port}",
            *(["--timeout-s", f"{self.timeout_s:g}"] if self.timeout_s is not None else []),
        ]

    def _answers(self) -> bool:
        """Whether this server (not another process on its port) answers within 30 s."""
        assert self.proc is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                httpx.get(self.url + "/query", params={"query": "ASK {}"}, timeout=1.0)
                if listens(self.proc.pid, self.port):
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    server = OxigraphServer(tmp_path_factory.mktemp("oxigraph-server"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", auth=DEV_AUTH)


@pytest.fixture
def reg(settings: Settings) -> Iterator[Registry]:
    r = open_registry(settings)
    yield r
    r.close()


@pytest.fixture(autouse=True)
def opensearch_turn(request: pytest.FixtureRequest) -> Iterator[None]:
    """OpenSearch tests (xdist workers, other runs) share the one node; a test marked
    `restarts_opensearch` has it alone, and the others wait meanwhile (tests/shared_nodes.py)."""
    if request.node.get_closest_marker("opensearch") is None:
        yield
        return
    alone = request.node.get_closest_marker("restarts_opensearch") is not None
    with node_lock(OPENSEARCH_URL, exclusive=alone):
        yield
