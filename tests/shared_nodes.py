"""Tests only: taking turns on the service nodes that every test process on the machine shares.

deploy/test-services.sh starts one OpenSearch, one Elasticsearch and one Fuseki node; the workers of
`make test` (pytest-xdist) and any other test run meanwhile use the same nodes. A test that must have
a node to itself (it restarts it, or empties it, or checks that it is idle) holds the node's lock
exclusively; the others hold it shared, so that they run alongside each other but not alongside that
test. `flock` locks go away with their holder: a killed run leaves none behind.

Taking the lock goes through a turnstile (a second lock, held only while waiting): a process waiting to
have the node alone keeps new shared holders out until it had its turn, so a stream of short shared
holders (one per test, each overlapping the next) cannot keep it waiting for ever. A process takes each
node's lock once: a nested hold in the same process (a module's fixture, then a test's) is part of the
outer one.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

OPENSEARCH_URL = os.environ.get("FAIRGRID_OPENSEARCH_URL", "http://127.0.0.1:9250")
WAIT_S = 240.0  # under pytest-timeout's 300 s per test, so a stuck holder fails the test with a reason


def lock_path(url: str) -> Path:
    key = hashlib.sha256(url.rstrip("/").encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"fairgrid-node-{key}.lock"


@dataclass
class _Held:
    fd: int
    exclusive: bool


_held: dict[Path, _Held] = {}  # this process's holds, by lock file


def _take(path: Path, mode: int, deadline: float, url: str, timeout_s: float) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                pytest.fail(f"another test run held the node at {url} for over {timeout_s:g} s ({path})")
            time.sleep(0.05)


@contextmanager
def node_lock(url: str, *, exclusive: bool, timeout_s: float = WAIT_S) -> Iterator[None]:
    """Hold the lock on the node at `url` (`exclusive`, or shared with other holders) for the block."""
    path = lock_path(url)
    held = _held.get(path)
    if held is not None:
        if exclusive and not held.exclusive:
            pytest.fail(f"this process holds the node at {url} shared: it cannot also have it alone")
        yield  # nested in this process's own hold, which outlasts it
        return
    deadline = time.monotonic() + timeout_s
    turn = _take(path.with_suffix(".turn"), fcntl.LOCK_EX, deadline, url, timeout_s)
    try:
        fd = _take(path, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH, deadline, url, timeout_s)
    finally:
        os.close(turn)  # through the turnstile: the next in line may wait for the node now
    _held[path] = _Held(fd, exclusive)
    try:
        yield
    finally:
        del _held[path]
        os.close(fd)  # closing the file releases the lock
