"""GET /catalog: DCAT-AP pages, Link headers, Hydra paging triples, visibility."""

from __future__ import annotations

import re

import pyoxigraph as ox
from fastapi.testclient import TestClient

from registry.identity import Role
from registry.wiring import Registry
from tests.api.rest.conftest import Auth, auth_for, client_for
from tests.conftest import CURATOR

DCAT = "http://www.w3.org/ns/dcat#"
HYDRA = "http://www.w3.org/ns/hydra/core#"


def links(header: str) -> dict[str, str]:
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(first|last|next|prev)"', header)}


def test_paging_and_link_headers(client: TestClient, shared: Registry, auth: Auth) -> None:
    total = shared.store.count()
    size = 5
    pages = -(-total // size)
    seen: set[str] = set()
    url: str | None = f"/catalog?size={size}"
    n = 0
    while url:
        r = client.get(url, headers=auth(Role.CURATOR, Accept="application/n-triples"))
        assert r.status_code == 200
        rel = links(r.headers["link"])
        assert rel["first"].endswith("page=1") and rel["last"].endswith(f"page={pages}")
        assert int(r.headers["x-total-count"]) == total
        g = list(ox.parse(r.content, format=ox.RdfFormat.N_TRIPLES))
        cat = ox.NamedNode("http://testserver/catalog")
        assert ox.Quad(cat, ox.NamedNode(HYDRA + "totalItems"), ox.Literal(str(total), datatype=ox.NamedNode(
            "http://www.w3.org/2001/XMLSchema#integer"))) in g  # fmt: skip
        views = [q.object for q in g if q.predicate == ox.NamedNode(HYDRA + "view")]
        assert len(views) == 1
        typed = {q.subject.value for q in g if q.predicate.value.endswith("#type")}  # type: ignore[union-attr]
        seen |= typed
        n += 1
        if n > 1:
            assert "prev" in rel
        url = rel.get("next")
        if url:
            assert any(q.predicate == ox.NamedNode(HYDRA + "next") for q in g)
    assert n == pages
    heads = {h.iri for h in shared.store.list_records(limit=1000)}
    assert heads <= seen


def test_catalog_links_datasets_and_negotiates(client: TestClient, auth: Auth) -> None:
    r = client.get("/catalog?kind=dataset&size=100", headers=auth(Role.RESEARCHER, Accept="text/turtle"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    g = list(ox.parse(r.content, format=ox.RdfFormat.TURTLE))
    datasets = {q.object.value for q in g if q.predicate == ox.NamedNode(DCAT + "dataset")}
    assert len(datasets) == 7
    assert "next" not in links(r.headers["link"])
    jsonld = client.get("/catalog?format=jsonld&size=2")
    assert jsonld.headers["content-type"] == "application/ld+json"
    assert client.get("/catalog", headers={"Accept": "image/png"}).status_code == 406
    assert client.get("/catalog?size=0").status_code == 422
    assert client.get("/catalog?kind=spaceship").status_code == 400


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_a_browser_gets_the_catalogue_as_a_page_to_click_through(client: TestClient) -> None:
    """The menu's "Catalogue" link: a browser got Turtle (or, asking for HTML alone, a 406)."""
    r = client.get("/catalog?kind=dataset&size=5", headers={"Accept": BROWSER})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "content-security-policy" in r.headers and r.headers["vary"] == "Accept"
    page = r.text
    assert "7 record(s), page 1 of 2" in page
    hrefs = re.findall(r'<li><a href="([^"]+)">', page)
    assert len(hrefs) == 5 and all(h.startswith("/dataset/") and h.endswith("?format=html") for h in hrefs)
    assert 'href="/catalog?page=2&amp;size=5&amp;kind=dataset"' in page  # the next page, same kind
    assert 'href="/catalog?page=1&amp;size=5&amp;kind=dataset&amp;format=ttl"' in page  # this page as RDF
    landing = client.get(hrefs[0], headers={"Accept": BROWSER})
    assert landing.status_code == 200 and landing.headers["content-type"].startswith("text/html")
    second = client.get("/catalog?kind=dataset&size=5&page=2&format=html").text
    assert len(re.findall(r"<li><a href=", second)) == 2 and "← Previous" in second
    # RDF clients are unchanged: */* and no Accept still get Turtle
    for headers in ({"Accept": "*/*"}, {}):
        assert client.get("/catalog", headers=headers).headers["content-type"].startswith("text/turtle")


def test_anonymous_catalog_lists_restricted_and_non_public_datasets(client: TestClient) -> None:
    """dct:accessRights is about the data: every published dataset's metadata is in the catalogue."""
    r = client.get("/catalog?kind=dataset&size=100", headers={"Accept": "application/n-triples"})
    g = list(ox.parse(r.content, format=ox.RdfFormat.N_TRIPLES))
    datasets = {q.object.value for q in g if q.predicate == ox.NamedNode(DCAT + "dataset")}
    assert len(datasets) == 7 and r.headers["x-total-count"] == "7"
    assert "https://w3id.org/fairgrid/dataset/mds-registry-hub-a" in datasets  # RESTRICTED


def test_drafts_never_published_are_not_listed_or_counted_for_non_curators(fresh: Registry) -> None:
    from tests.registry.services.test_records import TTL, dataset

    client = client_for(fresh)
    auth = auth_for(fresh)
    fresh.records.create(CURATOR, dataset(name="draft-only"), TTL, publish=False)
    for who, n in ((auth(Role.RESEARCHER), 7), ({}, 7), (auth(Role.CURATOR), 8)):
        r = client.get("/catalog?kind=dataset&size=3", headers={**who, "Accept": "text/turtle"})
        assert r.headers["x-total-count"] == str(n)
        assert ("dataset/draft-only" in r.text) == (n == 8)  # IRI order: on page 1 when listed
    last = client.get("/catalog?kind=dataset&size=3&page=3", headers={"Accept": "text/turtle"})
    assert "dataset/draft-only" not in last.text and last.headers["x-total-count"] == "7"
    # pages are full: 7 visible datasets over pages of 3 are 3 + 3 + 1
    g = list(ox.parse(last.content, format=ox.RdfFormat.TURTLE))
    assert len({q.object for q in g if q.predicate == ox.NamedNode(DCAT + "dataset")}) == 1
