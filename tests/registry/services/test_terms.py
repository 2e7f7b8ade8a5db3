"""The term service over a store server: disease filters keep working while the server is down."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.config import Settings
from registry.errors import Unavailable
from registry.identity import local_operator
from registry.search import SearchFilter, SearchQuery
from registry.services import terms
from registry.services.terms import TermService
from registry.validation.bundle import terminology_files
from registry.wiring import open_registry
from tests.conftest import CURATOR, EXAMPLE, OxigraphServer


def test_disease_filters_survive_a_store_outage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(terms, "SHARED_STORE_TTL_S", 0.0)  # re-check the store on every search
    server = OxigraphServer(tmp_path / "store")
    server.start()
    try:
        reg = open_registry(Settings(home=tmp_path / "home", store_url=server.url + "/query"))
        reg.importer.run(local_operator(), [*terminology_files(), EXAMPLE])
        reg.search.sync()
        mds = SearchQuery(filters=SearchFilter(diseases=["D46"]))  # D46 and its descendants
        before = [h.iri for h in reg.search.search(CURATOR, mds).hits]
        assert before
    finally:
        server.stop()
    # the index still answers, and the concept tree already loaded still expands D46
    assert [h.iri for h in reg.search.search(CURATOR, mds).hits] == before
    with pytest.raises(Unavailable):  # nothing loaded yet: nothing to fall back on
        TermService(reg.store).expand(CURATOR, "D46")
    reg.close()
