"""search: text, filters, facets, disease expansion, paging, visibility."""

from __future__ import annotations

from typing import Any

from registry.identity import Role
from registry.vocab import HEALTH_CATEGORY
from tests.api.graphql.conftest import BASE, BULK, Env, error_codes

SEARCH = """
query($text: String, $filter: SearchFilter, $facets: [Facet!], $first: Int, $after: String, $sort: SearchSort) {
  search(text: $text, filter: $filter, facets: $facets, first: $first, after: $after, sort: $sort) {
    totalCount
    hits { iri kind title snippet score }
    facets { facet buckets { value label count } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
RESEARCHER = (Role.RESEARCHER,)
ICD10 = "http://id.who.int/icd/release/10/2019/"


def search(env: Env, roles: tuple[Role, ...] | None = RESEARCHER, **variables: Any) -> dict[str, Any]:
    body = env.gql(SEARCH, variables, roles=roles)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["search"]
    return result


def iris(result: dict[str, Any]) -> set[str]:
    return {h["iri"] for h in result["hits"]}


def test_text_search_ranks_and_highlights(env: Env) -> None:
    res = search(env, text="sickle cell", filter={"kinds": ["DATASET"]})
    assert iris(res) >= {BASE + "dataset/scd-cohort-paris", BASE + "dataset/scd-registry-leiden"}
    assert BASE + "dataset/mm-registry-leiden" not in iris(res)
    assert all(h["kind"] == "DATASET" and h["score"] > 0 for h in res["hits"])
    assert any("<em>" in h["snippet"] for h in res["hits"])


def test_filters_and_exact_facets(env: Env) -> None:
    facets = ["KIND", "ACCESS_RIGHTS", "HEALTH_CATEGORY", "PUBLISHER"]
    everything = search(env, facets=facets, first=100)
    kinds = {
        b["value"]: b["count"] for f in everything["facets"] if f["facet"] == "KIND" for b in f["buckets"]
    }
    assert kinds["Dataset"] == 7 + BULK
    assert sum(kinds.values()) == everything["totalCount"]

    restricted = "http://publications.europa.eu/resource/authority/access-right/RESTRICTED"
    res = search(env, filter={"kinds": ["DATASET"], "accessRights": [restricted]}, facets=facets)
    assert iris(res) == {
        BASE + f"dataset/{d}" for d in ("mds-registry-hub-a", "scd-cohort-paris", "mm-registry-leiden")
    }
    by_facet = {f["facet"]: f["buckets"] for f in res["facets"]}
    assert by_facet["ACCESS_RIGHTS"] == [
        {"value": restricted, "label": by_facet["ACCESS_RIGHTS"][0]["label"], "count": 3}
    ]
    categories = {b["value"].rsplit("/", 1)[1]: b["count"] for b in by_facet["HEALTH_CATEGORY"]}
    assert categories == {"MRMR": 2, "RQSH": 1}
    labels = {b["value"].rsplit("/", 1)[1]: b["label"] for b in by_facet["HEALTH_CATEGORY"]}
    assert labels["MRMR"] == "Data from medical registries and mortality registries"  # the official label

    # site filter (publisher or hosting site), minimum individuals and date ranges AND together
    res = search(env, filter={"publishers": [BASE + "site/milan"]})
    assert iris(res) == {BASE + "dataset/mds-ngs-milan", BASE + "dataset/mm-outcomes-milan"}
    res = search(env, filter={"kinds": ["DATASET"], "minUniqueIndividuals": 1000})
    assert iris(res) == {
        BASE + f"dataset/{d}" for d in ("mds-registry-hub-a", "scd-cohort-paris", "mm-registry-leiden")
    }
    res = search(env, filter={"issuedFrom": "2023-01-01", "issuedTo": "2023-12-31", "kinds": ["DATASET"]})
    assert iris(res) == {BASE + "dataset/scd-registry-leiden", BASE + "dataset/mm-outcomes-milan"}
    res = search(env, filter={"healthCategories": [HEALTH_CATEGORY + "HGPD"], "keywords": ["genomics"]})
    assert iris(res) == {BASE + "dataset/mds-ngs-milan"}


def test_disease_filter_matches_descendants(env: Env) -> None:
    mds = {
        BASE + f"dataset/{d}"
        for d in ("mds-registry-hub-a", "mds-ngs-milan", "consortium-aggregate-statistics")
    }
    by_code = search(env, filter={"diseases": ["D46"]}, facets=["DISEASE"])
    assert iris(by_code) == mds  # two are annotated with D46.x only, the aggregate with D46 itself
    assert iris(search(env, filter={"diseases": [ICD10 + "D46"]})) == mds
    assert iris(search(env, filter={"diseases": ["D46.2"]})) == mds - {
        BASE + "dataset/consortium-aggregate-statistics"
    }
    values = {b["value"] for f in by_code["facets"] for b in f["buckets"]}
    assert ICD10 + "D46.2" in values


def test_cursor_walk_covers_every_hit_once(env: Env) -> None:
    whole = search(env, first=100, sort="TITLE")
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = search(env, first=7, after=after, sort="TITLE")
        assert page["totalCount"] == whole["totalCount"]
        seen += [h["iri"] for h in page["hits"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == whole["totalCount"]
    assert seen == [h["iri"] for h in whole["hits"]]
    assert pages == -(-whole["totalCount"] // 7)


def test_page_size_and_bad_cursor_are_clear_errors(env: Env) -> None:
    body = env.gql(SEARCH, {"first": 101}, roles=RESEARCHER)
    assert error_codes(body) == ["limit_exceeded"]
    assert "100" in body["errors"][0]["message"]
    body = env.gql(SEARCH, {"after": "not-a-cursor"}, roles=RESEARCHER)
    assert error_codes(body) == ["bad_input"]


def test_anonymous_finds_restricted_and_non_public_datasets(env: Env) -> None:
    """dct:accessRights is about the data: published metadata is found by everyone (consortium-only
    metadata: tests/api/rest/test_visibility.py)."""
    anon = search(env, roles=None, first=100, filter={"kinds": ["DATASET"]})
    signed_in = search(env, first=100, filter={"kinds": ["DATASET"]})
    assert BASE + "dataset/mds-registry-hub-a" in iris(anon)
    assert iris(anon) == iris(signed_in)
    body = env.gql("{ search(first: 100) { hits { record { iri accessRights } } } }")
    assert "errors" not in body, body
    rights = {h["record"]["accessRights"] for h in body["data"]["search"]["hits"]}
    assert "http://publications.europa.eu/resource/authority/access-right/RESTRICTED" in rights


def test_snippets_only_when_selected_also_through_fragments(env: Env) -> None:
    plain = env.gql('{ search(text: "sickle cell") { hits { iri } } }', {}, roles=RESEARCHER)
    assert "errors" not in plain, plain
    fragment = """
    fragment H on Hit { snippet }
    query { search(text: "sickle cell") { hits { iri ...H } } }"""
    body = env.gql(fragment, {}, roles=RESEARCHER)
    assert "errors" not in body, body
    hits = body["data"]["search"]["hits"]
    assert [h["iri"] for h in hits] == [h["iri"] for h in plain["data"]["search"]["hits"]]
    assert any("<em>" in h["snippet"] for h in hits)
