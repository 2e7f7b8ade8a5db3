"""GET /revisions/{id} lists each revision's metadata-quality summary (MQA dimensions, total, maxima)."""

from __future__ import annotations

from registry.identity import Role
from registry.wiring import Registry
from tests.api.rest.conftest import auth_for, client_for
from tests.registry.services.test_records import dataset

TTL = {"Content-Type": "text/turtle"}


def test_each_listed_revision_carries_its_quality(fresh: Registry) -> None:
    c, auth = client_for(fresh), auth_for(fresh)
    assert (
        c.post("/records", content=dataset(name="scored"), headers=auth(Role.CURATOR, **TTL)).status_code
        == 201
    )
    (rev,) = c.get("/revisions/dataset/scored").json()["revisions"]
    q = rev["quality"]
    assert (
        q["max"] == 405
        and q["maxAssessed"] == 325
        and q["rating"] in {"excellent", "good", "sufficient", "bad"}
    )
    assert [d["name"] for d in q["dimensions"]] == [
        "findability", "accessibility", "interoperability", "reusability", "contextuality",
    ]  # fmt: skip
    assert q["total"] == round(sum(d["points"] for d in q["dimensions"]), 2)
    assert q["dimensions"][0]["points"] == 30  # dcat:theme only: no keyword, spatial or temporal
