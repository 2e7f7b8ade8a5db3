"""The locks by which test processes (xdist workers, other runs) take turns on the shared nodes."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
import uuid

import pytest

from tests.conftest import REPO
from tests.fuseki import FUSEKI_URL, fresh_dataset, fuseki_or_skip, worker_dataset
from tests.shared_nodes import OPENSEARCH_URL, lock_path, node_lock

# Exit 0 when it had the lock, 3 when it gave up waiting.
_TAKE = """import sys
from tests.shared_nodes import node_lock
try:
    with node_lock(sys.argv[1], exclusive=sys.argv[2] == "1", timeout_s=float(sys.argv[3])):
        pass
except BaseException:
    sys.exit(3)
"""


def _take(url: str, *, exclusive: bool, timeout_s: float = 0.5) -> subprocess.Popen[bytes]:
    """Another process taking the lock on `url`."""
    return subprocess.Popen(
        [sys.executable, "-c", _TAKE, url, "1" if exclusive else "0", str(timeout_s)], cwd=REPO
    )


def _another_process_gets(url: str, *, exclusive: bool) -> bool:
    return _take(url, exclusive=exclusive).wait(60) == 0


@pytest.mark.opensearch
def test_opensearch_tests_share_the_node_and_a_restart_waits_for_them() -> None:
    """This test holds the node shared (conftest): others may too, a restart (exclusive) may not."""
    assert _another_process_gets(OPENSEARCH_URL, exclusive=False)
    assert not _another_process_gets(OPENSEARCH_URL, exclusive=True)


@pytest.mark.opensearch
@pytest.mark.restarts_opensearch
def test_a_test_that_restarts_opensearch_has_the_node_alone() -> None:
    assert not _another_process_gets(OPENSEARCH_URL, exclusive=False)
    with node_lock(OPENSEARCH_URL, exclusive=False, timeout_s=0.5):  # nested in its own: no wait
        pass


def _turnstile_taken(url: str) -> bool:
    fd = os.open(lock_path(url).with_suffix(".turn"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def test_a_process_waiting_for_the_node_alone_keeps_new_shared_holders_out() -> None:
    """Shared holders one after another, each overlapping the next, would otherwise keep it waiting
    for ever; a nested hold in a process that holds the node already does not wait."""
    url = f"http://127.0.0.1:1/turnstile-{uuid.uuid4().hex}"
    with node_lock(url, exclusive=False):
        alone = _take(url, exclusive=True, timeout_s=120)
        try:
            done = threading.Event()
            for _ in range(600):  # a bound, not a measurement: it waits at the turnstile in well under 60 s
                if alone.poll() is not None or _turnstile_taken(url):
                    break
                done.wait(0.1)
            assert alone.poll() is None and _turnstile_taken(url)
            assert not _another_process_gets(url, exclusive=False)  # it waits behind the exclusive one
            with node_lock(url, exclusive=False, timeout_s=0.5):
                pass
        except BaseException:
            alone.kill()
            raise
    assert alone.wait(120) == 0  # its turn came once this process let go
    assert _another_process_gets(url, exclusive=False)


def test_a_shared_holder_cannot_also_take_the_node_alone() -> None:
    url = f"http://127.0.0.1:1/nested-{uuid.uuid4().hex}"
    with (
        node_lock(url, exclusive=False),
        pytest.raises(pytest.fail.Exception, match="cannot also have it alone"),
        node_lock(url, exclusive=True, timeout_s=0.5),
    ):
        pass


@pytest.mark.fuseki
def test_each_xdist_worker_has_its_own_fuseki_dataset_and_alone_keeps_others_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fuseki_or_skip("mem")
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    assert worker_dataset("mem") == "mem-gw1" and worker_dataset("tdb2") == "tdb2-gw1"
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw999")  # more workers than the node has copies for
    assert worker_dataset("mem") == "mem"
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    assert worker_dataset("mem") == "mem"
    with fresh_dataset("mem", alone=True) as url:
        assert url == f"{FUSEKI_URL}/mem/query"
        assert not _another_process_gets(FUSEKI_URL, exclusive=False)
    with fresh_dataset("mem"):
        assert _another_process_gets(FUSEKI_URL, exclusive=False)
        assert not _another_process_gets(FUSEKI_URL, exclusive=True)
