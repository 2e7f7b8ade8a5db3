"""Tests only: the Apache Jena Fuseki node from `deploy/fuseki/ctl.sh start` (or FAIRGRID_FUSEKI_URL).

It serves two datasets, `mem` (in memory) and `tdb2` (TDB2 on disk), and a copy of each per pytest-xdist
worker (`mem-gw0`, `tdb2-gw0`, ...; see ctl.sh), so that the workers of one run do not wait for each
other. A test that needs one skips when the node is down, and fails instead when
FAIRGRID_REQUIRE_FUSEKI=1 (set by deploy/test-services.sh once the node is up). The node is a test node:
`fresh_dataset` empties the dataset before each use, and holds a lock on it meanwhile, so test runs
sharing the node (several developers on one machine, or two runs with the same worker names) take turns
instead of emptying the dataset under each other. It also holds the node's lock (tests/shared_nodes.py)
shared, or exclusively for a test that needs the node idle but for itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from registry.locks import exclusive
from tests.shared_nodes import node_lock

FUSEKI_URL = os.environ.get("FAIRGRID_FUSEKI_URL", "http://127.0.0.1:3330")


def fuseki_or_skip(dataset: str) -> str:
    """The dataset's query endpoint; skips (or fails, when required) if the node does not answer."""
    query_url = f"{FUSEKI_URL}/{dataset}/query"
    try:
        resp = httpx.get(query_url, params={"query": "ASK {}"}, timeout=3.0)
        resp.raise_for_status()
    except httpx.HTTPError as exc:
        reason = f"Fuseki not reachable at {query_url} ({exc}); start it: deploy/fuseki/ctl.sh start"
        if os.environ.get("FAIRGRID_REQUIRE_FUSEKI") == "1":
            pytest.fail(reason + " [FAIRGRID_REQUIRE_FUSEKI=1]")
        pytest.skip(reason)
    return query_url


def worker_dataset(dataset: str) -> str:
    """This process's copy of `dataset`: `mem-gw1` on xdist worker gw1, `mem` itself outside xdist or
    when the node has no copy for this worker (one started with fewer copies, or by another script)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    if worker == "main":
        return dataset
    own = f"{dataset}-{worker}"
    try:
        found = httpx.get(f"{FUSEKI_URL}/{own}/query", params={"query": "ASK {}"}, timeout=3.0).is_success
    except httpx.HTTPError:
        found = False
    return own if found else dataset


@contextmanager
def fresh_dataset(dataset: str, *, alone: bool = False) -> Iterator[str]:
    """The query endpoint of this worker's copy of `dataset`, emptied (every graph dropped), kept for
    this test alone; with `alone`, no other test process uses the node meanwhile (for a test that
    checks that the node's threads are idle)."""
    query_url = fuseki_or_skip(worker_dataset(dataset))
    key = hashlib.sha256(query_url.encode()).hexdigest()[:16]
    lock = Path(tempfile.gettempdir()) / f"fairgrid-fuseki-{key}.lock"
    update_url = query_url.rsplit("/", 1)[0] + "/update"
    with (
        node_lock(FUSEKI_URL, exclusive=alone),
        exclusive(lock, timeout_s=240, what=f"the test lock on {query_url}"),
    ):
        httpx.post(update_url, data={"update": "DROP ALL"}, timeout=30.0).raise_for_status()
        try:
            yield query_url
        finally:  # the next user empties it too; this frees an in-memory copy's heap now
            with contextlib.suppress(httpx.HTTPError):
                httpx.post(update_url, data={"update": "DROP ALL"}, timeout=30.0)


def fuseki_pid() -> int | None:
    """The node's process when deploy/fuseki/ctl.sh started it here (None for a node given by URL)."""
    if "FAIRGRID_FUSEKI_URL" in os.environ:
        return None
    # the node in use may be another checkout's (deploy/test-services.sh names its ctl.sh)
    ctl = Path(
        os.environ.get("FAIRGRID_FUSEKI_CTL") or Path(__file__).resolve().parents[1] / "deploy/fuseki/ctl.sh"
    )
    pidfile = ctl.parents[1] / ".run" / "fuseki" / "node.pid"
    try:
        return int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None
