"""Curator mutations: happy paths, SHACL failures, stale revisions; the index follows every write
(in the background: a mutation returns once committed, before the index has the record)."""

from __future__ import annotations

from typing import Any

from registry.identity import Role
from tests.api.graphql.conftest import BASE, Env, error_codes, organization
from tests.indexing import caught_up

CURATOR = (Role.CURATOR,)
REGISTER = """mutation($rdf: String!, $publish: Boolean! = true) {
  registerRecord(rdf: $rdf, publish: $publish) {
    records { iri kind title published revision { number attributedTo } }
  }
}"""
UPDATE = """mutation($iri: String!, $rdf: String!, $base: Int!) {
  updateRecord(iri: $iri, rdf: $rdf, baseRevision: $base) { record { title revision { number } } }
}"""
DEPRECATE = """mutation($iri: String!, $reason: String!) {
  deprecateRecord(iri: $iri, reason: $reason) { record { deprecated deprecationReason revision { number } } }
}"""
PUBLISH = """mutation($iri: String!) {
  publishRecord(iri: $iri) { record { published revision { number } } }
}"""
BAD_DATASET = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<https://w3id.org/fairgrid/dataset/incomplete> a dcat:Dataset ; dct:title "No description, no publisher"@en ."""


def ok(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def found(env: Env, text: str) -> set[str]:
    caught_up(env.reg)  # what the server's outbox drainer does after each write
    res = env.gql("query($t: String!) { search(text: $t) { hits { iri } } }", {"t": text}, roles=CURATOR)
    return {h["iri"] for h in ok(res)["search"]["hits"]}


def test_register_update_deprecate_and_search_follows(env: Env) -> None:
    iri = BASE + "organization/zebra-lab"
    reg = ok(env.gql(REGISTER, {"rdf": organization("zebra-lab", "Zebra lab")}, roles=CURATOR))[
        "registerRecord"
    ]
    assert reg["records"] == [
        {
            "iri": iri,
            "kind": "ORGANIZATION",
            "title": "Zebra lab",
            "published": True,
            "revision": {"number": 1, "attributedTo": "urn:fairgrid:agent:alice"},
        }
    ]
    assert (iri, 1) in env.reg.store.pending(100)  # the mutation did not wait for the index
    assert iri in found(env, "zebra")

    upd = ok(
        env.gql(UPDATE, {"iri": iri, "rdf": organization("zebra-lab", "Okapi lab"), "base": 1}, roles=CURATOR)
    )
    assert upd["updateRecord"]["record"] == {"title": "Okapi lab", "revision": {"number": 2}}
    assert iri in found(env, "okapi") and iri not in found(env, "zebra")

    dep = ok(env.gql(DEPRECATE, {"iri": iri, "reason": "merged into the consortium"}, roles=CURATOR))
    assert dep["deprecateRecord"]["record"] == {
        "deprecated": True,
        "deprecationReason": "merged into the consortium",
        "revision": {"number": 3},
    }
    assert iri not in found(env, "okapi")  # deprecated records leave default search results


def test_draft_then_publish(env: Env) -> None:
    iri = BASE + "organization/draft-lab"
    body = env.gql(REGISTER, {"rdf": organization("draft-lab", "Draft lab"), "publish": False}, roles=CURATOR)
    assert ok(body)["registerRecord"]["records"][0]["published"] is False
    query = "query($iri: String!) { record(iri: $iri) { title } }"
    assert error_codes(env.gql(query, {"iri": iri}, roles=(Role.RESEARCHER,))) == ["not_found"]
    assert iri not in found(env, "draft")
    pub = ok(env.gql(PUBLISH, {"iri": iri}, roles=CURATOR))["publishRecord"]["record"]
    assert pub == {"published": True, "revision": {"number": 2}}
    assert ok(env.gql(query, {"iri": iri}, roles=(Role.RESEARCHER,)))["record"]["title"] == "Draft lab"
    assert iri in found(env, "draft")


def test_shacl_failure_lists_violations_and_stores_nothing(env: Env) -> None:
    before = env.reg.store.count()
    body = env.gql(REGISTER, {"rdf": BAD_DATASET}, roles=CURATOR)
    assert body["data"] is None
    (err,) = body["errors"]
    ext = err["extensions"]
    assert ext["code"] == "shacl_violation" and ext["status"] == 422 and ext["hint"]
    assert ext["violations"], ext
    v = ext["violations"][0]
    assert v["focusNode"] == BASE + "dataset/incomplete" and v["path"] and v["constraint"] and v["message"]
    assert "http://purl.org/dc/terms/description" in {x["path"] for x in ext["violations"]}
    assert env.reg.store.count() == before
    assert env.reg.store.head(BASE + "dataset/incomplete") is None


def test_write_errors_have_codes(env: Env) -> None:
    iri = BASE + "organization/consortium"
    stale = env.gql(
        UPDATE, {"iri": iri, "rdf": organization("consortium", "Renamed"), "base": 7}, roles=CURATOR
    )
    assert error_codes(stale) == ["stale_revision"] and stale["errors"][0]["extensions"]["status"] == 409
    assert env.reg.store.head(iri).number == 1  # type: ignore[union-attr]

    syntax = env.gql(REGISTER, {"rdf": "<a> <b> ."}, roles=CURATOR)
    assert error_codes(syntax) == ["rdf_syntax"]
    again = env.gql(REGISTER, {"rdf": organization("consortium", "Another name")}, roles=CURATOR)
    assert error_codes(again) == ["already_exists"]
    missing = env.gql(DEPRECATE, {"iri": BASE + "organization/none", "reason": "x"}, roles=CURATOR)
    assert error_codes(missing) == ["not_found"]
    no_reason = env.gql(DEPRECATE, {"iri": iri, "reason": " "}, roles=CURATOR)
    assert error_codes(no_reason) == ["bad_input"]
    wrong = env.gql(UPDATE, {"iri": iri, "rdf": organization("other"), "base": 1}, roles=CURATOR)
    assert error_codes(wrong) == ["bad_input"]
