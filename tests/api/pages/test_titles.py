"""A record is named the same in the catalogue list, on its landing page (heading and JSON-LD) and in the
links to it from the page of a record that refers to it."""

from __future__ import annotations

import json
import re

import pyoxigraph as ox
import pytest

from api.landing import Page, render
from api.rest.catalog_page import catalog_html
from registry.model import Record
from registry.services.indexing import to_document
from registry.vocab import DCAT, DCT, FOAF, RDF_TYPE, RDFS, SKOS, Kind

BASE = "https://w3id.org/fairgrid/"


def _record(iri: str, kind: Kind, *labels: tuple[str, ox.Literal]) -> Record:
    s = ox.NamedNode(iri)
    t = [ox.Triple(s, ox.NamedNode(RDF_TYPE), ox.NamedNode(kind.type_iri))]
    t += [ox.Triple(s, ox.NamedNode(p), lit) for p, lit in labels]
    return Record(iri, kind, tuple(t))


CASES = {
    # an English label before a German title: the title names it
    "title over label": _record(
        BASE + "dataset/t",
        Kind.DATASET,
        (RDFS + "label", ox.Literal("Label", language="en")),
        (DCT + "title", ox.Literal("Titel", language="de")),
    ),
    # two English names and no title: the first names it
    "first of two names": _record(
        BASE + "organization/o",
        Kind.ORGANIZATION,
        (SKOS + "prefLabel", ox.Literal("First", language="en")),
        (FOAF + "name", ox.Literal("Second", language="en")),
    ),
    "no label": _record(BASE + "dataset/bare", Kind.DATASET),
    # only an rdfs:label: search results named it by its IRI
    "label only": _record(BASE + "dataset/l", Kind.DATASET, (RDFS + "label", ox.Literal("Labelled"))),
}


def _catalog_title(rec: Record) -> str:
    html = catalog_html([rec], 1, 1, 10, None, BASE, False)
    found = re.search(r'<li><a href="[^"]*">([^<]*)</a>', html)
    assert found is not None, html
    return found.group(1)


def _landing(rec: Record, related: dict[str, Record] | None = None) -> str:
    return render(Page(rec, [], {}, BASE, related or {}, 1))


@pytest.mark.parametrize("rec", list(CASES.values()), ids=list(CASES))
def test_catalogue_landing_page_links_and_search_agree(rec: Record) -> None:
    title = _catalog_title(rec)
    page = _landing(rec)
    heading = re.search(r"<h1(?: lang=\"[^\"]+\")?>([^<]*)</h1>", page)
    assert heading is not None and heading.group(1) == title
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert ld is not None and json.loads(ld.group(1))["name"] == title
    s = ox.NamedNode(BASE + "catalog/c")
    cat = Record(s.value, Kind.CATALOG, (ox.Triple(s, ox.NamedNode(DCAT + "dataset"), rec.subject),))
    link = re.search(
        rf'<a [^>]*href="/{re.escape(rec.iri[len(BASE) :])}"[^>]*>([^<]*)</a>', _landing(cat, {rec.iri: rec})
    )
    assert link is not None and link.group(1) == title
    assert to_document(rec).title == title  # what a search hit is called
