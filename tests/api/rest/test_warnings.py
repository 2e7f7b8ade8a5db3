"""Validation warnings over REST: listed in the write response, counted in a header on GET, and listed per
revision by GET /revisions/{id} (they used to be kept with the revision but shown nowhere)."""

from __future__ import annotations

from registry.identity import Role
from registry.wiring import Registry
from tests.api.rest.conftest import auth_for, client_for
from tests.registry.services.test_records import dataset

DCAT = "http://www.w3.org/ns/dcat#"
TTL = {"Content-Type": "text/turtle"}


def test_warnings_are_readable_after_the_write(fresh: Registry) -> None:
    c, auth = client_for(fresh), auth_for(fresh)
    r = c.post("/records", content=dataset(name="warned"), headers=auth(Role.CURATOR, **TTL))
    assert r.status_code == 201, r.text
    (ds,) = [x for x in r.json()["records"] if x["url"] == "/dataset/warned"]
    paths = {w["path"] for w in ds["warnings"]}
    assert DCAT + "distribution" in paths and DCAT + "keyword" in paths  # recommended, left out
    assert all(w["severity"].endswith("#Warning") and w["message"] for w in ds["warnings"])

    got = c.get("/dataset/warned", headers={"Accept": "text/turtle"})
    assert got.headers["fairgrid-validation-warnings"] == str(len(ds["warnings"]))

    listing = c.get("/revisions/dataset/warned")
    assert listing.status_code == 200
    (rev,) = listing.json()["revisions"]
    assert rev["revision"] == 1 and rev["url"] == "/dataset/warned?revision=1" and rev["published"]
    assert rev["warnings"] == ds["warnings"]


def test_revision_listing_follows_the_read_rules(fresh: Registry) -> None:
    c, auth = client_for(fresh), auth_for(fresh)
    assert c.get("/revisions/dataset/no-such-record").status_code == 404
    draft = c.post("/records?draft=true", content=dataset(name="hidden"), headers=auth(Role.CURATOR, **TTL))
    assert draft.status_code == 201
    assert c.get("/revisions/dataset/hidden", headers=auth(Role.RESEARCHER)).status_code == 404
    assert c.get("/revisions/dataset/hidden", headers=auth(Role.CURATOR)).json()["revisions"][0]["warnings"]
