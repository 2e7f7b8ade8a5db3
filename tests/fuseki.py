"""Tests only: the Apache Jena Fuseki node from `deploy/fuseki/ctl.sh start` (or FAIRGRID_FUSEKI_URL).

It serves two datasets, `mem` (in memory) and `tdb2` (TDB2 on disk). A test that needs one skips when
the node is down, and fails instead when FAIRGRID_REQUIRE_FUSEKI=1 (set by deploy/test-services.sh once
the node is up). The node is a test node: `fresh_dataset` empties the dataset before each use.
"""

from __future__ import annotations

import os

import httpx
import pytest

FUSEKI_URL = os.environ.get("FAIRGRID_FUSEKI_URL", "http://127.0.0.1:3330")
DATASETS = ("mem", "tdb2")


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


def fresh_dataset(dataset: str) -> str:
    """The query endpoint of `dataset`, emptied (every graph dropped) so a test starts from nothing."""
    query_url = fuseki_or_skip(dataset)
    update_url = query_url.rsplit("/", 1)[0] + "/update"
    httpx.post(update_url, data={"update": "DROP ALL"}, timeout=30.0).raise_for_status()
    return query_url
