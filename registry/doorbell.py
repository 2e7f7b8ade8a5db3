"""A doorbell between processes: writers ring it after a commit, the outbox drainer wakes on it.

The drainer (the one process holding the drain lease, `registry/locks.py`) listens on a Unix datagram
socket named after the registry home; any process that commits (an API worker, `fairgrid import`) sends
it one empty datagram. Ringing never blocks and never fails: with nobody listening, or a full socket
buffer (the drainer is already due to wake), the ring is dropped and the drainer's periodic round still
finds the entries in the outbox. So the bell only makes catch-up prompt; correctness rests on the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import socket
import tempfile
from pathlib import Path

# sockaddr_un holds 108 bytes on Linux (104 on BSDs): longer homes get a socket in the temp folder.
_MAX_SOCKET_PATH = 100


def bell_path(home: Path) -> Path:
    """The socket path for a registry home; the same in every process that shares the home."""
    home = home.resolve()
    path = home / "outbox.bell"
    if len(os.fsencode(path)) <= _MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(os.fsencode(home)).hexdigest()[:20]
    return Path(tempfile.gettempdir()) / f"fairgrid-{digest}.bell"


class Doorbell:
    def __init__(self, home: Path) -> None:
        self.path = bell_path(home)
        self._sock: socket.socket | None = None

    def ring(self) -> None:
        """Tell the drainer that the outbox has new entries (best effort, never raises)."""
        with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.setblocking(False)
            s.sendto(b"", os.fsencode(self.path))

    @property
    def listening(self) -> bool:
        return self._sock is not None

    def listen(self) -> bool:
        """Start receiving rings. Call only while holding the drain lease: the lease makes this the one
        listener, so a socket file left by a killed holder can safely be replaced."""
        if self._sock is not None:
            return True
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            sock.bind(os.fsencode(self.path))
        except OSError:
            sock.close()
            return False  # no bell (an odd file system): the drainer's periodic round still runs
        sock.setblocking(False)
        self._sock = sock
        return True

    async def wait(self, timeout_s: float) -> bool:
        """Wait up to `timeout_s` for a ring; True when rung. Rings that came in meanwhile are all
        taken at once, so a burst of writes costs one drain."""
        if self._sock is None:
            await asyncio.sleep(timeout_s)
            return False
        if self._drain():
            return True
        loop = asyncio.get_running_loop()
        rung: asyncio.Future[None] = loop.create_future()
        fd = self._sock.fileno()

        def on_ring() -> None:
            if not rung.done():
                rung.set_result(None)

        loop.add_reader(fd, on_ring)
        try:
            await asyncio.wait_for(rung, timeout_s)
        except TimeoutError:
            return False
        finally:
            loop.remove_reader(fd)
        self._drain()
        return True

    def _drain(self) -> bool:
        got = False
        while self._sock is not None:
            try:
                self._sock.recv(16)
            except (BlockingIOError, InterruptedError):
                break
            got = True
        return got

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
            with contextlib.suppress(OSError):
                self.path.unlink()
