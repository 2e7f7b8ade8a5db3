"""One process per task at a site, started from a fork server that already holds the heavy imports.

A fresh interpreter per task spends most of a round importing torch, flwr and fairgrid (12-15 s on a
loaded machine, for a model that trains in under 2 s). The gate therefore starts each task's process from
a multiprocessing fork server whose one-off start imports those libraries (PRELOAD): a task's process is
a fork of it, so it begins with them already imported. What stays per task is what the gate needs:
- a new process for every task (crash containment; nothing one task leaves in memory reaches the next);
- the gate's full check in that process, before any app code (`gate_runner.serve_task`): the FAB's bytes
  are hashed again and the run config read from the task's own input;
- the app's own code (the FAB) is in no preload: it is installed and imported only after the check, in
  the task's process, as before. The preloaded modules are flwr's, torch's and fairgrid's site code.

Fork safety: the fork server only imports (no torch op runs in it, so no OpenMP/intra-op thread pool and
no CUDA context exist to be copied); the task's process sets torch's thread count and reseeds numpy's and
torch's global generators itself, so no two tasks share a random state. The server reads its environment
(FLWR_HOME, CUDA_VISIBLE_DEVICES) when it starts: `TaskProcesses` sets it first. The server takes
requests on a Unix socket in a private (0700) temporary folder of the gate's user; Python 3.11's fork
server checks no key, so anyone running as that user could ask it for a process, as they could run one.

`fork_server=False` (FAIRGRID_GATE_FORK_SERVER=0) starts a fresh interpreter per task instead: the slow
path, kept to measure against and as a way out if a library turns out not to survive a fork.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.forkserver
import os
import subprocess
import sys
import warnings
from collections.abc import Callable, Mapping
from multiprocessing.process import BaseProcess
from typing import Any, Protocol

log = logging.getLogger("fairgrid.gate")
# A forked task process re-runs the gate's main module (`-m federation.site.gate_runner`) as __mp_main__,
# as multiprocessing does; the module is already imported there (preloaded), which runpy warns about.
warnings.filterwarnings(
    "ignore", message=".*found in sys.modules after import of package", category=RuntimeWarning
)

# imported once by the fork server; never the app's own package (it comes out of the FAB, after the check)
PRELOAD = (
    "numpy",
    "torch",
    "safetensors.torch",
    "flwr.app",
    "flwr.clientapp",
    "flwr.supernode.runtime.run_clientapp",
    "federation.site.gate_runner",
    "federation.training.data",
    "federation.training.flowerconfig",
    "federation.training.metrics",
)


class Child(Protocol):
    def poll(self) -> int | None: ...


class _Forked:
    """A forked task process, seen through Popen's `poll()`."""

    def __init__(self, process: BaseProcess) -> None:
        self.process = process
        self.pid = process.pid

    def poll(self) -> int | None:
        if self.process.is_alive():
            return None
        code = self.process.exitcode
        return -1 if code is None else code


def task_main(args: tuple[str, str, str, bool, float], token: str, task: str) -> None:
    """The task's process (forked from the server): fresh per-process state, then the gated task."""
    _fresh_process_state()
    from pathlib import Path

    from federation.site.gate_runner import GateConfig, serve_task

    home, runtime, site, gpu, staleness = args
    os.chdir(home)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s gate: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    serve_task(GateConfig(Path(home), runtime, site, gpu=gpu, max_staleness_s=staleness), token, task)


def _fresh_process_state() -> None:
    import numpy as np
    import torch

    np.random.seed()  # from the OS: a fork would otherwise repeat the server's state in every task
    torch.seed()
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    torch.set_num_threads(max(1, cpus))  # the pool is created here, in this process, not inherited


class TaskProcesses:
    """Starts one process per task; with the fork server, a fork of a process that has PRELOAD imported."""

    def __init__(self, env: Mapping[str, str], *, fork_server: bool = True) -> None:
        self.env = dict(env)
        self.fork_server = fork_server
        self._ctx: Any = None
        if fork_server:
            # the server inherits this process's environment when it starts, once, here
            os.environ.update(self.env)
            self._ctx = multiprocessing.get_context("forkserver")
            self._ctx.set_forkserver_preload(list(PRELOAD))
            multiprocessing.forkserver.ensure_running()  # its imports run now, before the first task

    def start(
        self, cli_args: list[str], args: tuple[str, str, str, bool, float], token: str, task: str
    ) -> Child:
        if self._ctx is None:
            cmd = [sys.executable, "-m", "federation.site.gate_runner", "--task", task, *cli_args]
            child = subprocess.Popen(cmd, stdin=subprocess.PIPE, env=self.env, cwd=args[0])
            assert child.stdin is not None
            child.stdin.write(token.encode("ascii"))  # not argv: other users can read a process's arguments
            child.stdin.close()
            return child
        # the token travels pickled over the fork server's socket, not in any argv
        return self.fork(task_main, args, token, task)

    def fork(self, target: Callable[..., None], *args: Any) -> Child:
        """A new process running `target(*args)`, forked from the preloaded server."""
        process = self._ctx.Process(target=target, args=args, daemon=False)
        process.start()
        return _Forked(process)
