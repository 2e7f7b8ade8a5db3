"""Validation warnings on GraphQL: `Revision.warnings` (kept with each revision, shown nowhere before)."""

from __future__ import annotations

from registry.identity import Role
from tests.api.graphql.conftest import Env
from tests.registry.services.test_records import dataset

REGISTER = """mutation($rdf: String!) {
  registerRecord(rdf: $rdf) { records { iri revision { warnings { path severity constraint message } } } }
}"""
READ = """query($iri: String!) {
  record(iri: $iri) { revision { number warnings { focusNode path } } revisions { number warnings { path } } }
}"""


def test_revisions_carry_their_validation_warnings(env: Env) -> None:
    body = env.gql(REGISTER, {"rdf": dataset(name="gql-warned")}, roles=(Role.CURATOR,))
    assert "errors" not in body, body
    (ds,) = [r for r in body["data"]["registerRecord"]["records"] if r["iri"].endswith("/gql-warned")]
    warnings = ds["revision"]["warnings"]
    assert "http://www.w3.org/ns/dcat#keyword" in {w["path"] for w in warnings}
    assert all(w["severity"] == "http://www.w3.org/ns/shacl#Warning" and w["message"] for w in warnings)

    read = env.gql(READ, {"iri": ds["iri"]}, roles=(Role.RESEARCHER,))
    rec = read["data"]["record"]
    assert len(rec["revision"]["warnings"]) == len(warnings)
    assert {w["focusNode"] for w in rec["revision"]["warnings"]} == {ds["iri"]}
    assert rec["revisions"][0]["warnings"] == [{"path": w["path"]} for w in warnings]
