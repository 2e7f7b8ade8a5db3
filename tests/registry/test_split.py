"""Splitting documents into records."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from registry.errors import IriNotAllowed, NoTypedSubject
from registry.io.split import split
from registry.vocab import Kind

BASE = "https://w3id.org/fairgrid/"
ALLOWED = (BASE, "http://id.who.int/icd/")


def parse(text: str) -> list[ox.Triple]:
    prefixes = (
        "@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> . "
        "@prefix foaf: <http://xmlns.com/foaf/0.1/> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> . "
        "@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .\n"
    )
    return [q.triple for q in ox.parse((prefixes + text).encode(), format=ox.RdfFormat.TURTLE)]


def test_catalogue_splits_into_records_with_their_own_descriptions() -> None:
    res = split(
        parse(f"""
<{BASE}catalog/c> a dcat:Catalog ; dcat:dataset <{BASE}dataset/d> ; dct:publisher <http://publications.europa.eu/resource/authority/corporate-body/EC> .
<http://publications.europa.eu/resource/authority/corporate-body/EC> a foaf:Agent ; foaf:name "EC" .
<{BASE}dataset/d> a dcat:Dataset ; dcat:distribution <{BASE}distribution/x> ; dcat:contactPoint <{BASE}contact/t> ;
    dct:temporal [ dcat:startDate "2020-01-01" ] .
<{BASE}contact/t> a vcard:Kind ; vcard:fn "team" .
<{BASE}distribution/x> a dcat:Distribution ; dct:title "x" .
"""),
        base_iri=BASE,
        allowed=ALLOWED,
    )
    assert not res.errors
    kinds = {d.iri: d.kind for d in res.drafts}
    assert kinds == {f"{BASE}catalog/c": Kind.CATALOG, f"{BASE}dataset/d": Kind.DATASET,
                     f"{BASE}distribution/x": Kind.DISTRIBUTION}  # fmt: skip
    by = {d.iri: d for d in res.drafts}
    # the foreign publisher is embedded where it is used; the contact point and period go with the dataset
    assert any(t.subject.value.endswith("corporate-body/EC") for t in by[f"{BASE}catalog/c"].triples)  # type: ignore[union-attr]
    assert len(by[f"{BASE}dataset/d"].triples) == 7
    assert len(by[f"{BASE}distribution/x"].triples) == 2


def test_concepts_belong_to_their_scheme() -> None:
    res = split(
        parse("""
<http://id.who.int/icd/release/10/2019> a skos:ConceptScheme ; dct:title "ICD-10" .
<http://id.who.int/icd/release/10/2019/D46> a skos:Concept ; skos:inScheme <http://id.who.int/icd/release/10/2019> ;
    skos:prefLabel "MDS" .
"""),
        base_iri=BASE,
        allowed=ALLOWED,
    )
    (draft,) = res.drafts
    assert draft.kind == Kind.TERMINOLOGY and len(draft.triples) == 5


def test_blank_root_is_minted_and_references_follow() -> None:
    res = split(
        parse(f'[] a dcat:Dataset ; dct:title "t" . <{BASE}catalog/c> a dcat:Catalog .'),
        base_iri=BASE,
        allowed=ALLOWED,
    )
    minted = next(d for d in res.drafts if d.kind == Kind.DATASET)
    assert minted.minted and minted.iri.startswith(BASE + "dataset/")


def test_errors() -> None:
    with pytest.raises(NoTypedSubject):
        split(parse(f'<{BASE}x> dct:title "t" .'), base_iri=BASE, allowed=ALLOWED)
    res = split(parse('<http://elsewhere.org/d> a dcat:Dataset . <http://elsewhere.org/z> dct:title "z" .'),
                base_iri=BASE, allowed=ALLOWED)  # fmt: skip
    assert [type(e) for _, e in res.errors] == [IriNotAllowed, NoTypedSubject]


LDP = "@prefix ldp: <http://www.w3.org/ns/ldp#> .\n"


def test_blank_node_parts_belong_to_the_record_that_points_at_them() -> None:
    text = f"""
<{BASE}dataset/d> a dcat:Dataset ; dct:publisher [ a foaf:Organization ; foaf:name "Org" ] ;
    dcat:distribution [ a dcat:Distribution ; dcat:accessURL <{BASE}access/d> ] ;
    dcat:contactPoint [ a vcard:Kind ; vcard:fn "team" ] .
"""
    (draft,) = split(parse(text), base_iri=BASE, allowed=ALLOWED).drafts
    assert draft.iri == f"{BASE}dataset/d" and len(draft.triples) == 10


def test_minted_iris_are_stable_across_splits() -> None:
    text = '[] a dcat:Dataset ; dct:title "t" ; dct:publisher [ a foaf:Agent ; foaf:name "A" ] .'
    first = split(parse(text), base_iri=BASE, allowed=ALLOWED).drafts
    second = split(parse(text), base_iri=BASE, allowed=ALLOWED).drafts
    assert [d.iri for d in first] == [d.iri for d in second] and len(first) == 1
    other = split(parse(text.replace('"t"', '"u"')), base_iri=BASE, allowed=ALLOWED).drafts
    assert other[0].iri != first[0].iri  # derived from the content


def test_foreign_records_are_reported_even_when_something_points_at_them() -> None:
    text = (
        LDP
        + f"""
<{BASE}datasets> a ldp:DirectContainer ; ldp:contains <http://elsewhere.org/d>, <{BASE}dataset/mine> .
<http://elsewhere.org/d> a dcat:Dataset ; dct:title "theirs" .
<{BASE}dataset/mine> a dcat:Dataset ; dct:title "mine" .
<{BASE}catalog/c> a dcat:Catalog ; dcat:dataset <http://elsewhere.org/e> .
<http://elsewhere.org/e> a dcat:Dataset ; dct:title "also theirs" .
"""
    )
    res = split(parse(text), base_iri=BASE, allowed=ALLOWED)
    assert {d.iri for d in res.drafts} == {f"{BASE}dataset/mine", f"{BASE}catalog/c"}
    errors = {where: type(e) for where, e in res.errors}
    # the container is navigation, not a record nor an orphan
    assert errors == {"http://elsewhere.org/d": IriNotAllowed, "http://elsewhere.org/e": IriNotAllowed}
    catalog = next(d for d in res.drafts if d.kind == Kind.CATALOG)
    assert len(catalog.triples) == 2  # the foreign dataset is not swallowed by the catalogue


def test_catalog_record_is_kept_with_the_record_it_describes() -> None:
    text = f"""
<{BASE}catalog/c> a dcat:Catalog ; dcat:dataset <{BASE}dataset/d> ; dcat:record <{BASE}record/d> .
<{BASE}record/d> a dcat:CatalogRecord ; foaf:primaryTopic <{BASE}dataset/d> ; dct:modified "2024-01-01" .
<{BASE}dataset/d> a dcat:Dataset ; dct:title "d" .
<{BASE}record/lone> a dcat:CatalogRecord ; foaf:primaryTopic <{BASE}dataset/e> .
<{BASE}dataset/e> a dcat:Dataset ; dct:title "e" .
"""
    res = split(parse(text), base_iri=BASE, allowed=ALLOWED)
    assert not res.errors
    by = {d.iri: d for d in res.drafts}
    assert set(by) == {f"{BASE}catalog/c", f"{BASE}dataset/d", f"{BASE}dataset/e"}
    subjects = {d: {t.subject.value for t in by[d].triples} for d in by}  # type: ignore[union-attr]
    assert subjects[f"{BASE}dataset/d"] == {f"{BASE}dataset/d", f"{BASE}record/d"}
    assert subjects[f"{BASE}catalog/c"] == {f"{BASE}catalog/c"}
    assert subjects[f"{BASE}dataset/e"] == {f"{BASE}dataset/e", f"{BASE}record/lone"}


def test_a_blank_node_shared_by_two_records_is_copied_into_each_and_cycles_end() -> None:
    text = f"""
_:org a foaf:Organization ; foaf:name "Org" ; dct:relation _:org .
<{BASE}dataset/a> a dcat:Dataset ; dct:publisher _:org .
<{BASE}dataset/b> a dcat:Dataset ; dct:publisher _:org .
_:x a dcat:Dataset ; dct:title "x" ; dct:relation _:y .
_:y a dcat:Dataset ; dct:title "y" ; dct:relation _:x .
"""
    runs = [split(parse(text), base_iri=BASE, allowed=ALLOWED) for _ in range(2)]
    assert not runs[0].errors
    by = {d.iri: d for d in runs[0].drafts}
    assert len(by) == 4 and [d.iri for d in runs[0].drafts] == [d.iri for d in runs[1].drafts]
    for d in ("a", "b"):
        assert len(by[f"{BASE}dataset/{d}"].triples) == 5  # its own two and the three of the org
    minted = [d for d in runs[0].drafts if d.minted]
    assert len(minted) == 2 and minted[0].iri != minted[1].iri
    # each minted dataset points at the other's minted IRI
    assert {t.object for t in minted[0].triples if t.predicate.value.endswith("relation")} == {
        ox.NamedNode(minted[1].iri)
    }


def test_a_catalog_record_about_a_dataset_not_in_the_input_is_reported_once_saying_so() -> None:
    res = split(
        parse(f"""
<{BASE}dataset/d> a dcat:Dataset ; dct:title "d" .
<{BASE}record/r> a dcat:CatalogRecord ; foaf:primaryTopic <{BASE}dataset/elsewhere> ;
    dct:modified "2024-10-09" ; <http://spdx.org/rdf/terms#checksum> [ <http://spdx.org/rdf/terms#checksumValue> "ea77" ] .
"""),
        base_iri=BASE,
        allowed=ALLOWED,
        source="f.ttl",
    )
    assert [d.iri for d in res.drafts] == [f"{BASE}dataset/d"]
    assert [(where, e.message) for where, e in res.errors] == [
        (
            f"{BASE}record/r",
            f"f.ttl: {BASE}record/r is a dcat:CatalogRecord whose foaf:primaryTopic <{BASE}dataset/elsewhere> "
            "is not described in the input, so it belongs to no record",
        )
    ]
