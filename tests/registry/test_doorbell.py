"""The outbox doorbell: a ring from another process wakes the listener; ringing never fails."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from registry.doorbell import Doorbell, bell_path
from tests.conftest import REPO


def _ring_from_another_process(home: Path) -> None:
    code = "import sys; from pathlib import Path; from registry.doorbell import Doorbell; "
    code += "Doorbell(Path(sys.argv[1])).ring()"
    subprocess.run([sys.executable, "-c", code, str(home)], check=True, cwd=REPO, timeout=60)


def test_a_ring_from_another_process_wakes_the_listener(tmp_path: Path) -> None:
    bell = Doorbell(tmp_path)
    assert bell.listen()
    try:
        _ring_from_another_process(tmp_path)
        # 600 s is only a bound: the ring is already in the socket, so this returns at once
        assert asyncio.run(bell.wait(600)) is True
        assert asyncio.run(bell.wait(0.01)) is False  # the ring was taken
        for _ in range(50):  # a burst of rings is one wake-up
            Doorbell(tmp_path).ring()
        assert asyncio.run(bell.wait(600)) is True
        assert asyncio.run(bell.wait(0.01)) is False
    finally:
        bell.close()
    assert not bell.path.exists()


def test_ringing_with_nobody_listening_does_nothing(tmp_path: Path) -> None:
    Doorbell(tmp_path).ring()  # no socket at all
    stale = Doorbell(tmp_path)
    assert stale.listen()
    stale._sock.close()  # type: ignore[union-attr]  # as if its process was killed: the file stays
    stale._sock = None
    assert stale.path.exists()
    Doorbell(tmp_path).ring()  # refused by the dead socket: still no error
    taker = Doorbell(tmp_path)  # the next lease holder replaces the stale file
    assert taker.listen()
    try:
        Doorbell(tmp_path).ring()
        assert asyncio.run(taker.wait(600)) is True
    finally:
        taker.close()


def test_a_long_home_gets_its_socket_in_the_temp_folder(tmp_path: Path) -> None:
    deep = tmp_path / ("x" * 120) / "home"
    deep.mkdir(parents=True)
    path = bell_path(deep)
    assert path.parent != deep and len(str(path)) < 100
    assert bell_path(deep) == path  # the same in every process
    bell = Doorbell(deep)
    assert bell.listen()
    try:
        _ring_from_another_process(deep)
        assert asyncio.run(bell.wait(600)) is True
    finally:
        bell.close()
