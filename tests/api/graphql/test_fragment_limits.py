"""Depth and alias limits measure each fragment once. Strawberry's QueryDepthLimiter and
MaxAliasesLimiter (and `info.selected_fields` in the search resolver) walked a fragment again at every
spread, on the event loop: an anonymous document of
~300 tokens, 25 fragments each spreading the next twice, froze the whole server for minutes (the
readiness check included). The limits still count what the document expands to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.auth import Authenticator
from api.graphql import Limits, graphql_router
from registry.config import Settings
from registry.wiring import open_registry
from tests.conftest import DEV_AUTH


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    reg = open_registry(Settings(home=tmp_path_factory.mktemp("gql") / "home", auth=DEV_AUTH))
    app = FastAPI()
    app.include_router(graphql_router(lambda: reg, Authenticator(reg.settings), Limits()))
    with TestClient(app) as c:
        yield c
    reg.close()


def doubling(n: int, field: str = "totalCount") -> str:
    """`n` fragments, each spreading the next twice: 2**n spreads once expanded."""
    frags = [f"fragment F{i} on SearchConnection {{ {field} ...F{i + 1} ...F{i + 1} }}" for i in range(n)]
    return "{ search { ...F0 } } " + " ".join([*frags, f"fragment F{n} on SearchConnection {{ totalCount }}"])


@pytest.mark.timeout(120)  # a hang guard: before the fix this document never finished validating
def test_a_fragment_bomb_is_measured_at_once(client: TestClient) -> None:
    r = client.post("/graphql", json={"query": doubling(40)})
    assert r.status_code == 200 and r.json() == {"data": {"search": {"totalCount": 0}}}


@pytest.mark.timeout(120)
def test_aliases_count_every_expansion(client: TestClient) -> None:
    r = client.post("/graphql", json={"query": doubling(40, "n: totalCount")})
    (error,) = r.json()["errors"]
    assert error["message"] == f"{2**40 - 1} aliases found. Allowed: 15"
    assert error["extensions"]["code"] == "limit_exceeded"


def test_depth_counts_through_fragments(client: TestClient) -> None:
    # G0 is 2 deep and each G{i} adds 2: concept { ...G5 } is 13 deep, concept { ...G2 } 7
    frags = ["fragment G0 on Concept { narrower { narrower { label } } }"] + [
        f"fragment G{i} on Concept {{ narrower {{ narrower {{ ...G{i - 1} }} }} }}" for i in range(1, 6)
    ]
    deep = '{ concept(iri: "D46") { ...G5 } } ' + " ".join(frags)
    body = client.post("/graphql", json={"query": deep}).json()
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "limit_exceeded"
    assert "exceeds maximum operation depth of 10" in body["errors"][0]["message"]
    ok = '{ concept(iri: "D46") { ...G2 } } ' + " ".join(frags[:3])
    body = client.post("/graphql", json={"query": ok}).json()
    assert all("depth" not in e["message"] for e in body.get("errors") or [])


def test_an_unknown_fragment_is_a_validation_error(client: TestClient) -> None:
    body = client.post("/graphql", json={"query": "{ search { ...Nope } }"}).json()
    assert body["data"] is None and "Unknown fragment 'Nope'" in body["errors"][0]["message"]
