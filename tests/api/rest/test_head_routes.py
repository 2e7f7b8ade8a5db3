"""HEAD on every route GET serves answers what GET answers, without a body (RFC 9110 9.3.2): the
search page, the catalogue, /sparql, the health checks, the docs, the sign-in page, the JSON schema and
the Beacon. They answered 405, and the paths with two segments (/schemas/criteria.json,
/beacon/v2/info, /revisions/{id}) fell through to the record-IRI route and answered 404."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.rest.conftest import PUBLIC_DATASET

PATHS = [
    "/",
    "/?q=registry",
    "/catalog",
    "/sparql?query=ASK%7B%7D",
    "/healthz",
    "/readyz",
    "/docs",
    "/signin",
    "/openapi.json",
    "/schemas/criteria.json",
    "/beacon/v2/info",
    "/revisions/" + PUBLIC_DATASET,
    "/" + PUBLIC_DATASET,
    "/static/fairgrid.css",
]


@pytest.mark.parametrize("path", PATHS)
def test_head_is_get_without_a_body(client: TestClient, path: str) -> None:
    get, head = client.get(path), client.head(path)
    assert head.status_code == get.status_code == 200, (path, head.status_code, head.text[:200])
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert int(head.headers["content-length"]) == len(get.content)


def test_head_keeps_the_refusals_of_get(client: TestClient) -> None:
    for path in ("/dataset/no-such-record", "/catalog?size=0", "/sparql", "/static/none.css"):
        get, head = client.get(path), client.head(path)
        assert head.status_code == get.status_code >= 400 and head.content == b"", path
    assert client.head("/records").status_code == 405  # POST only
