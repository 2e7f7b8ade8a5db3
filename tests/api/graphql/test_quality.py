"""The metadata-quality score in GraphQL: on every record, as a search filter and as a sort."""

from __future__ import annotations

from typing import Any

from registry.identity import Role
from tests.api.graphql.conftest import BASE, Env

QUALITY = """
query($iri: String!) { record(iri: $iri) { quality {
  total maxAssessed max rating dimensions { name points maxAssessed max } checks { name points assessed }
} } }
"""
SEARCH = """
query($filter: SearchFilter, $sort: SearchSort) {
  search(filter: $filter, sort: $sort, first: 100) { totalCount hits { iri } }
}
"""
RESEARCHER = (Role.RESEARCHER,)


def quality(env: Env, iri: str) -> dict[str, Any]:
    body = env.gql(QUALITY, {"iri": iri}, roles=RESEARCHER)
    assert "errors" not in body, body
    q: dict[str, Any] = body["data"]["record"]["quality"]
    return q


def test_every_record_shows_its_five_dimensions_and_what_was_not_assessed(env: Env) -> None:
    q = quality(env, BASE + "dataset/scd-cohort-paris")
    assert [d["name"] for d in q["dimensions"]] == [
        "findability", "accessibility", "interoperability", "reusability", "contextuality",
    ]  # fmt: skip
    assert q["max"] == 405 and q["maxAssessed"] == 325  # 80 points need the network
    assert q["total"] == sum(d["points"] for d in q["dimensions"]) > 0
    assert {c["name"] for c in q["checks"] if not c["assessed"]} == {
        "dcat:accessURL reachable", "dcat:downloadURL reachable",
    }  # fmt: skip
    assert q["rating"] in {"excellent", "good", "sufficient", "bad"}


def test_search_filters_and_sorts_by_quality(env: Env) -> None:
    body = env.gql(SEARCH, {"filter": {"kinds": ["DATASET"]}, "sort": "QUALITY_DESC"}, roles=RESEARCHER)
    assert "errors" not in body, body
    ranked = [h["iri"] for h in body["data"]["search"]["hits"]]
    totals = [quality(env, iri)["total"] for iri in ranked]
    assert len(set(totals)) > 1, "the example catalogue should have datasets of different quality"
    assert totals == sorted(totals, reverse=True)
    cut = totals[len(totals) // 2]
    body = env.gql(SEARCH, {"filter": {"kinds": ["DATASET"], "minQuality": cut}}, roles=RESEARCHER)
    kept = {h["iri"] for h in body["data"]["search"]["hits"]}
    assert kept == {iri for iri, t in zip(ranked, totals, strict=True) if t >= cut}


def test_a_quality_literal_beyond_a_double_is_refused(env: Env) -> None:
    # graphql-core reads the literal 1e999 as infinity; the search then matched no record, silently
    body = env.gql("{ search(filter: {minQuality: 1e999}) { totalCount } }", roles=RESEARCHER)
    (error,) = body["errors"]
    assert "minQuality inf is not a finite number" in error["message"]
    assert error["extensions"]["code"] == "bad_input"


def test_each_revision_shows_its_own_score(env: Env) -> None:
    query = "query($iri: String!) { record(iri: $iri) { quality { total } revisions { number quality { total } } } }"
    body = env.gql(query, {"iri": BASE + "dataset/scd-cohort-paris"}, roles=RESEARCHER)
    assert "errors" not in body, body
    rec = body["data"]["record"]
    assert rec["revisions"] and all(r["quality"] is not None for r in rec["revisions"])
    assert rec["revisions"][-1]["quality"] == rec["quality"]
