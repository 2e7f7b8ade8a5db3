"""Advisory file locks between processes (several API workers share one registry home and index).

`flock` locks belong to an open file: the operating system drops them when the holder exits or is
killed, so a crashed worker never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from registry.errors import Unavailable


def _try_lock(path: Path) -> int | None:
    """An open descriptor holding an exclusive lock on `path`, or None when another holds it."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:  # a missing or read-only folder: say which file, not a traceback
        raise Unavailable(
            f"cannot open the lock file {path}: {exc.strerror}",
            hint="FAIRGRID_HOME must be a folder this process can write",
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


@contextmanager
def exclusive(path: Path, timeout_s: float = 60.0, what: str = "the lock") -> Iterator[None]:
    """Hold an exclusive lock on `path` for the block, waiting up to `timeout_s` for another holder."""
    deadline = time.monotonic() + timeout_s
    while (fd := _try_lock(path)) is None:
        if time.monotonic() >= deadline:
            raise Unavailable(
                f"{what} ({path}) is still held after {timeout_s:g} s",
                hint="another process is writing; retry shortly",
            )
        time.sleep(0.01)
    try:
        yield
    finally:
        os.close(fd)  # closing the file releases the lock


class Lease:
    """A lock one process keeps while it lives, for work only one process should do (draining the
    outbox into the index). `held()` takes it when free and then keeps it; when the holder dies,
    another process's next `held()` takes over."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def held(self) -> bool:
        if self._fd is None:
            self._fd = _try_lock(self.path)
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
