"""LocalFlower's process handling without Flower: stopping a process stops what it started; port rules."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from federation.training.local import LocalFlower, free_port
from registry.errors import InputError


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # a zombie still answers kill(0); it has exited when /proc says so
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().split()[2] == "Z"


def test_stop_takes_the_children_along(tmp_path: Path) -> None:
    fl = LocalFlower(tmp_path)
    child_pid = tmp_path / "child.pid"
    code = (
        "import subprocess, sys, time; "
        f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
        f"open({str(child_pid)!r}, 'w').write(str(p.pid)); time.sleep(60)"
    )
    proc = fl._start("parent", [sys.executable, "-c", code], dict(os.environ))
    while not child_pid.exists() or not child_pid.read_text():
        if proc.proc.poll() is not None:
            pytest.fail(proc.tail())
        time.sleep(0.02)
    pid = int(child_pid.read_text())
    proc.stop(signal.SIGTERM)
    assert not proc.alive
    deadline = time.monotonic() + 10  # a signal is delivered, and the process exits, a moment later
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _gone(pid)
    assert proc.log.exists()


def test_ports() -> None:
    assert free_port() != 8000
    with pytest.raises(InputError):
        LocalFlower(Path("/nonexistent-never-created"), port=8000).start()
    with pytest.raises(InputError):
        LocalFlower(Path("/tmp")).add_node("hospital-a", Path("/tmp"))  # no SuperLink started


def test_relative_folders_are_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # make demo's home is ./.fairgrid; processes start in `root`, so every path handed to them is absolute
    monkeypatch.chdir(tmp_path)
    flower = LocalFlower(Path("runs"), out=Path("out"))
    assert flower.root == tmp_path / "runs" and flower.out == tmp_path / "out"
