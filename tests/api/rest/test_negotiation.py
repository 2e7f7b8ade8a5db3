"""Record IRIs and /records/{id}: every media type, q-values, ?format=, 406, the HTML landing page."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from registry.identity import Role
from registry.wiring import Registry
from tests.api.rest.conftest import PUBLIC_DATASET, RESTRICTED_DATASET, Auth, client_for
from tests.conftest import CURATOR

BASE = "https://w3id.org/fairgrid/"
IRI = BASE + PUBLIC_DATASET
SCHEMA_DATASET = ox.NamedNode("https://schema.org/Dataset")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
TITLE = ox.NamedNode("http://purl.org/dc/terms/title")
DESCRIPTION = ox.NamedNode("http://purl.org/dc/terms/description")
KEYWORD = ox.NamedNode("http://www.w3.org/ns/dcat#keyword")
FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
}


def media(resp: object) -> str:
    return resp.headers["content-type"].split(";")[0]  # type: ignore[attr-defined, no-any-return]


def subjects(body: bytes, fmt: ox.RdfFormat) -> set[str]:
    return {q.subject.value for q in ox.parse(body, format=fmt)}  # type: ignore[union-attr]


@pytest.mark.parametrize("mt", list(FORMATS))
def test_every_rdf_media_type(client: TestClient, mt: str) -> None:
    r = client.get("/" + PUBLIC_DATASET, headers={"Accept": mt})
    assert r.status_code == 200
    assert media(r) == mt
    assert IRI in subjects(r.content, FORMATS[mt])
    assert r.headers["vary"] == "Accept"
    assert r.headers["etag"] == '"1"'
    assert 'rel="alternate"' in r.headers["link"]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "text/turtle"),
        ("*/*", "text/turtle"),
        ("text/turtle;q=0.5, application/rdf+xml;q=0.9", "application/rdf+xml"),
        ("application/ld+json;q=0, */*;q=0.1", "text/turtle"),
        ("text/*;q=0.9, text/html;q=0.1", "text/turtle"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
        ("application/json", "application/ld+json"),
        ("application/n-triples;q=0.3, text/html;q=0.2", "application/n-triples"),
        # a q that is not a number is ignored (the range keeps q=1), not taken as q=0 (RFC 9110 12.4.2)
        ("text/turtle;q=abc", "text/turtle"),
        ("application/rdf+xml;q=, text/turtle;q=0.5", "application/rdf+xml"),
        ("text/turtle;q=0.5, application/n-triples;q=x1", "application/n-triples"),
    ],
)
def test_q_values(client: TestClient, accept: str | None, expected: str) -> None:
    r = client.get("/" + PUBLIC_DATASET, headers={"Accept": accept} if accept else {})
    assert r.status_code == 200, r.text
    assert media(r) == expected


def test_format_parameter_overrides_accept(client: TestClient) -> None:
    r = client.get(f"/{PUBLIC_DATASET}?format=nt", headers={"Accept": "text/html"})
    assert media(r) == "application/n-triples"
    r = client.get(f"/{PUBLIC_DATASET}?format=application/ld%2Bjson")
    assert media(r) == "application/ld+json"
    assert client.get(f"/{PUBLIC_DATASET}?format=html").text.startswith("<!DOCTYPE html>")
    bad = client.get(f"/{PUBLIC_DATASET}?format=docx")
    assert bad.status_code == 400
    assert "text/turtle" in bad.json()["hint"]


def test_unknown_accept_is_406_listing_supported_types(client: TestClient) -> None:
    r = client.get("/" + PUBLIC_DATASET, headers={"Accept": "application/pdf, image/*"})
    assert r.status_code == 406
    assert r.headers["content-type"] == "application/problem+json"
    assert set(r.json()["supported"]) == {*FORMATS, "text/html"}


def test_records_route_by_path_and_by_full_iri(client: TestClient) -> None:
    by_path = client.get("/records/" + PUBLIC_DATASET, headers={"Accept": "application/n-triples"})
    by_iri = client.get("/records/" + quote(IRI, safe=""), headers={"Accept": "application/n-triples"})
    assert by_path.status_code == by_iri.status_code == 200
    assert by_path.content == by_iri.content
    icd = client.get("/records/" + quote("http://id.who.int/icd/release/10/2019", safe=""))
    assert icd.status_code == 200
    assert client.get("/records/dataset/nope").status_code == 404
    assert client.get("/dataset/nope").status_code == 404


def test_provenance_is_served_with_the_record(client: TestClient) -> None:
    r = client.get("/" + PUBLIC_DATASET, headers={"Accept": "application/n-triples"})
    assert "http://www.w3.org/ns/prov#specializationOf" in r.text


def test_restricted_record_metadata_is_public(client: TestClient, auth: Auth) -> None:
    """dct:accessRights RESTRICTED is about the data; the metadata is published for anyone to find
    (consortium-only metadata and its 401: tests/api/rest/test_visibility.py)."""
    anon = client.get("/" + RESTRICTED_DATASET, headers={"Accept": "text/turtle"})
    assert anon.status_code == 200 and "access-right/RESTRICTED" in anon.text
    assert client.get("/" + RESTRICTED_DATASET, headers=auth(Role.RESEARCHER)).status_code == 200


def _json_ld(html: str) -> list[ox.Quad]:
    m = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert m, "no JSON-LD script in the page"
    json.loads(m.group(1))
    return list(ox.parse(m.group(1).encode(), format=ox.RdfFormat.JSON_LD))


def test_html_landing_page(client: TestClient) -> None:
    r = client.get("/" + PUBLIC_DATASET, headers={"Accept": "text/html"})
    assert r.status_code == 200
    html = r.text
    assert "<title>" in html and "<h1>" in html
    for label in ("Publisher", "Access rights", "Keywords", "Theme", "Revisions", "Distributions"):
        assert label in html, label
    assert 'href="/distribution/' in html  # distributions link to their own landing pages
    assert 'href="?revision=1"' in html
    quads = _json_ld(html)
    assert ox.Quad(ox.NamedNode(IRI), RDF_TYPE, SCHEMA_DATASET) in quads
    dcat = ox.NamedNode("http://www.w3.org/ns/dcat#Dataset")
    assert ox.Quad(ox.NamedNode(IRI), RDF_TYPE, dcat) in quads


def test_deprecated_record_shows_a_banner_and_old_revisions_stay(fresh: Registry) -> None:
    fresh.records.deprecate(CURATOR, IRI, "superseded by a newer release")
    c = client_for(fresh)
    html = c.get("/" + PUBLIC_DATASET, headers={"Accept": "text/html"}).text
    assert "Deprecated:" in html and "superseded by a newer release" in html
    old = c.get(f"/{PUBLIC_DATASET}?revision=1&format=nt")
    assert old.status_code == 200 and old.headers["etag"] == '"1"'
    assert "deprecated" not in old.text.lower().replace("prov#", "")
    assert c.get(f"/{PUBLIC_DATASET}?revision=9").status_code == 404
    old_html = c.get(f"/{PUBLIC_DATASET}?revision=1&format=html").text
    assert "the <a" in old_html and "latest is 2" in old_html


def test_landing_page_text_cannot_break_out_of_its_json_ld(fresh: Registry) -> None:
    from tests.api.rest.test_writes import record_doc

    hostile = "Audit </script><script>alert(1)</script><!-- end"
    iri = "https://w3id.org/fairgrid/dataset/hostile-title"
    fresh.records.create(CURATOR, record_doc(fresh, iri, hostile), ox.RdfFormat.TURTLE)
    html = client_for(fresh).get("/dataset/hostile-title", headers={"Accept": "text/html"}).text
    assert html.count("<script") == 1 and "<script>alert" not in html and "<!-- end" not in html
    titles = [q.object.value for q in _json_ld(html) if q.predicate.value.endswith("/name")]
    assert hostile in titles  # the text itself survives, escaped


def test_a_landing_page_shows_every_language_the_record_gives(fresh: Registry) -> None:
    """Titles and descriptions in French, Dutch or German were dropped from the page (it showed the English
    one only), so a curator's translations could be read in the RDF alone."""
    from tests.api.rest.test_writes import record_doc

    iri = ox.NamedNode("https://w3id.org/fairgrid/dataset/multilingual")
    doc = ox.parse(record_doc(fresh, iri.value, "Sickle cell registry"), format=ox.RdfFormat.TURTLE)
    extra = [
        ox.Triple(iri, TITLE, ox.Literal("Registre de la drépanocytose", language="fr")),
        ox.Triple(iri, TITLE, ox.Literal("Sikkelcelziekte register", language="nl")),
        ox.Triple(iri, DESCRIPTION, ox.Literal("Patients atteints de drépanocytose.", language="fr")),
        ox.Triple(iri, KEYWORD, ox.Literal("drépanocytose", language="fr")),
    ]
    data = ox.serialize([*doc, *extra], format=ox.RdfFormat.TURTLE)
    fresh.records.create(CURATOR, data, ox.RdfFormat.TURTLE)
    html = client_for(fresh).get("/dataset/multilingual", headers={"Accept": "text/html"}).text
    assert "<h1>Sickle cell registry</h1>" in html  # the English title leads, in the page's language
    titles = re.search(r"<th>Title in other languages</th><td>(.*?)</td>", html)
    assert titles is not None
    assert titles.group(1).index('<span lang="fr">Registre de la drépanocytose</span>') < titles.group(
        1
    ).index('<span lang="nl">Sikkelcelziekte register</span>')
    assert '<th>Description in other languages</th><td><span lang="fr">Patients atteints' in html
    assert '<span lang="fr">drépanocytose</span> <span class="lang">(fr)</span>' in html  # the keyword


def test_a_record_titled_in_one_other_language_marks_its_heading(fresh: Registry) -> None:
    from tests.api.rest.test_writes import record_doc

    iri = ox.NamedNode("https://w3id.org/fairgrid/dataset/french-only")
    doc = [
        t
        if t.predicate != TITLE
        else ox.Triple(t.subject, TITLE, ox.Literal("Registre de Leiden", language="fr"))
        for t in ox.parse(record_doc(fresh, iri.value, "x"), format=ox.RdfFormat.TURTLE)
    ]
    fresh.records.create(CURATOR, ox.serialize(doc, format=ox.RdfFormat.TURTLE), ox.RdfFormat.TURTLE)
    html = client_for(fresh).get("/dataset/french-only", headers={"Accept": "text/html"}).text
    assert '<h1 lang="fr">Registre de Leiden</h1>' in html and "Title in other languages" not in html
