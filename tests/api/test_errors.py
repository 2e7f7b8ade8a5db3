"""Error messages quote what they refuse, but never a value thousands of characters long: a 5,000-character
IRI came back twice in its 404 (detail and message), a 5,000-character Accept header in its 406. Normal
values, IRIs included, are still quoted whole."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.errors import short_words
from registry.identity import Role
from tests.api.rest.conftest import PUBLIC_DATASET, Auth

LONG = "Q" * 5000
SHOWN = re.compile(r"\.\.\. \(5,0\d\d characters\)")  # the value, with whatever quotes or prefix it had


def test_short_words_cuts_only_very_long_words() -> None:
    iri = "https://w3id.org/fairgrid/distribution/" + "a" * 150  # 189 characters: still a readable IRI
    assert short_words(f"no record {iri}") == f"no record {iri}"
    cut = short_words(f"no record https://x/{LONG} (see /catalog)")
    assert cut == f"no record https://x/{'Q' * 50}... (5,010 characters) (see /catalog)"


@pytest.mark.parametrize(
    ("method", "url", "headers", "status"),
    [
        ("GET", f"/records/dataset/{LONG}", {}, 404),
        ("GET", f"/dataset/{LONG}", {"Accept": "text/turtle"}, 404),
        ("GET", f"/{PUBLIC_DATASET}?format={LONG}", {}, 400),
        ("GET", f"/catalog?kind={LONG}", {}, 400),
        ("GET", f"/{PUBLIC_DATASET}", {"Accept": LONG}, 406),
        ("PUT", f"/records/{PUBLIC_DATASET}", {"If-Match": LONG}, 400),
    ],
)
def test_a_long_refused_value_is_not_echoed_whole(
    client: TestClient, auth: Auth, method: str, url: str, headers: dict[str, str], status: int
) -> None:
    r = client.request(method, url, headers={**auth(Role.CURATOR), **headers}, content=b"")
    assert r.status_code == status, r.text[:300]
    assert len(r.content) < 2000 and SHOWN.search(r.json()["detail"]), r.text[:300]
    assert r.json().get("message", r.json()["detail"]) == r.json()["detail"]


def test_a_short_refused_value_is_quoted_whole(client: TestClient) -> None:
    r = client.get("/records/dataset/no-such-dataset")
    assert r.status_code == 404
    assert "https://w3id.org/fairgrid/dataset/no-such-dataset" in r.json()["detail"]


def test_graphql_errors_of_fairgrid_quote_long_values_by_their_start(client: TestClient) -> None:
    query = "query($iri: String!) { record(iri: $iri) { iri } }"
    r = client.post(
        "/graphql", json={"query": query, "variables": {"iri": f"https://w3id.org/fairgrid/{LONG}"}}
    )
    errors = r.json()["errors"]
    assert errors and all(len(e["message"]) < 300 for e in errors), errors
    assert SHOWN.search(errors[0]["message"]), errors
