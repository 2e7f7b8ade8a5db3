"""Whole search answers, byte for byte, against answers recorded before the search path was made cheaper
(api/graphql/executor.py and the resolver): bench-like searches (text, two filters, four facets) and
documents with every field, aliases, fragments, directives and a second page, for each kind of caller.

Record them again only when an answer is meant to change: FAIRGRID_RECORD_ANSWERS=1 pytest this file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from registry.identity import Role, local_operator
from tests.api.graphql.conftest import BASE, BULK_DATASET, BULK_SHARED, PREFIXES, Env

ANSWERS = Path(__file__).with_name("search_answers.json")

ICD10 = "http://id.who.int/icd/release/10/2019/"
ACCESS = "http://publications.europa.eu/resource/authority/access-right/"
THEME = "http://publications.europa.eu/resource/authority/data-theme/"

# bench/search.py's document
BENCH = """query($text: String, $filter: SearchFilter) {
  search(text: $text, filter: $filter, facets: [THEME, ACCESS_RIGHTS, DISEASE, KEYWORD], first: 10) {
    totalCount hits { iri title } facets { facet buckets { value count } } } }"""

FULL = """
query($text: String, $filter: SearchFilter, $facets: [Facet!], $first: Int, $after: String, $sort: SearchSort) {
  search(text: $text, filter: $filter, facets: $facets, first: $first, after: $after, sort: $sort) {
    __typename
    totalCount
    hits { __typename iri kind title snippet score }
    facets { facet buckets { value label count } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

# aliases, fragments, a field asked twice, @include/@skip and the record behind each hit
SHAPES = """
fragment B on FacetBucket { value n: count }
fragment H on Hit { iri ... on Hit { t: title kind } }
query($text: String, $yes: Boolean!, $no: Boolean!) {
  a: search(text: $text, facets: [KIND, PUBLISHER, LICENSE, CODING_SYSTEM, HEALTH_CATEGORY], first: 3) {
    totalCount total: totalCount
    hits { ...H iri score @include(if: $yes) snippet @skip(if: $yes) record { iri kind } }
    facets { facet buckets { ...B label @include(if: $no) } }
    pageInfo { endCursor }
  }
  b: search(filter: {kinds: [DATASET, DISTRIBUTION], includeDeprecated: true}, sort: TITLE, first: 4) {
    totalCount hits { title kind } pageInfo { hasNextPage }
  }
}
"""

BENCH_VARS: list[dict[str, Any]] = [
    {"text": "sickle cell", "filter": {"accessRights": [ACCESS + "RESTRICTED"], "themes": [THEME + "HEAL"]}},
    {"text": "registry", "filter": {"diseases": [ICD10 + "D46"], "publishers": [BASE + "site/milan"]}},
    {"text": "myeloma", "filter": {"themes": [THEME + "HEAL"], "diseases": [ICD10 + "C90.0"]}},
    {"text": "bulk", "filter": {"publishers": [BASE + "site/paris"], "accessRights": [ACCESS + "PUBLIC"]}},
    {"text": "transfusion", "filter": {"diseases": [ICD10 + "D57"], "accessRights": [ACCESS + "NON_PUBLIC"]}},
]

FULL_VARS: list[dict[str, Any]] = [
    {"text": "sickle cell disease", "facets": ["KIND", "THEME", "ACCESS_RIGHTS", "DISEASE", "KEYWORD"]},
    {"filter": {"kinds": ["DATASET"]}, "facets": ["PUBLISHER", "HEALTH_CATEGORY"], "first": 5},
    {"filter": {"kinds": ["DATASET"]}, "first": 5, "after": "placeholder: the cursor of the page above"},
    {"text": "counts", "sort": "MODIFIED_DESC", "facets": ["LICENSE"], "first": 7},
    {"text": "no such words anywhere", "facets": ["KIND"]},
    {"filter": {"minUniqueIndividuals": 1000, "issuedFrom": "2020-01-01"}, "sort": "QUALITY_DESC"},
]

CALLERS: dict[str, tuple[Role, ...] | None] = {
    "anonymous": None,
    "researcher": (Role.RESEARCHER,),
    "consortium": (Role.CONSORTIUM_MEMBER,),
}


def add_hidden_and_deprecated(env: Env, tmp_path: Path) -> None:
    """A consortium-only dataset (found by consortium members only) and a deprecated one."""
    hidden = BULK_DATASET.format(i=90).replace(
        "fg:hostedAt <site/paris> ;",
        "fg:hostedAt <site/paris> ; fg:metadataVisibility fg:ConsortiumMetadata ;",
    )
    ttl = tmp_path / "more.ttl"
    ttl.write_text(PREFIXES + BULK_SHARED + hidden + BULK_DATASET.format(i=91))
    summary = env.reg.importer.run(local_operator(), [ttl])
    assert summary.rejected == 0, [(r.where, r.error) for r in summary.rejections]
    env.reg.records.deprecate(local_operator(), BASE + "dataset/bulk-91", "replaced by bulk-90")
    assert env.reg.search.sync().pending == 0


def answers(env: Env) -> dict[str, str]:
    """Every case's HTTP body, as the server wrote it."""
    out: dict[str, str] = {}

    def ask(name: str, query: str, variables: dict[str, Any], roles: tuple[Role, ...] | None) -> str:
        headers = {} if roles is None else {"Authorization": f"Bearer {env.token(*roles)}"}
        resp = env.client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        assert resp.status_code == 200, resp.text
        out[name] = resp.text
        return resp.text

    for who, roles in CALLERS.items():
        for i, v in enumerate(BENCH_VARS):
            ask(f"{who} bench {i}", BENCH, v, roles)
        cursor = None
        for i, v in enumerate(FULL_VARS):
            if "after" in v:
                v = {**v, "after": cursor}
            body = json.loads(ask(f"{who} full {i}", FULL, v, roles))
            cursor = body["data"]["search"]["pageInfo"]["endCursor"]
        ask(f"{who} shapes", SHAPES, {"text": "registry", "yes": True, "no": False}, roles)
    return out


def test_search_answers_are_the_recorded_ones(env: Env, tmp_path: Path) -> None:
    add_hidden_and_deprecated(env, tmp_path)
    got = answers(env)
    assert all('"errors"' not in body for body in got.values()), got
    if os.environ.get("FAIRGRID_RECORD_ANSWERS") == "1":
        ANSWERS.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        pytest.skip(f"answers recorded in {ANSWERS.name}")
    want = json.loads(ANSWERS.read_text(encoding="utf-8"))
    assert got.keys() == want.keys()
    for name, body in want.items():
        assert json.loads(got[name]) == json.loads(body), name  # a readable difference first
        assert got[name] == body, name  # then the bytes: key order, number formatting
