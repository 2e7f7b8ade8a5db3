"""HEAD on record IRIs and /records/{id}: GET's status and headers, no body (was 405)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.rest.conftest import PUBLIC_DATASET, RESTRICTED_DATASET, Auth


@pytest.mark.parametrize("path", ["/" + PUBLIC_DATASET, "/records/" + PUBLIC_DATASET])
@pytest.mark.parametrize("accept", ["text/turtle", "application/ld+json", "text/html"])
def test_head_answers_like_get_without_a_body(client: TestClient, path: str, accept: str) -> None:
    get = client.get(path, headers={"Accept": accept})
    head = client.head(path, headers={"Accept": accept})
    assert get.status_code == 200 and head.status_code == 200
    assert head.content == b""
    for name in ("content-type", "content-length", "etag", "link", "vary"):
        assert head.headers[name] == get.headers[name], name
    assert int(head.headers["content-length"]) == len(get.content)


def test_head_keeps_get_refusals(client: TestClient, auth: Auth) -> None:
    assert client.head("/dataset/no-such-record").status_code == 404
    assert client.head("/" + PUBLIC_DATASET, headers={"Accept": "image/png"}).status_code == 406
    assert (
        client.head("/" + RESTRICTED_DATASET).status_code == client.get("/" + RESTRICTED_DATASET).status_code
    )
    assert client.head(f"/{PUBLIC_DATASET}?revision=1").headers["etag"] == '"1"'
