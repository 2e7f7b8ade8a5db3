"""Requests refused before any operation runs (unreadable body, batches, wrong content type, a mutation
over GET) get a GraphQL error document in JSON with a code and a hint, like every other error: not
Strawberry's plain-text reason."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.auth import Authenticator
from api.graphql import graphql_router
from registry.config import Settings
from registry.wiring import open_registry
from tests.conftest import DEV_AUTH


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    reg = open_registry(Settings(home=tmp_path_factory.mktemp("gql") / "home", auth=DEV_AUTH))
    app = FastAPI()
    app.include_router(graphql_router(lambda: reg, Authenticator(reg.settings)))
    with TestClient(app) as c:
        yield c
    reg.close()


JSON = {"Content-Type": "application/json"}
REFUSED = {
    "not JSON": ("POST", b"{", JSON),
    "empty body": ("POST", b"", JSON),
    "a batch": ("POST", json.dumps([{"query": "{ __typename }"}] * 2).encode(), JSON),
    "query not a string": ("POST", b'{"query": 5}', JSON),
    "variables not an object": ("POST", b'{"query": "{ __typename }", "variables": "x"}', JSON),
    "unknown operation name": ("POST", b'{"query": "{ __typename }", "operationName": "B"}', JSON),
    "text/plain": ("POST", b'{"query": "{ __typename }"}', {"Content-Type": "text/plain"}),
    # json.loads raises RecursionError, no JSONDecodeError: it was a 500 (feasibility criteria as variables)
    "nested too deeply": (
        "POST",
        b'{"query": "{ __typename }", "variables": {"c": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}",
        JSON,
    ),  # fmt: skip
    # Python's JSON reader takes these; the long integer was a 500, NaN reached the resolvers
    "a 5,000-digit variable": (
        "POST",
        b'{"query": "query($n: Int) { search(first: $n) { totalCount } }", "variables": {"n": '
        + b"9" * 5000
        + b"}}",
        JSON,
    ),  # fmt: skip
    "a NaN variable": (
        "POST",
        b'{"query": "query($q: Float) { search(filter: {minQuality: $q}) { totalCount } }", '
        b'"variables": {"q": NaN}}',
        JSON,
    ),
    # An escaped lone surrogate becomes a str that cannot be encoded: tantivy's analyzer raised
    # UnicodeEncodeError (an internal error), and an operation name with one was a 500
    "a lone-surrogate variable": (
        "POST",
        b'{"query": "query($t: String) { search(text: $t) { totalCount } }", "variables": {"t": "\\ud800"}}',
        JSON,
    ),
    "a lone-surrogate operation name": (
        "POST",
        b'{"query": "{ __typename }", "operationName": "\\udfff"}',
        JSON,
    ),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_refused_requests_get_a_json_error_with_a_hint(client: TestClient, case: str) -> None:
    method, body, headers = REFUSED[case]
    r = client.request(method, "/graphql", content=body, headers=headers)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/json"), (case, r.headers, r.text)
    (error,) = r.json()["errors"]
    assert error["message"] and error["extensions"]["code"] == "bad_input"
    assert error["extensions"]["status"] == 400 and error["extensions"]["hint"]


def test_a_lone_surrogate_in_get_variables_is_refused(client: TestClient) -> None:
    query = "query($t: String) { search(text: $t) { totalCount } }"
    r = client.get("/graphql", params={"query": query, "variables": '{"t": "a\\udc00"}'})
    assert r.status_code == 400, r.text
    (error,) = r.json()["errors"]
    assert "lone UTF-16 surrogate" in error["message"] and error["extensions"]["code"] == "bad_input"


def test_a_mutation_over_get_is_refused_in_json(client: TestClient) -> None:
    r = client.get("/graphql", params={"query": 'mutation { publishRecord(iri: "x") { iri } }'})
    assert r.status_code in (400, 405) and r.headers["content-type"].startswith("application/json")
    (error,) = r.json()["errors"]
    assert "GET" in error["message"] and "POST" in error["extensions"]["hint"]


def test_a_plain_query_still_answers(client: TestClient) -> None:
    r = client.post("/graphql", json={"query": "{ __typename }"})
    assert r.status_code == 200 and r.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    "document",
    [
        "{ search { nope } }",  # a field the schema does not have
        "{ search { totalCount }",  # a syntax error
        "{ search { ...Nope } }",  # an unknown fragment
        "{ " + " ".join(f"nope{i}" for i in range(150)) + " }",  # past graphql-core's 100 errors
    ],
    ids=["unknown field", "syntax", "unknown fragment", "validation aborted"],
)
def test_a_document_the_schema_refuses_gets_a_code_and_a_hint(client: TestClient, document: str) -> None:
    # these came back with a message only; a client could not tell them from fairgrid's own errors
    body = client.post("/graphql", json={"query": document}).json()
    assert body["errors"] and body.get("data") is None
    if "aborted" in document or document.count("nope") > 100:
        assert "Validation aborted" in body["errors"][-1]["message"]
    for error in body["errors"]:
        assert error["extensions"]["code"] == "invalid_query", error
        assert error["extensions"]["status"] == 400 and error["extensions"]["hint"]
