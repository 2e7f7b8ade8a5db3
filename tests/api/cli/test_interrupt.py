"""Ctrl-C during `fairgrid import`: exit 130, a word on what was kept, and a rerun that completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from registry.io.generate import documents

ROOT = Path(__file__).resolve().parents[3]


def _fairgrid(home: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "FAIRGRID_HOME": str(home)}
    return subprocess.Popen(
        [sys.executable, "-c", "from api.cli.main import main; main()", *args], cwd=ROOT, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def test_ctrl_c_during_import_says_what_was_kept_and_a_rerun_completes(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    n = 1500  # seconds of import: the interrupt lands while it runs
    for i, doc in enumerate(documents(n, seed=3)):
        (src / f"d-{i:05d}.ttl").write_text(doc)
    home = tmp_path / "home"
    proc = _fairgrid(home, "import", str(src))
    deadline = time.monotonic() + 120
    while not (home / "store").is_dir() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # the command has opened the registry: the interrupt lands inside it
    time.sleep(1.0)
    if proc.poll() is not None:
        pytest.skip(f"the import ended before it could be interrupted: {proc.communicate()[1][-300:]}")
    proc.send_signal(signal.SIGINT)
    _, said = proc.communicate(timeout=120)
    assert proc.returncode == 130, said
    assert "interrupted:" in said and "run the same import again" in said
    assert "Traceback" not in said
    again = _fairgrid(home, "import", str(src))
    out, said = again.communicate(timeout=300)
    assert again.returncode == 0, said
    # every document's records are there once: new now or unchanged from before the interrupt
    counts = dict(part.rsplit(" ", 1) for part in out.strip().split(", "))
    assert int(counts["imported"]) + int(counts["unchanged"]) >= n and counts["rejected"] == "0", out
