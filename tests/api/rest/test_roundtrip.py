"""A record read at its IRI and written back: GET answers with the record and the PROV of the revision
shown (`urn:fairgrid:revision:N:IRI`); a PUT of that same document is the same record (no new revision),
and an edited copy is the next revision, in Turtle and JSON-LD alike."""

from __future__ import annotations

import pytest

from registry.identity import Role
from registry.model import REVISION_PREFIX
from registry.wiring import Registry
from tests.api.rest.conftest import PUBLIC_DATASET, auth_for, client_for
from tests.conftest import CURATOR

URL = "/records/" + PUBLIC_DATASET
TITLE = "Consortium aggregate statistics by disease, site and year"


@pytest.mark.parametrize("media", ["text/turtle", "application/ld+json"])
def test_what_get_serves_can_be_put_back(fresh: Registry, media: str) -> None:
    c, auth = client_for(fresh), auth_for(fresh)
    got = c.get(URL, headers={"Accept": media})
    assert got.status_code == 200 and REVISION_PREFIX in got.text  # the served PROV is in the body
    headers = auth(Role.CURATOR, **{"Content-Type": media, "If-Match": got.headers["ETag"]})

    same = c.put(URL, content=got.content, headers=headers)
    assert same.status_code == 200, same.text
    assert same.json()["revision"] == 1  # unchanged: no new revision

    edited = got.text.replace(TITLE, "Aggregate statistics, edited")
    r = c.put(URL, content=edited.encode(), headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["revision"] == 2
    rec = fresh.records.get(CURATOR, "https://w3id.org/fairgrid/" + PUBLIC_DATASET)
    assert not any(REVISION_PREFIX in str(t) for t in rec.triples)
    assert any("Aggregate statistics, edited" in str(t.object) for t in rec.triples)
