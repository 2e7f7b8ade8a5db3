"""The term service over a store server: disease filters keep working while the server is down."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from registry.config import Settings
from registry.errors import InputError, Unavailable
from registry.identity import local_operator
from registry.search import SearchFilter, SearchQuery
from registry.services import terms
from registry.services.terms import TermService
from registry.validation.bundle import terminology_files
from registry.wiring import Registry, open_registry
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


ORPHA_232 = "http://www.orpha.net/ORDO/Orphanet_232"
ICD10 = "http://id.who.int/icd/release/10/2019/"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    reg = open_registry(Settings(home=tmp_path_factory.mktemp("terms") / "home"))
    reg.importer.run(local_operator(), [*terminology_files(), EXAMPLE])
    reg.search.sync()
    yield reg
    reg.close()


@pytest.mark.parametrize("form", ["ORPHA:232", "orpha:232", " ORPHA:232 ", ORPHA_232])
def test_every_code_form_names_the_same_concept_everywhere(loaded: Registry, form: str) -> None:
    assert loaded.terms.concept(CURATOR, form).iri == ORPHA_232
    assert loaded.terms.descendants(CURATOR, form) == []  # a leaf: no error, nothing below
    assert loaded.terms.expand(CURATOR, form) == [ORPHA_232]
    assert loaded.terms.search(CURATOR, form)[0].iri == ORPHA_232
    by_form = loaded.search.search(CURATOR, SearchQuery(filters=SearchFilter(diseases=[form])))
    by_iri = loaded.search.search(CURATOR, SearchQuery(filters=SearchFilter(diseases=[ORPHA_232])))
    assert [h.iri for h in by_form.hits] == [h.iri for h in by_iri.hits]


def test_icd10_codes_and_their_iris_expand_alike(loaded: Registry) -> None:
    by_code = loaded.terms.expand(CURATOR, "D46")
    assert ICD10 + "D46.2" in by_code and by_code == loaded.terms.expand(CURATOR, ICD10 + "D46")
    assert loaded.terms.concept(CURATOR, "d46.2").iri == ICD10 + "D46.2"


@pytest.mark.parametrize("code", ["ORPHA:999999", "C91.0", "D46.99", "a b", ""])
def test_an_unknown_disease_code_in_a_filter_is_refused_by_name(loaded: Registry, code: str) -> None:
    query = SearchQuery(filters=SearchFilter(diseases=["D46", code]))
    with pytest.raises(InputError, match="unknown disease code") as caught:
        loaded.search.search(CURATOR, query)
    assert repr(code) in caught.value.message


def test_a_disease_iri_outside_the_bundled_subsets_is_matched_as_given(loaded: Registry) -> None:
    # ICD-10 is bundled as a subset: records may use any ICD-10 IRI, so an IRI is never refused
    query = SearchQuery(filters=SearchFilter(diseases=[ICD10 + "C91.0"]))
    assert loaded.search.search(CURATOR, query).hits == []
