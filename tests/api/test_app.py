"""The app: health and readiness, error documents, OpenAPI, and the outbox catch-up loop."""

from __future__ import annotations

import time
from pathlib import Path

import pyoxigraph as ox
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import Authenticator
from registry.config import Settings
from registry.search import SearchQuery
from registry.search.embedded import TantivyIndex
from registry.wiring import Registry, open_registry
from tests.api.rest.conftest import loaded_registry
from tests.api.rest.test_writes import record_doc
from tests.conftest import CURATOR, DEV_AUTH, free_port

BASE = "https://w3id.org/fairgrid/"


def _down_index_registry(home: Path) -> Registry:
    """A registry whose search index is an OpenSearch adapter pointed at a closed port: an outage."""
    return loaded_registry(home, search_url=f"http://127.0.0.1:{free_port()}")


def test_healthz_readyz_and_openapi(reg: Registry) -> None:
    c = TestClient(create_app(reg, Authenticator(reg.settings), sync_interval_s=0))
    assert c.get("/healthz").json() == {"status": "ok"}
    r = c.get("/readyz")
    assert r.status_code == 200 and r.json()["store"] == "up" and r.json()["index"] == "up"
    spec = c.get("/openapi.json").json()
    for path in ("/records", "/records/{ident}", "/catalog", "/sparql", "/healthz", "/readyz"):
        assert path in spec["paths"], path
    assert c.get("/docs").status_code == 200


def test_readyz_is_503_naming_the_index_when_it_is_down(tmp_path: Path) -> None:
    reg = open_registry(Settings(home=tmp_path / "home", search_url=f"http://127.0.0.1:{free_port()}"))
    try:
        c = TestClient(create_app(reg, Authenticator(reg.settings), sync_interval_s=0))
        r = c.get("/readyz")
        assert r.status_code == 503
        assert r.json()["store"] == "up" and r.json()["index"].startswith("down")
        assert r.json()["detail"] == "index down"
        assert c.get("/healthz").status_code == 200
    finally:
        reg.close()


def test_errors_are_problem_documents(reg: Registry) -> None:
    c = TestClient(create_app(reg, Authenticator(reg.settings), sync_interval_s=0))
    r = c.get("/dataset/missing")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["type"].endswith("/not_found") and body["status"] == 404 and body["hint"]
    bad = c.get("/catalog", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401 and bad.headers["www-authenticate"] == 'Bearer realm="fairgrid"'


def test_a_browser_gets_an_error_page(reg: Registry) -> None:
    c = TestClient(create_app(reg, Authenticator(reg.settings), sync_interval_s=0))
    r = c.get("/dataset/missing", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "404: not found" in r.text and "What to do" in r.text


def test_background_loop_drains_the_outbox(tmp_path: Path) -> None:
    reg = open_registry(Settings(home=tmp_path / "home", auth=DEV_AUTH))
    try:
        from registry.identity import local_operator
        from registry.validation.bundle import terminology_files

        reg.importer.run(local_operator(), terminology_files())
        assert reg.store.pending(100)
        with TestClient(create_app(reg, Authenticator(reg.settings), sync_interval_s=0.05)):
            deadline = time.monotonic() + 20
            while reg.store.pending(100) and time.monotonic() < deadline:
                time.sleep(0.05)
        assert reg.store.pending(100) == []
        assert reg.index.count() == 3
    finally:
        reg.close()


def test_catch_up_after_an_index_outage_embedded(tmp_path: Path) -> None:
    """Writes succeed while the index is down; once an index answers again, one sync catches up."""
    reg = _down_index_registry(tmp_path / "home")
    try:
        before = reg.search.sync()
        assert before.pending > 0 and before.error
        iri = BASE + "dataset/outage-write"
        reg.records.create(CURATOR, record_doc(reg, iri, "Written during the outage"), ox.RdfFormat.TURTLE)
        during = reg.search.sync()
        assert during.pending == before.pending + 1
        # the index comes back (here: the embedded one replaces the unreachable adapter)
        reg.search.index = TantivyIndex(tmp_path / "index")
        after = reg.search.sync()
        assert after.error is None and after.pending == 0 and after.indexed == during.pending
        assert reg.search.index.count() == reg.store.count()
        hits = reg.search.search(CURATOR, SearchQuery(text="outage")).hits
        assert [h.iri for h in hits] == [iri]
        reg.search.index.close()
    finally:
        reg.close()


def test_people_can_search_in_a_browser(reg: Registry) -> None:
    from api.auth import dev_token
    from registry.identity import Role, local_operator
    from registry.validation.bundle import terminology_files
    from tests.conftest import EXAMPLE

    reg.importer.run(local_operator(), [*terminology_files(), EXAMPLE])
    reg.search.sync()
    c = TestClient(create_app(reg, Authenticator(reg.settings), sync_interval_s=0))
    page = c.get("/", params={"q": "statistics"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Consortium aggregate statistics" in page.text and "Condition" in page.text
    assert "?format=html" in page.text  # results link to the landing pages
    # anonymous: published metadata, also of a restricted dataset's distribution (access is about the data)
    assert "Pseudonymised registry extract" in c.get("/", params={"q": "pseudonymised extract"}).text
    token = {"Authorization": "Bearer " + dev_token(reg.settings.home, "r", [Role.RESEARCHER])}
    narrowed = c.get("/", params={"q": "", "disease": "D46"}, headers=token)  # a code: descendants too
    assert "MDS clinical registry" in narrowed.text and "Multiple myeloma registry" not in narrowed.text
