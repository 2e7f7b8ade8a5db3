"""The search service: the outbox drain when the store is a server that goes down; visibility flags."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from registry.config import Settings
from registry.identity import ANONYMOUS, Identity, Role, local_operator
from registry.search.port import SearchFilter, SearchQuery
from registry.services.indexing import to_document
from registry.services.search import INDEX_RULES, SearchService
from registry.wiring import Registry, open_registry
from tests.conftest import EXAMPLE, OxigraphServer
from tests.visibility_marks import mark_visibility

BASE = "https://w3id.org/fairgrid/"


def test_drain_reports_a_store_outage_instead_of_raising(tmp_path: Path) -> None:
    server = OxigraphServer(tmp_path / "store")
    server.start()
    try:
        reg = open_registry(Settings(home=tmp_path / "home", store_url=server.url + "/query"))
        reg.importer.run(local_operator(), [EXAMPLE])
    finally:
        server.stop()
    report = reg.search.sync()  # the API's background loop calls this every few seconds
    assert report.error is not None and "unreachable" in report.error
    assert (report.indexed, report.pending) == (0, -1)
    server.start()  # back: everything written before the outage is indexed
    try:
        assert reg.search.sync().pending == 0
        assert reg.index.count() > 0
    finally:
        server.stop()
        reg.close()


def test_index_follows_metadata_visibility_on_sync_and_reindex(reg: Registry) -> None:
    """Marking a dataset consortium-only re-indexes it and its distribution hidden (the drain), and a
    full reindex builds the same flags; RESTRICTED and NON_PUBLIC datasets stay public."""
    me = local_operator()
    reg.importer.run(me, [EXAMPLE])
    reg.search.sync()
    dataset = BASE + "dataset/mds-ngs-milan"
    part = BASE + "distribution/mds-ngs-milan-federated-parquet"
    query = SearchQuery(filters=SearchFilter(kinds=["Dataset", "Distribution"]), first=100)

    def found(who: Identity) -> set[str]:
        return {h.iri for h in reg.search.search(who, query).hits}

    assert {dataset, part, BASE + "dataset/mds-registry-hub-a"} <= found(ANONYMOUS)
    mark_visibility(reg, dataset)
    member = Identity("m", frozenset({Role.CONSORTIUM_MEMBER}))
    for rebuild in (reg.search.sync, lambda: reg.search.reindex(me)):
        rebuild()
        assert dataset not in found(ANONYMOUS) and part not in found(ANONYMOUS)
        assert dataset not in found(Identity("r", frozenset({Role.RESEARCHER})))
        assert {dataset, part} <= found(member)
        assert BASE + "dataset/mds-registry-hub-a" in found(ANONYMOUS)  # RESTRICTED


def test_an_index_built_under_older_rules_is_rebuilt_by_the_next_drain(reg: Registry) -> None:
    """An index from before published metadata became public holds RESTRICTED datasets flagged not
    public; the outbox would never re-send them (they did not change), so the drain rebuilds once."""
    reg.importer.run(local_operator(), [EXAMPLE])
    reg.search.sync()
    rules = reg.settings.home / "search-rules"
    assert rules.read_text().strip() == INDEX_RULES
    restricted = BASE + "dataset/mds-registry-hub-a"
    query = SearchQuery(filters=SearchFilter(kinds=["Dataset"]), first=100)
    assert restricted in {h.iri for h in reg.search.search(ANONYMOUS, query).hits}
    # what the previous version left: the same index, its restricted dataset flagged not public
    stale = replace(to_document(reg.records.get(local_operator(), restricted)), public=False)
    reg.index.upsert([stale])
    rules.unlink()
    assert restricted not in {h.iri for h in reg.search.search(ANONYMOUS, query).hits}
    again = SearchService(reg.store, reg.index, reg.terms, rules_file=rules)  # as a new process would
    again.sync()
    assert restricted in {h.iri for h in again.search(ANONYMOUS, query).hits}
    assert rules.read_text().strip() == INDEX_RULES


def test_a_draft_over_a_published_revision_keeps_the_published_one_searchable(reg: Registry) -> None:
    """The drainer may meet a record only after a draft was saved over its published revision, and a
    rebuild always does: the published revision is what the index holds, not nothing."""
    from tests.registry.services.test_records import TTL, dataset

    me = local_operator()
    reg.records.create(me, dataset(name="drafted", title="Marrow cohort"), TTL)
    reg.records.update(me, BASE + "dataset/drafted", dataset(name="drafted", title="Spleen cohort"), TTL, 1, publish=False)  # fmt: skip
    for rebuild in (reg.search.sync, lambda: reg.search.reindex(me)):
        rebuild()
        hits = reg.search.search(ANONYMOUS, SearchQuery(text="cohort")).hits
        assert [(h.iri, h.title) for h in hits if h.iri.endswith("/drafted")] == [
            (BASE + "dataset/drafted", "Marrow cohort")
        ]


def test_a_date_beyond_the_embedded_index_does_not_block_the_outbox(reg: Registry) -> None:
    """Tantivy's dates end at 2262-04-11: a record modified 2300-01-01 was stored, then raised
    ValueError in every drain of the outbox, so no record written after it reached the index."""
    from tests.registry.services.test_records import TTL, dataset

    me = local_operator()
    extra = '; dct:modified "2300-01-01"^^xsd:date ; dct:issued "1600-01-01"^^xsd:date'
    reg.records.create(
        me, dataset(name="far", title="Marrow registry", extra=extra).replace("test-org", "org-far"), TTL
    )
    reg.records.create(me, dataset(name="plain", title="Marrow cohort").replace("test-org", "org-plain"), TTL)
    report = reg.search.sync()
    assert report.error is None and report.pending == 0
    hits = {h.iri for h in reg.search.search(ANONYMOUS, SearchQuery(text="marrow")).hits}
    assert {BASE + "dataset/far", BASE + "dataset/plain"} <= hits


def test_a_record_the_index_cannot_hold_is_left_out_and_the_drain_goes_on(
    reg: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fault injection: a conversion that gives a value the index cannot hold, as the 401-digit count
    and the year 2300 did before they were mended. Such a record failed the whole batch, and every
    later drain, so no record written after it reached the index."""
    from registry.services import search as service
    from tests.registry.services.test_records import TTL, dataset

    real = service.to_document
    poison = BASE + "dataset/poison"

    def convert(rec: Any, *args: Any) -> Any:
        doc = real(rec, *args)
        return replace(doc, unique_individuals=2**70) if rec.iri == poison else doc

    monkeypatch.setattr(service, "to_document", convert)
    me = local_operator()
    for name in ("poison", "after"):
        reg.records.create(
            me, dataset(name=name, title="Marrow " + name).replace("test-org", "org-" + name), TTL
        )
    report = reg.search.sync()
    assert report.error is None and report.pending == 0 and list(report.unindexable) == [poison]
    assert report.indexed == 3  # "after" and the two organisations
    hits = {h.iri for h in reg.search.search(ANONYMOUS, SearchQuery(text="marrow")).hits}
    assert BASE + "dataset/after" in hits and poison not in hits
    monkeypatch.setattr(service, "to_document", real)  # the cause mended: a reindex takes it in
    reg.search.reindex(local_operator(), None)
    assert poison in {h.iri for h in reg.search.search(ANONYMOUS, SearchQuery(text="marrow")).hits}


def test_a_record_that_makes_no_search_document_is_left_out_and_its_old_version_removed(
    reg: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fault injection: the conversion itself fails for one record (a value it does not expect)."""
    from registry.services import search as service
    from tests.registry.services.test_records import TTL, dataset

    me, real = local_operator(), service.to_document
    broken = BASE + "dataset/broken"
    reg.records.create(me, dataset(name="broken", title="Marrow broken").replace("test-org", "org-b"), TTL)
    assert reg.search.sync().unindexable == {}

    def convert(rec: Any, *args: Any) -> Any:
        if rec.iri == broken:
            raise ValueError("a value the conversion does not expect")
        return real(rec, *args)

    monkeypatch.setattr(service, "to_document", convert)
    reg.records.update(
        me,
        broken,
        dataset(name="broken", title="Marrow v2").replace("test-org", "org-b"),
        TTL,
        base_revision=1,
    )
    reg.records.create(me, dataset(name="next", title="Marrow next").replace("test-org", "org-n"), TTL)
    report = reg.search.sync()
    assert report.pending == 0 and list(report.unindexable) == [broken] and report.indexed == 2
    hits = {h.iri for h in reg.search.search(ANONYMOUS, SearchQuery(text="marrow")).hits}
    assert BASE + "dataset/next" in hits and broken not in hits  # its first version is not shown as current
    reg.search.reindex(me, None)  # a rebuild, too, goes on without it (it stopped the whole rebuild)
    hits = {h.iri for h in reg.search.search(ANONYMOUS, SearchQuery(text="marrow")).hits}
    assert BASE + "dataset/next" in hits and broken not in hits


def test_counts_beyond_the_indexes_integers_are_stored_and_indexed_without_them(reg: Registry) -> None:
    """xsd:nonNegativeInteger has no bound. A 5,000-digit count was a 500 on write (Python refuses to
    read it as an int); a 401-digit one was stored and then failed every drain of the outbox, so no
    later record reached the index."""
    from tests.registry.services.test_records import TTL, dataset

    me = local_operator()
    for name, digits in (("huge", "1" + "0" * 400), ("enormous", "9" * 5000)):
        doc = dataset(name=name, title="Marrow registry").replace('"120"', f'"{digits}"')
        reg.records.create(me, doc.replace("test-org", f"org-{name}"), TTL)
    reg.records.create(me, dataset(name="plain", title="Marrow cohort").replace("test-org", "org-plain"), TTL)
    report = reg.search.sync()
    assert report.error is None and report.pending == 0
    hits = {h.iri for h in reg.search.search(ANONYMOUS, SearchQuery(text="marrow")).hits}
    assert {BASE + "dataset/huge", BASE + "dataset/enormous", BASE + "dataset/plain"} <= hits
    many = SearchQuery(text="marrow", filters=SearchFilter(min_unique_individuals=100))
    assert {h.iri for h in reg.search.search(ANONYMOUS, many).hits} == {BASE + "dataset/plain"}


def test_a_dataset_is_found_by_the_codes_and_names_of_its_diseases(reg: Registry) -> None:
    """HealthDCAT-AP codes a dataset's conditions so that people can find it by them: a registry titled
    "SCD registry" and coded D57.1 is found by the code and by the disease as ICD-10 names it."""
    from registry.validation.bundle import terminology_files
    from tests.registry.services.test_records import TTL, dataset

    me = local_operator()
    reg.importer.run(me, terminology_files())
    coded = "healthdcatap:hasCodeValues <http://id.who.int/icd/release/10/2019/D57.1>"
    doc = dataset(name="scd", title="SCD registry", extra="; " + coded).replace(
        "Adults with sickle cell disease followed at one site.", "Adults followed at one site."
    )
    reg.records.create(me, "@prefix healthdcatap: <http://healthdataportal.eu/ns/health#> .\n" + doc, TTL)
    reg.records.create(me, dataset(name="plain", title="Marrow registry").replace("sickle cell disease", "aplasia"), TTL)  # fmt: skip
    reg.search.sync()

    def found(text: str) -> list[str]:
        query = SearchQuery(text=text, filters=SearchFilter(kinds=["Dataset"]))
        return [h.iri.rsplit("/", 1)[1] for h in reg.search.search(ANONYMOUS, query).hits]

    assert sorted(found("registry")) == ["plain", "scd"]
    for text in ("sickle cell anaemia", "sickle-cell anemia", "D57.1", "d57.1 registry"):
        assert found(text) == ["scd"], text
    assert found("sickle aplasia") == []


def test_a_year_or_a_month_as_a_date_is_found_by_the_dates_inside_it(reg: Registry) -> None:
    """DCAT-AP 3 lets dct:issued and dct:modified be an xsd:gYear or xsd:gYearMonth; such records had no
    date in the index, so every date filter left them out and date sorts put them last."""
    from tests.registry.services.test_records import TTL, dataset

    me = local_operator()
    dates = 'dct:issued "2019"^^xsd:gYear ; dct:modified "2023-02Z"^^xsd:gYearMonth'
    reg.records.create(me, dataset(name="yearly", extra="; " + dates), TTL)
    rec = reg.store.get(BASE + "dataset/yearly")
    assert rec is not None
    doc = to_document(rec)
    assert (doc.issued, doc.issued_end) == (date(2019, 1, 1), date(2019, 12, 31))
    assert (doc.modified, doc.modified_end) == (date(2023, 2, 1), date(2023, 2, 28))
    reg.search.sync()

    def found(**bounds: date) -> bool:
        query = SearchQuery(filters=SearchFilter(kinds=["Dataset"], **bounds))
        return any(h.iri == BASE + "dataset/yearly" for h in reg.search.search(ANONYMOUS, query).hits)

    assert found(issued_from=date(2019, 7, 1), issued_to=date(2019, 7, 31))  # inside the year
    assert found(issued_from=date(2019, 12, 31)) and found(issued_to=date(2019, 1, 1))
    assert not found(issued_from=date(2020, 1, 1)) and not found(issued_to=date(2018, 12, 31))
    assert found(modified_from=date(2023, 2, 28), modified_to=date(2023, 3, 31))
    assert not found(modified_from=date(2023, 3, 1))


def test_the_publisher_facet_is_labelled_with_the_organisations_name(reg: Registry) -> None:
    """An organisation is a record of its own: the publisher facet showed its IRI, and a renamed
    organisation must relabel the facet of what it publishes."""
    from registry.search.port import Facet
    from tests.registry.services.test_records import TTL, dataset

    me = local_operator()
    reg.records.create(me, dataset(name="a"), TTL)
    reg.records.create(me, dataset(name="b", title="Marrow cohort").replace("test-org", "other-org"), TTL)
    reg.search.sync()

    def labels() -> dict[str, str | None]:
        res = reg.search.search(ANONYMOUS, SearchQuery(facets=[Facet.PUBLISHER]))
        return {b.value.rsplit("/", 1)[1]: b.label for b in res.facets["publisher"]}

    assert labels() == {"test-org": "Test organisation", "other-org": "Test organisation"}
    org = BASE + "organization/other-org"
    head = reg.store.get(org)
    assert head is not None and head.revision is not None
    renamed = (
        "@prefix foaf: <http://xmlns.com/foaf/0.1/> . @prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
        "@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .\n"
        f'<{org}> a foaf:Organization ; foaf:name "Marrow Institute"@en ;\n'
        "    dcat:contactPoint [ a vcard:Kind ; vcard:hasEmail <mailto:office@example.org> ] ."
    )
    reg.records.update(me, org, renamed, TTL, head.revision.number)
    reg.search.sync()
    assert labels() == {"test-org": "Test organisation", "other-org": "Marrow Institute"}
