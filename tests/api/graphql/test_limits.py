"""Abusive queries get a clear error (code limit_exceeded or timeout), never a hang."""

from __future__ import annotations

import pytest
from graphql import get_introspection_query

from api.graphql import Limits
from registry.identity import Role, local_operator
from tests.api.graphql.conftest import BASE, HOLD_S, Env, error_codes


def test_depth_limit(env: Env) -> None:
    nested = "label"
    for _ in range(12):
        nested = f"notation narrower {{ {nested} }}"
    body = env.gql(f'{{ concept(iri: "II") {{ {nested} }} }}')
    assert set(error_codes(body)) == {"limit_exceeded"}  # one error per field beyond the limit
    assert "depth" in body["errors"][0]["message"] and body.get("data") is None


def test_alias_limit(env: Env) -> None:
    fields = " ".join(f'c{i}: concept(iri: "D46") {{ label }}' for i in range(16))
    body = env.gql(f"{{ {fields} }}")
    assert error_codes(body) == ["limit_exceeded"]
    assert "aliases" in body["errors"][0]["message"]
    fine = " ".join(f'c{i}: concept(iri: "D46") {{ label }}' for i in range(15))
    assert "errors" not in env.gql(f"{{ {fine} }}")


def test_token_limit(env: Env) -> None:
    body = env.gql("{ search { hits { " + "iri " * 2500 + "} } }")
    assert error_codes(body) == ["limit_exceeded"]
    assert "tokens" in body["errors"][0]["message"]


def test_page_size_limit(env: Env) -> None:
    body = env.gql('{ concepts(text: "a", first: 500) { iri } }')
    assert error_codes(body) == ["limit_exceeded"]
    assert body["errors"][0]["extensions"]["status"] == 400


def test_a_number_literal_of_thousands_of_digits_gets_a_plain_message(env: Env) -> None:
    # graphql-core passed on Python's own words (call sys.set_int_max_str_digits) and the whole literal
    body = env.gql("{ search(first: %s) { totalCount } }" % ("9" * 5000))
    (error,) = body["errors"]
    assert error["message"].startswith("a number literal has more than 4,300 digits")
    assert "sys." not in error["message"] and len(error["message"]) < 200
    assert error["extensions"]["code"] == "invalid_query"


@pytest.mark.parametrize("literal", ["9" * 4000, '"%s"' % ("x" * 4000), "1." + "5" * 4000])
def test_a_refused_literal_is_not_quoted_whole(env: Env, literal: str) -> None:
    # graphql-core quoted it in full: an Int of 4,000 digits came back as a 4,000-character message
    (error,) = env.gql(f"{{ search(first: {literal}) {{ totalCount }} }}")["errors"]
    assert len(error["message"]) < 300 and "characters)" in error["message"], error["message"]
    assert error["extensions"]["code"] == "invalid_query"


def test_variables_hold_at_most_ten_thousand_list_items(env: Env) -> None:
    # graphql-core coerced each of 1,000,000 keywords (11 MB) before any resolver: 2.9 s of CPU, anonymous
    query = "query($k: [String!]) { search(filter: {keywords: $k}) { totalCount } }"
    body = env.gql(query, {"k": [f"k{i}" for i in range(10_001)]})
    assert error_codes(body) == ["limit_exceeded"] and "10,000 items" in body["errors"][0]["message"]
    assert "errors" not in env.gql(query, {"k": [f"k{i}" for i in range(10_000)]})


def test_timeout_cancels_the_operation(env: Env) -> None:
    """The answer comes at the operation's deadline, while the store call is still held: without the
    deadline it would come only once the store answered (after HOLD_S, with data and no error)."""
    with env.make_client(Limits(timeout_s=0.3)) as slow:
        with env.store.hold() as answered:
            body = env.gql(
                "query($iri: String!) { record(iri: $iri) { title } }",
                {"iri": BASE + "catalog/consortium"},
                roles=(Role.RESEARCHER,),
                client=slow,
            )
            store_answered_first = answered.is_set()
        assert answered.wait(HOLD_S)  # the abandoned store call ends before the store closes
    assert error_codes(body) == ["timeout"]
    assert "0.3 s" in body["errors"][0]["message"] and body["errors"][0]["extensions"]["hint"]
    assert not store_answered_first


def test_graphiql_and_introspection_fit_the_limits(env: Env) -> None:
    page = env.client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    body = env.gql(get_introspection_query(descriptions=True))
    assert "errors" not in body, body.get("errors")
    names = {t["name"] for t in body["data"]["__schema"]["types"]}
    assert {"Record", "Dataset", "Site", "SearchConnection", "SearchFilter"} <= names


def test_search_deadline_cancels_the_operation(env: Env) -> None:
    """An embedded search runs where the deadline can stop the operation (a worker thread), not on the
    event loop, where nothing could interrupt it and every other request would wait behind it."""
    env.reg.records.deprecate(local_operator(), BASE + "dataset/bulk-0", "a commit: terminologies re-checked")
    with env.make_client(Limits(timeout_s=0.3)) as slow:
        with env.store.hold() as answered:  # the terminology check in the disease filter's expansion
            body = env.gql('{ search(filter: {diseases: ["D46"]}) { totalCount } }', client=slow)
        assert answered.wait(HOLD_S)  # the abandoned store call ends before the store closes
    assert error_codes(body) == ["timeout"], body
    assert body.get("data") is None
