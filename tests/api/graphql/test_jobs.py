"""GraphQL training jobs: submitTrainingJob, approveTrainingJob (governance, custodian), revokeApproval,
rejectTrainingJob, trainingJob(iri); refusals are coded errors and change nothing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from api.auth import dev_token
from federation.jobs.record import job_view
from federation.jobs.service import custodian_approval, custodian_revocation
from federation.signing import public_text
from federation.site.keys import site_key
from registry.identity import Role, local_operator
from tests.api.graphql.conftest import Env, error_codes

FAB = hashlib.sha256(b"app").hexdigest()
JOB_FIELDS = "iri state fabHash sites runConfig approvals revocations"
SUBMIT = f"mutation($job: TrainingJobInput!) {{ submitTrainingJob(job: $job) {{ {JOB_FIELDS} }} }}"
APPROVE = f"mutation($iri: String!, $doc: JSON) {{ approveTrainingJob(iri: $iri, custodianApproval: $doc) {{ {JOB_FIELDS} }} }}"  # noqa: E501
REJECT = "mutation($iri: String!, $note: String!) { rejectTrainingJob(iri: $iri, note: $note) { state } }"
REVOKE = f"mutation($iri: String!, $id: String!, $doc: JSON) {{ revokeApproval(iri: $iri, approvalId: $id, revocation: $doc) {{ {JOB_FIELDS} }} }}"  # noqa: E501
SHOW = f"query($iri: String!) {{ trainingJob(iri: $iri) {{ {JOB_FIELDS} title purpose expires }} }}"
JOB: dict[str, Any] = {
    "title": "MM relapse", "model": "https://w3id.org/fairgrid/model/mds-aml-progression", "fabHash": FAB,
    "cohortCriteria": {"inclusion": [[{"type": "diagnosis", "system": "icd10", "code": "C90.0"}]]},
    "sites": ["site-a"], "rounds": 2, "strategy": "FedProx", "purpose": "relapse within 18 months",
    "expires": "2099-01-01T00:00:00+00:00", "privacy": "local", "epsilon": 4.0,
}  # fmt: skip


def post(env: Env, query: str, variables: dict[str, Any], roles: tuple[Role, ...], subject: str,
         site: str | None = None) -> dict[str, Any]:  # fmt: skip
    token = dev_token(env.settings.home, subject, list(roles), site=site)
    resp = env.client.post("/graphql", json={"query": query, "variables": variables},
                           headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def add_site(env: Env, home: Path) -> None:
    ttl = (
        "@prefix fg: <https://w3id.org/fairgrid/ns#> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .\n"
        '<https://w3id.org/fairgrid/site/site-a> a fg:Site, foaf:Organization ; foaf:name "A" ;\n'
        f'  fg:siteId "site-a" ; fg:signingKey "{public_text(site_key(home))}" .\n'
    )
    env.reg.records.create(local_operator(), ttl, ox.RdfFormat.TURTLE)


def test_training_job_lifecycle(env: Env, tmp_path: Path) -> None:
    add_site(env, tmp_path / "site-a")
    member = (Role.CONSORTIUM_MEMBER,)
    body = post(env, SUBMIT, {"job": JOB}, member, "alice")
    assert not body.get("errors"), body
    job = body["data"]["submitTrainingJob"]
    assert job["state"] == "submitted" and job["runConfig"]["strategy"] == "FedProx"
    iri = job["iri"]

    assert error_codes(post(env, APPROVE, {"iri": iri}, member, "alice")) == ["forbidden"]
    body = post(env, APPROVE, {"iri": iri}, member, "board")
    assert body["data"]["approveTrainingJob"]["state"] == "approved", body

    view = job_view(
        env.reg.records.get(local_operator(), iri), {"https://w3id.org/fairgrid/site/site-a": "site-a"}
    )
    key = site_key(tmp_path / "site-a")
    doc = custodian_approval(key, view, "site-a", "custodian")
    op = (Role.SITE_OPERATOR,)
    assert error_codes(post(env, APPROVE, {"iri": iri, "doc": doc}, op, "op-b", site="site-b")) == [
        "forbidden"
    ]
    body = post(env, APPROVE, {"iri": iri, "doc": doc}, op, "op-a", site="site-a")
    assert len(body["data"]["approveTrainingJob"]["approvals"]) == 2, body

    approval_id = doc["body"]["approval_id"]
    revocation = custodian_revocation(key, approval_id, "withdrawn")
    body = post(env, REVOKE, {"iri": iri, "id": approval_id, "doc": revocation}, op, "op-a", site="site-a")
    assert len(body["data"]["revokeApproval"]["revocations"]) == 1, body

    shown = post(env, SHOW, {"iri": iri}, member, "carol")["data"]["trainingJob"]
    assert shown["fabHash"] == FAB and shown["sites"] == ["site-a"] and shown["title"] == "MM relapse"
    assert error_codes(env.gql(SHOW, {"iri": iri})) == ["unauthenticated"]  # anonymous: consortium-only

    body = post(env, REJECT, {"iri": iri, "note": "superseded"}, member, "board")
    assert body["data"]["rejectTrainingJob"]["state"] == "rejected", body


def test_refused_submissions_are_coded_and_store_nothing(env: Env, tmp_path: Path) -> None:
    add_site(env, tmp_path / "site-a")
    before = env.reg.store.dump()
    bads: list[dict[str, Any]] = [
        {"fabHash": "xyz"}, {"strategy": "Magic"}, {"sites": ["nowhere"]}, {"cohortCriteria": {}},
        {"model": "https://w3id.org/fairgrid/organization/consortium"},
    ]  # fmt: skip
    for bad in bads:
        body = post(env, SUBMIT, {"job": {**JOB, **bad}}, (Role.CONSORTIUM_MEMBER,), "alice")
        codes = error_codes(body)
        assert codes and "internal_error" not in codes, (bad, body)
    assert error_codes(post(env, SUBMIT, {"job": JOB}, (Role.RESEARCHER,), "rita")) == ["forbidden"]
    # GraphQL reads the literal 1e999 as infinity: it was stored, and the job read back as `Infinity`
    for hyper in ("{lr: 1e999}", "{schedule: [0.1, {floor: -1e999}]}"):
        fields = ", ".join(f"{k}: {json.dumps(v)}" for k, v in JOB.items() if k != "cohortCriteria")
        query = f"mutation($c: JSON!) {{ submitTrainingJob(job: {{{fields}, cohortCriteria: $c, hyperparameters: {hyper}}}) {{ iri }} }}"  # noqa: E501
        body = post(env, query, {"c": JOB["cohortCriteria"]}, (Role.CONSORTIUM_MEMBER,), "alice")
        assert error_codes(body) == ["bad_input"] and "not a JSON number" in body["errors"][0]["message"]
    assert env.reg.store.dump() == before
