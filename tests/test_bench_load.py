"""bench/load.settle: a bench measures a server only once the process it waits on has gone quiet
(a store server compacting a bulk-loaded folder would otherwise be measured as search work)."""

from __future__ import annotations

import subprocess
import sys

from bench.load import settle


def _child(code: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", code])


def test_waits_while_the_process_is_busy_and_gives_up_at_the_limit() -> None:
    busy = _child("while True: pass")
    try:
        assert settle(busy.pid, window_s=0.25, limit_s=1.5) >= 1.5
    finally:
        busy.kill()
        busy.wait()


def test_returns_after_one_window_when_the_process_is_idle() -> None:
    idle = _child("import time; time.sleep(60)")
    try:
        settle(idle.pid, window_s=0.25, limit_s=0.5)  # past the interpreter's start
        assert settle(idle.pid, window_s=0.25, limit_s=30) < 30
    finally:
        idle.kill()
        idle.wait()
