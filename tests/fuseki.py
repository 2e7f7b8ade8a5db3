"""Tests only: the Apache Jena Fuseki node from `deploy/fuseki/ctl.sh start` (or FAIRGRID_FUSEKI_URL).

It serves two datasets, `mem` (in memory) and `tdb2` (TDB2 on disk). A test that needs one skips when
the node is down, and fails instead when FAIRGRID_REQUIRE_FUSEKI=1 (set by deploy/test-services.sh once
the node is up). The node is a test node: `fresh_dataset` empties the dataset before each use, and
holds a lock meanwhile, so test runs sharing the node (several developers on one machine) take turns
instead of emptying the dataset under each other.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from registry.locks import exclusive

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


@contextmanager
def fresh_dataset(dataset: str) -> Iterator[str]:
    """The query endpoint of `dataset`, emptied (every graph dropped), kept for this test alone."""
    query_url = fuseki_or_skip(dataset)
    key = hashlib.sha256(query_url.encode()).hexdigest()[:16]
    lock = Path(tempfile.gettempdir()) / f"fairgrid-fuseki-{key}.lock"
    with exclusive(lock, timeout_s=240, what=f"the test lock on {query_url}"):
        update_url = query_url.rsplit("/", 1)[0] + "/update"
        httpx.post(update_url, data={"update": "DROP ALL"}, timeout=30.0).raise_for_status()
        yield query_url


def fuseki_pid() -> int | None:
    """The node's process when deploy/fuseki/ctl.sh started it here (None for a node given by URL)."""
    if "FAIRGRID_FUSEKI_URL" in os.environ:
        return None
    pidfile = Path(__file__).resolve().parents[1] / "deploy" / ".run" / "fuseki" / "node.pid"
    try:
        return int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None
