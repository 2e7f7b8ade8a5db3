"""The term service over a store server: disease filters keep working while the server is down."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from registry.config import Settings
from registry.errors import InputError, Unavailable
from registry.identity import local_operator
from registry.search import SearchFilter, SearchQuery
from registry.services import terms
from registry.services.terms import TermService
from registry.validation.bundle import terminology_files
from registry.vocab import RDF_TYPE, SKOS, Kind
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


# as people and exports write it too: a space or an underscore for the colon, or none
@pytest.mark.parametrize("form", ["ORPHA:232", "orpha:232", " ORPHA:232 ", ORPHA_232, "ORPHA 232", "ORPHA_232", "orpha232"])  # fmt: skip
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
    # many hospital systems store ICD-10 codes without the dot
    assert (
        loaded.terms.concept(CURATOR, "D462").iri
        == loaded.terms.concept(CURATOR, "d462").iri
        == ICD10 + "D46.2"
    )
    assert loaded.terms.search(CURATOR, "D462")[0].iri == ICD10 + "D46.2"
    by_code = loaded.search.search(CURATOR, SearchQuery(filters=SearchFilter(diseases=["D461"])))
    by_iri = loaded.search.search(CURATOR, SearchQuery(filters=SearchFilter(diseases=[ICD10 + "D46.1"])))
    assert by_code.total == by_iri.total > 0


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


def test_the_concept_tree_is_kept_between_processes(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A second service (another CLI call, another worker) reads the concept tree its first built, without
    reading the terminologies from the store; a changed terminology or a broken file rebuilds it."""
    home = tmp_path / "home"
    reg = open_registry(Settings(home=home))
    try:
        reg.importer.run(local_operator(), terminology_files())
        built = reg.terms.expand(CURATOR, "D46")
        (cache,) = (home / "cache").glob("concepts-*.json")
        store_reads: list[str] = []
        real_get = reg.store.get

        def counting_get(iri: str, *args: Any) -> Any:
            store_reads.append(iri)
            return real_get(iri, *args)

        reg.store.get = counting_get  # type: ignore[method-assign,assignment]
        second = TermService(reg.store, cache_dir=home / "cache")
        assert second.expand(CURATOR, "D46") == built and store_reads == []
        assert second.concept(CURATOR, "ORPHA:232").iri == ORPHA_232
        cache.write_text("{ not json", encoding="utf-8")
        third = TermService(reg.store, cache_dir=home / "cache")
        with caplog.at_level("WARNING"):
            assert third.expand(CURATOR, "D46") == built and store_reads  # rebuilt from the store
        assert "unreadable" in caplog.text
        assert json.loads(cache.read_text(encoding="utf-8"))  # and written again
        # a changed terminology is another key: the old file is not read, and is replaced
        scheme = next(h for h in reg.store.list_records(Kind.TERMINOLOGY) if "icd" in h.iri.lower())
        rec = reg.records.get(CURATOR, scheme.iri)
        new = ox.NamedNode(ICD10 + "D46.Z")
        added = [
            ox.Triple(new, ox.NamedNode(RDF_TYPE), ox.NamedNode(SKOS + "Concept")),
            ox.Triple(new, ox.NamedNode(SKOS + "prefLabel"), ox.Literal("Test concept", language="en")),
            ox.Triple(new, ox.NamedNode(SKOS + "inScheme"), ox.NamedNode(scheme.iri)),
            ox.Triple(new, ox.NamedNode(SKOS + "broader"), ox.NamedNode(ICD10 + "D46")),
        ]
        data = ox.serialize([*rec.triples, *added], format=ox.RdfFormat.N_TRIPLES)
        assert rec.revision is not None and data is not None
        reg.records.update(CURATOR, scheme.iri, data, ox.RdfFormat.N_TRIPLES, rec.revision.number)
        fourth = TermService(reg.store, cache_dir=home / "cache")
        assert ICD10 + "D46.Z" in fourth.expand(CURATOR, "D46")
        assert [p.name for p in (home / "cache").glob("concepts-*.json")] != [cache.name]
    finally:
        reg.close()
