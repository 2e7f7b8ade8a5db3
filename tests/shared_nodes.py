"""Tests only: taking turns on the service nodes that every test process on the machine shares.

deploy/test-services.sh starts one OpenSearch, one Elasticsearch and one Fuseki node; the workers of
`make test` (pytest-xdist) and any other test run meanwhile use the same nodes. A test that must have
a node to itself (it restarts it, or empties it, or checks that it is idle) holds the node's lock
exclusively; the others hold it shared, so that they run alongside each other but not alongside that
test. `flock` locks go away with their holder: a killed run leaves none behind.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

OPENSEARCH_URL = os.environ.get("FAIRGRID_OPENSEARCH_URL", "http://127.0.0.1:9250")
WAIT_S = 240.0  # under pytest-timeout's 300 s per test, so a stuck holder fails the test with a reason


def lock_path(url: str) -> Path:
    key = hashlib.sha256(url.rstrip("/").encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"fairgrid-node-{key}.lock"


@contextmanager
def node_lock(url: str, *, exclusive: bool, timeout_s: float = WAIT_S) -> Iterator[None]:
    """Hold the lock on the node at `url` (`exclusive`, or shared with other holders) for the block."""
    path = lock_path(url)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, mode)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    pytest.fail(f"another test run held the node at {url} for over {timeout_s:g} s ({path})")
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing the file releases the lock
