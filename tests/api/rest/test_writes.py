"""POST /records and PUT /records/{id}: roles, validation (422), stale (409), missing base (428)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from registry.identity import Role
from registry.search import SearchQuery
from registry.wiring import Registry
from tests.api.rest.conftest import PUBLIC_DATASET, auth_for, client_for
from tests.conftest import CURATOR
from tests.indexing import caught_up

BASE = "https://w3id.org/fairgrid/"
TITLE = ox.NamedNode("http://purl.org/dc/terms/title")


def record_doc(reg: Registry, iri: str, title: str | None = "Sickle cell transfusion audit") -> bytes:
    """The public example dataset, renamed to `iri`; `title` None drops the (required) title."""
    src = reg.records.get(CURATOR, BASE + PUBLIC_DATASET)
    old = ox.NamedNode(BASE + PUBLIC_DATASET)
    out = []
    for t in src.triples:
        s = ox.NamedNode(iri) if t.subject == old else t.subject
        if s == ox.NamedNode(iri) and t.predicate == TITLE:
            if title is None:
                continue
            out.append(ox.Triple(s, TITLE, ox.Literal(title, language="en")))
            continue
        out.append(ox.Triple(s, t.predicate, t.object))
    if title is not None and not any(t.predicate == TITLE and t.subject == ox.NamedNode(iri) for t in out):
        out.append(ox.Triple(ox.NamedNode(iri), TITLE, ox.Literal(title, language="en")))
    data = ox.serialize(out, format=ox.RdfFormat.TURTLE)
    assert data is not None
    return data


TTL = {"Content-Type": "text/turtle"}


def test_curator_creates_and_the_record_is_served_and_searchable(fresh: Registry) -> None:
    c, auth = client_for(fresh), auth_for(fresh)
    iri = BASE + "dataset/scd-transfusion-audit"
    r = c.post("/records", content=record_doc(fresh, iri), headers=auth(Role.CURATOR, **TTL))
    assert r.status_code == 201, r.text
    assert r.headers["location"] == "/dataset/scd-transfusion-audit"
    created = r.json()["records"][0]
    assert isinstance(created.pop("warnings"), list)  # tests/api/rest/test_warnings.py
    assert created == {
        "iri": iri, "kind": "Dataset", "revision": 1, "published": True, "url": "/dataset/scd-transfusion-audit"
    }  # fmt: skip
    assert c.get("/dataset/scd-transfusion-audit", headers={"Accept": "text/turtle"}).status_code == 200
    assert (iri, 1) in fresh.store.pending(100)  # committed; the index catches up after the response
    caught_up(fresh)
    hits = fresh.search.search(CURATOR, SearchQuery(text="transfusion audit")).hits
    assert iri in [h.iri for h in hits]
    again = c.post("/records", content=record_doc(fresh, iri, "Other"), headers=auth(Role.CURATOR, **TTL))
    assert again.status_code == 409


@pytest.mark.parametrize(("roles", "status"), [((Role.RESEARCHER,), 403), ((), 401)])
def test_only_curators_write(fresh: Registry, roles: tuple[Role, ...], status: int) -> None:
    c, auth = client_for(fresh), auth_for(fresh)
    headers = auth(*roles, **TTL) if roles else TTL
    doc = record_doc(fresh, BASE + "dataset/x")
    assert c.post("/records", content=doc, headers=headers).status_code == status
    put = c.put("/" + "records/" + PUBLIC_DATASET, content=doc, headers={**headers, "If-Match": '"1"'})
    assert put.status_code == status


def test_invalid_record_is_422_with_violations(fresh: Registry) -> None:
    c, auth = client_for(fresh), auth_for(fresh)
    doc = record_doc(fresh, BASE + "dataset/untitled", title=None)
    r = c.post("/records", content=doc, headers=auth(Role.CURATOR, **TTL))
    assert r.status_code == 422
    body = r.json()
    assert r.headers["content-type"] == "application/problem+json"
    assert body["code"] == "shacl_violation"
    assert any(v["path"] == str(TITLE.value) for v in body["violations"])
    syntax = c.post("/records", content=b"<a> <b> .", headers=auth(Role.CURATOR, **TTL))
    assert syntax.status_code == 400 and syntax.json()["code"] == "rdf_syntax"
    bad_type = c.post("/records", content=doc, headers=auth(Role.CURATOR, **{"Content-Type": "text/csv"}))
    assert bad_type.status_code == 415 and "text/turtle" in bad_type.json()["supported"]


def test_update_needs_a_base_revision_and_detects_stale_ones(fresh: Registry) -> None:
    c, auth = client_for(fresh), auth_for(fresh)
    iri = BASE + PUBLIC_DATASET
    doc = record_doc(fresh, iri, "Aggregate statistics, second edition")
    url = "/records/" + PUBLIC_DATASET
    missing = c.put(url, content=doc, headers=auth(Role.CURATOR, **TTL))
    assert missing.status_code == 428 and "If-Match" in missing.json()["hint"]
    ok = c.put(url, content=doc, headers=auth(Role.CURATOR, **TTL, **{"If-Match": '"1"'}))
    assert ok.status_code == 200, ok.text
    assert ok.json()["revision"] == 2 and ok.headers["etag"] == '"2"'
    stale = c.put(url, content=doc, headers=auth(Role.CURATOR, **TTL, **{"If-Match": '"1"'}))
    assert stale.status_code == 409 and stale.json()["code"] == "stale_revision"
    same = c.put(url + "?baseRevision=2", content=doc, headers=auth(Role.CURATOR, **TTL))
    assert same.status_code == 200 and same.json()["revision"] == 2  # nothing changed: no new revision
    third = record_doc(fresh, iri, "Aggregate statistics, second edition, corrected")
    by_param = c.put(url + "?baseRevision=2", content=third, headers=auth(Role.CURATOR, **TTL))
    assert by_param.status_code == 200 and by_param.json()["revision"] == 3
    garbage = c.put(url, content=doc, headers=auth(Role.CURATOR, **TTL, **{"If-Match": "*"}))
    assert garbage.status_code == 400
    latest = c.get("/" + PUBLIC_DATASET, headers={"Accept": "application/n-triples"})
    assert "second edition" in latest.text and latest.headers["etag"] == '"3"'
    first = c.get(f"/{PUBLIC_DATASET}?revision=1", headers={"Accept": "application/n-triples"})
    assert "second edition" not in first.text


def test_drafts_are_for_curators(fresh: Registry) -> None:
    c, auth = client_for(fresh), auth_for(fresh)
    iri = BASE + "dataset/draft-one"
    r = c.post("/records?draft=true", content=record_doc(fresh, iri), headers=auth(Role.CURATOR, **TTL))
    assert r.status_code == 201 and r.json()["records"][0]["published"] is False
    assert c.get("/dataset/draft-one", headers=auth(Role.RESEARCHER)).status_code == 404
    page = c.get("/dataset/draft-one?format=html", headers=auth(Role.CURATOR))
    assert page.status_code == 200 and "Draft" in page.text


def test_bad_literals_and_shacl_violations_come_back_in_one_round(fresh: Registry) -> None:
    c, auth = client_for(fresh), auth_for(fresh)
    iri = BASE + "dataset/two-problems"
    doc = record_doc(fresh, iri, title=None).decode()  # no title: a SHACL violation
    doc += f'\n<{iri}> <http://purl.org/dc/terms/issued> "next spring"^^<http://www.w3.org/2001/XMLSchema#date> .'
    r = c.post("/records", content=doc, headers=auth(Role.CURATOR, **TTL))
    assert r.status_code == 400 and r.json()["code"] == "bad_datatype"
    rules = {(v["constraint"].rsplit("#", 1)[-1], v["path"]) for v in r.json()["violations"]}
    assert ("WellFormedLiteral", "http://purl.org/dc/terms/issued") in rules
    assert ("MinCountConstraintComponent", str(TITLE.value)) in rules
    assert fresh.store.head(iri) is None


@pytest.mark.parametrize("media", ["text/turtle", "application/n-triples"])
def test_a_body_that_starts_with_a_byte_order_mark_is_read(fresh: Registry, media: str) -> None:
    """A file saved by Notepad or Excel starts with EF BB BF; curl --data-binary @file sends it as is."""
    c, auth = client_for(fresh), auth_for(fresh)
    iri = BASE + "dataset/scd-bom-audit"
    doc = ox.serialize(
        ox.parse(record_doc(fresh, iri), format=ox.RdfFormat.TURTLE),
        format=ox.RdfFormat.from_media_type(media),
    )
    r = c.post(
        "/records", content=b"\xef\xbb\xbf" + doc, headers=auth(Role.CURATOR, **{"Content-Type": media})
    )
    assert r.status_code == 201, r.text
    assert fresh.store.get(iri) is not None
