"""Records whose IRI holds non-ASCII characters (IRIs may, RFC 3987): registered, dereferenced, listed.
Headers are ASCII (Location, Link), so the IRI goes in them as its URI, percent-encoded UTF-8. Writing
such a record answered 500 after committing it, and every GET of it 500: the raw IRI path went into the
headers, which Latin-1 cannot hold (and 'é', which it can, is not what a client decodes). An IRI with
'?' or '#' of its own had links that named another resource (the router decodes the path once)."""

from __future__ import annotations

import pytest

from registry.identity import Role
from registry.wiring import Registry
from tests.api.rest.conftest import auth_for, client_for
from tests.api.rest.test_writes import record_doc

BASE = "https://w3id.org/fairgrid/"


@pytest.mark.parametrize("name", ["数据集", "café-registry", "x?y=1#part"])
def test_a_unicode_iri_is_registered_and_served(fresh: Registry, name: str) -> None:
    c, auth = client_for(fresh), auth_for(fresh)
    iri = BASE + "dataset/" + name
    r = c.post(
        "/records",
        content=record_doc(fresh, iri),
        headers=auth(Role.CURATOR, **{"Content-Type": "text/turtle"}),
    )
    assert r.status_code == 201, r.text
    location = r.headers["location"]
    assert location.isascii() and location == r.json()["records"][0]["url"]
    for accept in ("text/turtle", "text/html", "application/ld+json"):
        got = c.get(location, headers={"Accept": accept})
        assert got.status_code == 200, (accept, got.text[:300])
        assert got.headers["link"].isascii() and location + "?format=" in got.headers["link"]
        assert c.head(location, headers={"Accept": accept}).status_code == 200
    assert iri in c.get(location, headers={"Accept": "text/turtle"}).text
    revisions = c.get("/revisions" + location).json()["revisions"]
    assert [v["url"] for v in revisions] == [location + "?revision=1"]
    assert c.get(revisions[0]["url"], headers={"Accept": "text/turtle"}).status_code == 200
