"""Task processes forked from the gate's fork server: heavy imports done, no app code, fresh random state."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from federation.site.task_processes import PRELOAD, Child, TaskProcesses


def probe(out: str) -> None:
    """Runs in a forked task process: what it starts with, and what its generators give."""
    preloaded = {name: name in sys.modules for name in ("torch", "flwr.app", "federation.training.data")}
    import numpy as np
    import torch

    from federation.site.task_processes import _fresh_process_state

    app_loaded = any(name == "fgtrain" or name.startswith("fgtrain.") for name in sys.modules)
    _fresh_process_state()
    value = float((torch.ones(64, 64) @ torch.ones(64, 64)).sum())  # a torch op works after the fork
    Path(out).write_text(json.dumps({"preloaded": preloaded, "app_loaded": app_loaded,
                                     "np": float(np.random.random()), "torch": float(torch.rand(1)),
                                     "matmul": value, "threads": torch.get_num_threads()}))  # fmt: skip


def _wait(child: Child) -> int:
    deadline = time.monotonic() + 300  # a bound for a stuck child, not a timing assertion
    while (code := child.poll()) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert code is not None, "the forked process did not finish"
    return code


def test_preload_is_libraries_and_site_code_not_the_app() -> None:
    assert not any(name.split(".")[0] == "fgtrain" for name in PRELOAD)
    assert all(
        name.split(".")[0] in {"numpy", "torch", "safetensors", "flwr", "federation"} for name in PRELOAD
    )


def test_forked_tasks_start_with_imports_done_and_their_own_random_state(tmp_path: Path) -> None:
    procs = TaskProcesses({"FAIRGRID_TASK_PROCESSES_TEST": "1"})
    outs = [tmp_path / f"{i}.json" for i in range(2)]
    children = [procs.fork(probe, str(out)) for out in outs]
    assert [_wait(c) for c in children] == [0, 0]
    a, b = (json.loads(out.read_text()) for out in outs)
    for r in (a, b):
        assert all(r["preloaded"].values()), r  # torch, flwr, fairgrid's data access came with the fork
        assert not r["app_loaded"] and r["matmul"] == 64.0**3 and r["threads"] >= 1
    assert a["np"] != b["np"] and a["torch"] != b["torch"]  # no two tasks share a generator's state
