"""Terminology codes in every form through GraphQL: concept(), its descendants, and the disease filter."""

from __future__ import annotations

import pytest

from tests.api.graphql.conftest import Env, error_codes

ORPHA_232 = "http://www.orpha.net/ORDO/Orphanet_232"
ICD10 = "http://id.who.int/icd/release/10/2019/"
QUERY = """query($c: String!) {
  concept(iri: $c) { iri descendants { notation } }
  search(filter: {diseases: [$c]}) { totalCount }
}"""


@pytest.mark.parametrize("form", ["ORPHA:232", "orpha:232", ORPHA_232])
def test_orpha_232_in_every_form(env: Env, form: str) -> None:
    body = env.gql(QUERY, {"c": form})
    assert "errors" not in body, body
    assert body["data"]["concept"] == {"iri": ORPHA_232, "descendants": []}


def test_d46_by_code_and_by_iri_filter_alike(env: Env) -> None:
    by_code = env.gql(QUERY, {"c": "D46"})["data"]
    by_iri = env.gql(QUERY, {"c": ICD10 + "D46"})["data"]
    assert by_code == by_iri and by_code["search"]["totalCount"] > 0


def test_an_unknown_code_in_the_filter_is_bad_input_naming_it(env: Env) -> None:
    body = env.gql('{ search(filter: {diseases: ["ORPHA:999999"]}) { totalCount } }')
    assert error_codes(body) == ["bad_input"] and "'ORPHA:999999'" in body["errors"][0]["message"]
