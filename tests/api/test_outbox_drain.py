"""Writes never wait for the search index: a write returns once committed, and the outbox drainer
(the app's background task) catches up when the commit rings its doorbell."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import Authenticator, dev_token
from registry.config import Settings
from registry.identity import Role, local_operator
from registry.search import SearchQuery
from registry.validation.bundle import terminology_files
from registry.wiring import open_registry
from tests.api.rest.conftest import loaded_registry
from tests.api.rest.test_writes import BASE, record_doc
from tests.conftest import CURATOR, DEV_AUTH, EXAMPLE
from tests.indexing import wait_until

TTL = {"Content-Type": "text/turtle"}


def test_a_commit_wakes_the_drainer(tmp_path: Path) -> None:
    """With an hour between rounds, only the commit's ring can bring the record into the index soon."""
    reg = loaded_registry(tmp_path / "home")
    try:
        with TestClient(create_app(reg, Authenticator(reg.settings), sync_interval_s=3600)):
            wait_until(lambda: not reg.store.pending(10), "the drainer's first round")
            iri = BASE + "dataset/doorbell-audit"
            # a write outside any request (as `fairgrid import` would make) rings the bell as well
            reg.records.create(CURATOR, record_doc(reg, iri, "Doorbell audit"), ox.RdfFormat.TURTLE)
            wait_until(lambda: not reg.store.pending(10), "the drainer to take the new entry")
        hits = reg.search.search(CURATOR, SearchQuery(text="doorbell audit")).hits
        assert [h.iri for h in hits] == [iri]
    finally:
        reg.close()


@pytest.fixture
def stalled_index() -> Iterator[socket.socket]:
    """A port that takes connections and never answers: an index that hangs."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    srv.setblocking(False)
    yield srv
    srv.close()


def _contacted(srv: socket.socket) -> bool:
    try:
        conn, _ = srv.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


def test_writes_never_contact_a_hanging_index(tmp_path: Path, stalled_index: socket.socket) -> None:
    port = stalled_index.getsockname()[1]
    settings = Settings(home=tmp_path / "home", search_url=f"http://127.0.0.1:{port}", auth=DEV_AUTH)
    reg = open_registry(settings)
    try:
        reg.importer.run(local_operator(), [*terminology_files(), EXAMPLE])
        pending = len(reg.store.pending(1000))
        c = TestClient(create_app(reg, Authenticator(reg.settings), sync_interval_s=0))
        token = {"Authorization": "Bearer " + dev_token(reg.settings.home, "c", [Role.CURATOR])}
        iri = BASE + "dataset/hanging-index"
        r = c.post("/records", content=record_doc(reg, iri, "Hanging index"), headers={**token, **TTL})
        assert r.status_code == 201, r.text
        put = c.put(
            "/records/dataset/hanging-index",
            content=record_doc(reg, iri, "Hanging index, revised"),
            headers={**token, **TTL, "If-Match": '"1"'},
        )
        assert put.status_code == 200 and put.json()["revision"] == 2
        mutation = 'mutation($iri: String!) { deprecateRecord(iri: $iri, reason: "test") { record { iri } } }'
        body = c.post("/graphql", json={"query": mutation, "variables": {"iri": iri}}, headers=token).json()
        assert "errors" not in body, body
        assert not _contacted(stalled_index)
        # every write waits in the outbox, its newest revision only
        assert len(reg.store.pending(1000)) == pending + 1 and (iri, 3) in reg.store.pending(1000)
    finally:
        reg.close()


def test_shutdown_lets_a_running_drain_finish_before_the_registry_closes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancelling the drainer's task does not stop its thread: the app must wait for a drain in flight
    before it closes the registry (else the drain uses a closed store client: a traceback and entries
    left half-handled)."""
    import threading
    import time

    from api import app as app_module

    reg = loaded_registry(tmp_path / "home")
    events: list[str] = []
    started = threading.Event()
    real_close = reg.close

    class SlowSync:
        def __init__(self, registry: object) -> None:
            pass

        def __call__(self) -> object:
            started.set()
            time.sleep(1.0)  # a drain still running when shutdown begins
            events.append("drain finished")
            return type("Report", (), {"error": None, "pending": 0})()

    def close() -> None:
        events.append("registry closed")
        real_close()

    reg.close = close  # type: ignore[method-assign]
    monkeypatch.setattr(app_module, "IndexSync", SlowSync)
    app = app_module.create_app(reg, Authenticator(reg.settings), sync_interval_s=0.2, close_registry=True)
    with TestClient(app):
        assert started.wait(10)
    assert events == ["drain finished", "registry closed"]
