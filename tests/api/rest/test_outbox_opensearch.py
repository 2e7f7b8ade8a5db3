"""Outbox catch-up against the REAL OpenSearch node: stop it, keep writing, start it, sync.

This module restarts the shared node (deploy/opensearch/ctl.sh); it leaves the node running even when a
test fails. It skips when the node is not up to begin with (fails under FAIRGRID_REQUIRE_OPENSEARCH=1).
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from registry.config import Settings
from registry.identity import local_operator
from registry.search import SearchQuery, open_index
from registry.search.opensearch import OpenSearchIndex
from registry.validation.bundle import terminology_files
from registry.wiring import Registry, open_registry
from tests.api.rest.test_writes import record_doc
from tests.conftest import CURATOR, DEV_AUTH, EXAMPLE, REPO
from tests.registry.search.test_conformance import opensearch_or_skip

pytestmark = [pytest.mark.opensearch, pytest.mark.restarts_opensearch, pytest.mark.slow]
# the ctl.sh of the node in use: another checkout's when its test run started the node we share
CTL = Path(os.environ.get("FAIRGRID_OPENSEARCH_CTL") or REPO / "deploy" / "opensearch" / "ctl.sh")
BASE = "https://w3id.org/fairgrid/"


def ctl(action: str) -> None:
    subprocess.run([str(CTL), action], check=True, timeout=300, capture_output=True)


@pytest.fixture
def os_registry(tmp_path: Path) -> Iterator[Registry]:
    url = opensearch_or_skip()
    alias = f"fairgrid-test-catchup-{uuid.uuid4().hex[:8]}"
    reg = open_registry(Settings(home=tmp_path / "home", search_url=url, auth=DEV_AUTH))
    # a unique alias, and refresh on write so searches see what sync wrote
    reg.__dict__["index"] = open_index(url, alias=alias, refresh=True)
    try:
        yield reg
    finally:
        try:
            ctl("start")  # whatever happened, the shared node is up again for the tests after this one
        finally:
            index = reg.search.index
            if isinstance(index, OpenSearchIndex):
                index.drop()
            reg.close()


def test_writes_survive_a_node_outage_and_sync_catches_up(os_registry: Registry) -> None:
    reg = os_registry
    reg.importer.run(local_operator(), [*terminology_files(), EXAMPLE])
    first = reg.search.sync()
    assert first.error is None and first.pending == 0 and first.indexed == reg.store.count()

    ctl("stop")
    written = []
    for i in range(3):
        iri = f"{BASE}dataset/outage-{i}"
        reg.records.create(CURATOR, record_doc(reg, iri, f"Outage cohort {i}"), ox.RdfFormat.TURTLE)
        written.append(iri)
    down = reg.search.sync()
    assert down.error is not None and down.pending == 3

    ctl("start")
    up = reg.search.sync()
    # the 3 datasets, and the distributions they list (re-indexed with them: visibility follows the dataset)
    assert up.error is None and up.pending == 0 and up.indexed >= 3
    assert reg.store.pending(100) == []
    hits = reg.search.search(CURATOR, SearchQuery(text="outage cohort")).hits
    assert sorted(h.iri for h in hits) == written
    assert reg.index.count() == reg.store.count()


def test_api_writes_with_the_node_stopped_return_and_the_drainer_catches_up(os_registry: Registry) -> None:
    """The server as deployed: writes through REST and GraphQL while the node is stopped answer at once
    (committed, never failed by the index); the background drainer indexes them once the node is back."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.auth import Authenticator, dev_token
    from registry.identity import Role
    from tests.indexing import wait_until

    reg = os_registry
    reg.importer.run(local_operator(), [*terminology_files(), EXAMPLE])
    assert reg.search.sync().pending == 0
    token = {"Authorization": "Bearer " + dev_token(reg.settings.home, "c", [Role.CURATOR])}
    ttl = {**token, "Content-Type": "text/turtle"}
    rest_iri, gql_iri = f"{BASE}dataset/node-down-rest", f"{BASE}dataset/node-down-graphql"
    with TestClient(create_app(reg, Authenticator(reg.settings), sync_interval_s=0.5)) as c:
        ctl("stop")
        assert c.get("/readyz").json()["index"].startswith("down")
        r = c.post("/records", content=record_doc(reg, rest_iri, "Stopped node cohort"), headers=ttl)
        assert r.status_code == 201, r.text
        put = c.put(
            "/records/dataset/node-down-rest",
            content=record_doc(reg, rest_iri, "Stopped node cohort, revised"),
            headers={**ttl, "If-Match": '"1"'},
        )
        assert put.status_code == 200, put.text
        mutation = "mutation($rdf: String!) { registerRecord(rdf: $rdf) { records { iri } } }"
        rdf = record_doc(reg, gql_iri, "Stopped node cohort by GraphQL").decode()
        body = c.post("/graphql", json={"query": mutation, "variables": {"rdf": rdf}}, headers=token).json()
        assert "errors" not in body, body
        assert c.get("/dataset/node-down-rest", headers={"Accept": "text/turtle"}).status_code == 200
        assert {rest_iri, gql_iri} <= {iri for iri, _n in reg.store.pending(100)}  # waiting, not lost

        ctl("start")
        wait_until(
            lambda: not reg.store.pending(100), "the drainer to catch up after the node restarted", 300
        )
    hits = reg.search.search(CURATOR, SearchQuery(text="stopped node cohort")).hits
    assert sorted(h.iri for h in hits) == sorted([gql_iri, rest_iri])
