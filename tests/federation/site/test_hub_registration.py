"""A site registers the dataset descriptions it derives from its data with a running hub."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from api.app import create_app
from api.auth import Authenticator, dev_token
from federation.site.describe import describe_site, register_with_hub, to_turtle
from federation.site.home import SiteHome
from federation.site.store import SiteStore
from registry.config import Settings
from registry.errors import Unavailable
from registry.identity import Role, local_operator
from registry.validation.bundle import terminology_files
from registry.vocab import Kind
from registry.wiring import Registry, open_registry
from tests.conftest import DEV_AUTH, free_port


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[tuple[str, Registry]]:
    reg = open_registry(Settings(home=tmp_path / "hub", auth=DEV_AUTH))
    reg.importer.run(local_operator(), terminology_files())
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(reg, Authenticator(reg.settings)), port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", reg
    server.should_exit = True
    thread.join(10)
    reg.close()


def test_site_registers_and_updates_its_descriptions(
    hub: tuple[str, Registry], home: SiteHome, store: SiteStore, cohorts: dict[str, Path]
) -> None:
    url, reg = hub
    store.load([cohorts["scd"] / "site-1" / "fhir"])
    ttl = to_turtle(describe_site(home, store))
    with pytest.raises(Unavailable) as no_token:
        register_with_hub(ttl, url)
    assert "curator token" in (no_token.value.hint or "")
    token = dev_token(reg.settings.home, "site-t-operator", [Role.CURATOR])
    assert "registered 2 record(s)" in register_with_hub(ttl, url, token)  # the dataset and the site
    datasets = reg.store.list_records(Kind.DATASET)
    assert len(datasets) == 1 and datasets[0].iri.endswith("site-t-scd")
    # the same description again: updated in place, no new revision
    assert "unchanged" in register_with_hub(ttl, url, token)
    assert [h.number for h in reg.store.history(datasets[0].iri)] == [1]
    # more patients: the next description is a new revision of the same record
    store.load([cohorts["scd"] / "site-2" / "fhir"])
    register_with_hub(to_turtle(describe_site(home, store)), url, token)
    assert [h.number for h in reg.store.history(datasets[0].iri)] == [1, 2]
    hits = reg.search.search(local_operator(), _query("sickle"))
    assert datasets[0].iri in [h.iri for h in hits.hits]


def test_unreachable_hub_says_what_to_do(home: SiteHome, store: SiteStore) -> None:
    with pytest.raises(Unavailable) as err:
        register_with_hub("", f"http://127.0.0.1:{free_port()}", "t", timeout=2)
    assert "--out" in (err.value.hint or "")


def _query(text: str):  # type: ignore[no-untyped-def]
    from registry.search.port import SearchQuery

    return SearchQuery(text=text)
