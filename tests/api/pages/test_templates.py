"""Pages render through autoescaping templates: hostile record text shows as text, IRIs that are not
web links (javascript:, data:, urn:) are not links, and every response carries the security headers."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pyoxigraph as ox
from fastapi.testclient import TestClient

from api.landing import Page, render
from api.pages import CSP, safe_href, snippet_markup
from registry.model import Record, RevisionInfo
from registry.vocab import DCAT, DCT, RDF_TYPE, Kind
from registry.wiring import Registry
from tests.api.rest.conftest import PUBLIC_DATASET, client_for
from tests.api.rest.test_writes import record_doc
from tests.conftest import CURATOR

BASE = "https://w3id.org/fairgrid/"
HOSTILE = '"><img src=x onerror=alert(1)> & <b>bold</b>'
SCRIPT_IRI = "javascript:alert(document.cookie)"


def _hostile_record() -> Record:
    s = ox.NamedNode(BASE + "dataset/hostile")
    dist = ox.NamedNode(BASE + "distribution/hostile-file")
    t = [
        ox.Triple(s, ox.NamedNode(RDF_TYPE), ox.NamedNode(DCAT + "Dataset")),
        ox.Triple(s, ox.NamedNode(DCT + "title"), ox.Literal(HOSTILE, language="en")),
        ox.Triple(s, ox.NamedNode(DCT + "description"), ox.Literal(HOSTILE)),
        ox.Triple(s, ox.NamedNode(DCT + "license"), ox.NamedNode(SCRIPT_IRI)),
        ox.Triple(s, ox.NamedNode(DCT + "conformsTo"), ox.NamedNode("data:text/html;base64,PHNjcmlwdD4K")),
        ox.Triple(s, ox.NamedNode(DCT + "publisher"), ox.NamedNode("https://example.org/hospital")),
        ox.Triple(s, ox.NamedNode(DCAT + "keyword"), ox.Literal("</td><script>alert(3)</script>")),
        ox.Triple(s, ox.NamedNode(DCAT + "distribution"), dist),
    ]
    rev = RevisionInfo(s.value, 1, Kind.DATASET, datetime(2026, 1, 2, tzinfo=UTC), HOSTILE, "h", note=HOSTILE)
    return Record(s.value, Kind.DATASET, tuple(t), rev)


def _distribution() -> Record:
    d = ox.NamedNode(BASE + "distribution/hostile-file")
    t = [
        ox.Triple(d, ox.NamedNode(RDF_TYPE), ox.NamedNode(DCAT + "Distribution")),
        ox.Triple(d, ox.NamedNode(DCAT + "accessURL"), ox.NamedNode("JavaScript:alert(4)")),
        ox.Triple(d, ox.NamedNode(DCAT + "downloadURL"), ox.NamedNode("https://example.org/file.csv")),
    ]
    return Record(d.value, Kind.DISTRIBUTION, tuple(t))


def _hrefs(html: str) -> list[str]:
    """Link targets a person can follow (anchors and the canonical link; not the empty favicon)."""
    return re.findall(r'<a [^>]*href="([^"]*)"', html) + re.findall(
        r'<link rel="canonical" href="([^"]*)"', html
    )


def test_landing_page_escapes_text_and_links_only_web_iris() -> None:
    rec, dist = _hostile_record(), _distribution()
    html = render(Page(rec, [rec.revision], {}, BASE, {dist.iri: dist}, 1))  # type: ignore[list-item]
    assert "<img" not in html and "<b>" not in html and "<script>alert" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html  # shown, as text
    hrefs = _hrefs(html)
    assert not [h for h in hrefs if not h.startswith(("/", "?", "https://", "http://"))], hrefs
    assert SCRIPT_IRI in html  # still shown, as text ...
    assert f'<span class="iri">{SCRIPT_IRI}</span>' in html  # ... not as a link
    assert "https://example.org/hospital" in hrefs and "https://example.org/file.csv" in hrefs
    assert "/distribution/hostile-file" in hrefs
    assert html.count("<script") == 1  # only the JSON-LD data block


def test_safe_href_and_snippets() -> None:
    for bad in (SCRIPT_IRI, " javascript:x", "JAVASCRIPT:x", "data:text/html,x", "vbscript:x", "urn:x:y", ""):
        assert safe_href(bad) is None, bad
    for good in ("https://a.example/x", "http://a.example/", "mailto:dpo@example.org"):
        assert safe_href(good) == good
    # only <em> survives from an index's snippet, escaped or not
    assert snippet_markup("a <em>b</em> &lt;i&gt; <script>x</script>") == (
        "a <em>b</em> &lt;i&gt; &lt;script&gt;x&lt;/script&gt;"
    )


def test_hostile_title_through_http_is_escaped_on_landing_and_search_pages(fresh: Registry) -> None:
    iri = BASE + "dataset/hostile-title"
    fresh.records.create(CURATOR, record_doc(fresh, iri, HOSTILE), ox.RdfFormat.TURTLE)
    fresh.search.sync()
    c = client_for(fresh)
    landing = c.get("/dataset/hostile-title", headers={"Accept": "text/html"}).text
    assert "<img" not in landing and "&lt;img src=x onerror=alert(1)&gt;" in landing
    found = c.get("/", params={"q": "onerror"}).text
    assert "/dataset/hostile-title?format=html" in found
    assert "<img" not in found and "<b>" not in found
    reflected = c.get("/", params={"q": '"><script>alert(1)</script>', "kind": '"><svg onload=x>'}).text
    assert "<script" not in reflected and "<svg" not in reflected
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in reflected


def test_every_page_sends_the_security_headers(client: TestClient) -> None:
    html = {"Accept": "text/html"}
    pages = [
        client.get("/"),
        client.get("/" + PUBLIC_DATASET, headers=html),
        client.get("/dataset/missing", headers=html),  # the error page
        client.get("/docs"),
        client.get("/graphql", headers=html),
        client.get("/signin"),
        client.get("/catalog"),
    ]
    for r in pages:
        assert r.headers["content-security-policy"] == CSP, r.url
        assert r.headers["x-content-type-options"] == "nosniff", r.url
    assert "frame-ancestors 'none'" in CSP and "script-src 'self';" in CSP and "unsafe-inline" not in CSP
    assert pages[2].status_code == 404 and "404: not found" in pages[2].text


def _scripts_and_styles(html: str) -> list[str]:
    return re.findall(r'<script src="([^"]+)"', html) + re.findall(
        r'<link rel="stylesheet" href="([^"]+)"', html
    )


def test_graphiql_and_docs_use_only_the_packaged_assets(client: TestClient) -> None:
    for path in ("/graphql", "/docs"):
        page = client.get(path, headers={"Accept": "text/html"})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert not re.search(r"unpkg|jsdelivr|cdn\.|//fonts", page.text), path
        assert not re.search(r"<script(?![^>]*\bsrc=)", page.text), "an inline script: CSP would refuse it"
        assets = _scripts_and_styles(page.text)
        assert len(assets) >= 2, path
        for url in assets:
            assert url.startswith("/static/"), url
            r = client.get(url)
            assert r.status_code == 200 and len(r.content) > 100, url
            assert r.headers["content-type"].split(";")[0] in (
                "text/javascript",
                "application/javascript",
                "text/css",
            )
    assert client.get("/redoc").status_code == 404  # not served: it would need a CDN


def test_graphql_queries_still_work_by_post_and_get(client: TestClient) -> None:
    q = '{ search(text: "statistics") { totalCount } }'
    post = client.post("/graphql", json={"query": q})
    assert post.status_code == 200 and post.json()["data"]["search"]["totalCount"] >= 1
    get = client.get("/graphql", params={"query": q}, headers={"Accept": "application/json"})
    assert get.status_code == 200 and get.json()["data"]["search"]["totalCount"] >= 1
