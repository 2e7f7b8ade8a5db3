"""A real Flower SuperLink and SuperNodes on localhost, each node with its site gate, for the demo and tests.

Flower 1.42's SuperLink serves its Control, Fleet and Runtime (ServerAppIo) APIs on ONE HTTP port
(`--host`/`--port`; the old `--fleet-api-address`/`--control-api-address` flags are deprecated no-ops),
so the Control API cannot be kept on a separate local address: here the whole SuperLink listens on
127.0.0.1 only (docs/training.md says how to put it behind TLS for remote sites). The SuperLink starts
its ServerApps itself (`--isolation subprocess`, through `flower-superexec`, found on PATH next to this
Python) and never installs dependencies (`--disable-runtime-dependency-installation`: no network here).

Each SuperNode runs with `--isolation process`, so it starts no ClientApp itself; its gate
(`federation.site.gate_runner`) is the only process that takes its tasks, and the node's task API
requires the shared secret (`--superexec-auth-secret-file`) only the gate holds. Ports are free ones
chosen by the OS; readiness is probed (`/health`, the SuperLink's node list), not slept for; every
process writes to its own log file and runs in its own process group, so stopping one stops its children.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from registry.errors import InputError, Unavailable

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _bin(name: str) -> str:
    exe = Path(sys.executable).parent / name
    if not exe.exists():
        raise Unavailable(f"{name} is not installed next to {sys.executable}", hint="pip install '.[train]'")
    return str(exe)


@dataclass
class Proc:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 10.0) -> None:
        """Signal the process group (the process and what it started), then wait; kill if it lingers."""
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        # children a dead leader left behind (a ServerApp, a ClientApp) go with the group
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def tail(self, n: int = 3000) -> str:
        return self.log.read_text("utf-8", errors="replace")[-n:] if self.log.exists() else ""


@dataclass
class Node:
    site: str
    home: Path
    port: int  # the node's Runtime API (its gate's side)
    node: Proc
    gate: Proc | None
    secret_file: Path
    gpu: bool = False

    @property
    def runtime(self) -> str:
        return f"{HOST}:{self.port}"

    def node_id(self) -> int | None:
        """The id the SuperLink gave this node (from its log), None before it registered."""
        for line in self.node.tail(200_000).splitlines():
            if "SuperNode ID:" in line:
                with contextlib.suppress(ValueError):
                    return int(line.rsplit(":", 1)[1].strip())
        return None

    def stop(self, sig: int = signal.SIGTERM) -> None:
        self.node.stop(sig)
        if self.gate is not None:
            self.gate.stop(sig)


@dataclass
class LocalFlower:
    """`with LocalFlower(root) as fl: fl.add_node("hospital-a", home); fl.wait_nodes(1)`."""

    root: Path  # logs, Flower state, the ServerApps' output
    out: Path | None = None  # FAIRGRID_TRAINING_OUT (default root/out)
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    max_staleness_s: float = 600.0  # the gates' approvals staleness limit
    fast_nodes: bool = (
        True  # SuperNodes poll every 0.5 s instead of 3 s (federation/training/fast_supernode.py)
    )
    port: int = 0
    link: Proc | None = None
    nodes: dict[str, Node] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Every process starts in `root` and is handed paths: relative ones would point elsewhere there
        # (`make demo`'s default home is the relative ./.fairgrid).
        self.root = Path(self.root).resolve()
        self.out = Path(self.out).resolve() if self.out is not None else None

    @property
    def address(self) -> str:
        """The SuperLink's one address: Control API (start runs), Fleet API (nodes) and Runtime API."""
        return f"{HOST}:{self.port}"

    def _env(self, **extra: str) -> dict[str, str]:
        path = f"{Path(sys.executable).parent}{os.pathsep}{self.env.get('PATH', '')}"
        return {**self.env, "PATH": path, "FLWR_TELEMETRY_ENABLED": "0", **extra}

    def _start(self, name: str, cmd: list[str], env: dict[str, str], stdin: bytes | None = None) -> Proc:
        log = self.root / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as f:
            p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, env=env, cwd=self.root,
                                 start_new_session=True,
                                 stdin=subprocess.PIPE if stdin else subprocess.DEVNULL)  # fmt: skip
        if stdin and p.stdin is not None:
            p.stdin.write(stdin)
            p.stdin.close()
        return Proc(name, p, log)

    def start(self, timeout_s: float = 60.0) -> LocalFlower:
        """Start the SuperLink and wait until it answers."""
        if self.port == 8000:
            raise InputError("port 8000 is left to other services; choose another")
        self.root.mkdir(parents=True, exist_ok=True)
        out = self.out or self.root / "out"
        out.mkdir(parents=True, exist_ok=True)
        self.out = out
        self.port = self.port or free_port()
        cmd = [_bin("flower-superlink"), "--insecure", "--host", HOST, "--port", str(self.port),
               "--disable-runtime-dependency-installation",
               "--database", str(self.root / "superlink.db")]  # fmt: skip
        env = self._env(FAIRGRID_TRAINING_OUT=str(out), FLWR_HOME=str(self.root / "flwr-superlink"),
                        # its SuperExec looks for ServerApps to start every second by default
                        FLWR_SUPEREXEC_TASK_POLL_INTERVAL="0.1")  # fmt: skip
        self.link = self._start("superlink", cmd, env)
        self._wait_health(self.link, self.address, timeout_s)
        return self

    def add_node(
        self, site: str, home: Path, *, gpu: bool | None = None, gate: bool = True, wait: bool = True
    ) -> Node:
        """A SuperNode for `site` (node config site-id, site-home, gpu) and, unless told not to, its gate.

        `gpu` defaults to the site's declaration (site.yaml `resources.gpus` > 0), as its gate's does.

        `wait=False` returns at once (start several, then `wait_nodes`); a gate retries until its node is up.
        """
        if self.link is None:
            raise InputError("start the SuperLink first")
        home = Path(home).resolve()
        if gpu is None:
            from federation.site.home import declared_gpus

            gpu = declared_gpus(home) > 0
        port = free_port()
        secret_file = self.root / "secrets" / f"{site}.secret"
        secret_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not secret_file.exists():
            fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_hex(32).encode("ascii"))
        node = self._start_node(site, home, port, secret_file, gpu)
        if wait:
            self._wait_health(node, f"{HOST}:{port}", 60.0)
        g = self.start_gate(site, home, port, secret_file, gpu=gpu) if gate else None
        self.nodes[site] = Node(site, home, port, node, g, secret_file, gpu)
        return self.nodes[site]

    def _start_node(self, site: str, home: Path, port: int, secret_file: Path, gpu: bool) -> Proc:
        config = f'site-id="{site}" site-home="{home}" gpu={"true" if gpu else "false"}'
        launcher = [sys.executable, "-m", "federation.training.fast_supernode"] if self.fast_nodes else [
            _bin("flower-supernode")]  # fmt: skip
        cmd = [*launcher, "--insecure", "--superlink", self.address,
               "--isolation", "process", "--host", HOST, "--port", str(port), "--node-config", config,
               "--superexec-auth-secret-file", str(secret_file)]  # fmt: skip
        return self._start(f"supernode-{site}", cmd, self._env(FLWR_HOME=str(home / "flwr")))

    def restart_node(self, site: str, sig: int = signal.SIGKILL) -> Proc:
        """Kill one site's SuperNode and start it again on the same port; its gate is left running."""
        n = self.nodes[site]
        n.node.stop(sig)
        n.node = self._start_node(site, n.home, n.port, n.secret_file, n.gpu)
        self._wait_health(n.node, n.runtime, 60.0)
        return n.node

    def start_gate(self, site: str, home: Path, port: int, secret_file: Path, *, gpu: bool = False) -> Proc:
        cmd = [sys.executable, "-m", "federation.site.gate_runner", "--serve", "--home", str(home),
               "--runtime", f"{HOST}:{port}", "--site", site, "--secret-file", str(secret_file),
               "--max-staleness", str(self.max_staleness_s), "--gpu" if gpu else "--no-gpu"]  # fmt: skip
        return self._start(f"gate-{site}", cmd, self._env(FLWR_HOME=str(home / "flwr")))

    def restart_gate(self, site: str) -> Proc:
        n = self.nodes[site]
        if n.gate is not None:
            n.gate.stop()
        n.gate = self.start_gate(site, n.home, n.port, n.secret_file, gpu=n.gpu)
        return n.gate

    def wait_nodes(self, count: int | None = None, timeout_s: float = 60.0) -> int:
        """Until the SuperLink lists `count` (default: every node started) online nodes."""
        from flwr.proto.control_pb2 import ListNodesRequest
        from flwr.supercore.control import ControlHttpClient

        want = len(self.nodes) if count is None else count
        deadline = time.monotonic() + timeout_s
        online = 0
        client = ControlHttpClient(f"http://{self.address}", timeout=5.0)
        try:
            while time.monotonic() < deadline:
                with contextlib.suppress(httpx.HTTPError):
                    res = client.ListNodes(ListNodesRequest())
                    online = sum(1 for n in res.nodes_info if n.status == "online")
                    if online >= want:
                        return online
                for n in self.nodes.values():
                    if not n.node.alive:
                        raise Unavailable(f"SuperNode {n.site} exited: {n.node.tail()}")
                time.sleep(0.2)
        finally:
            client.close()
        raise Unavailable(f"{online} of {want} SuperNodes online after {timeout_s} s")

    def stop_node(self, site: str, sig: int = signal.SIGTERM) -> None:
        """Stop one site's SuperNode and gate (SIGKILL: as if the hospital's machine went away)."""
        self.nodes[site].stop(sig)

    def stop(self) -> None:
        procs = [p for n in self.nodes.values() for p in (n.node, n.gate) if p is not None]
        procs += [self.link] if self.link is not None else []
        for p in procs:  # signal all first, so they shut down side by side
            if p.alive:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.proc.pid, signal.SIGTERM)
        for p in procs:
            p.stop()

    def __enter__(self) -> LocalFlower:
        return self.start() if self.link is None else self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _wait_health(self, proc: Proc, address: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not proc.alive:
                raise Unavailable(f"{proc.name} exited at start: {proc.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://{address}/health", timeout=2.0).status_code == 200:
                    return
            time.sleep(0.1)
        raise Unavailable(f"{proc.name} did not answer on {address} after {timeout_s} s")
