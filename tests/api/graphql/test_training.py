"""GraphQL startTrainingJob: refusals are coded (no role, no governance approval, an app that is not the
approved one) and change nothing; trainingJob carries the run's fields (null before a run)."""

from __future__ import annotations

from pathlib import Path

from federation.jobs.record import job_view
from federation.jobs.service import custodian_approval
from federation.site.keys import site_key
from registry.identity import Role, local_operator
from tests.api.graphql.conftest import Env, error_codes
from tests.api.graphql.test_jobs import APPROVE, JOB, SUBMIT, add_site, post

START = "mutation($iri: String!, $n: Int) { startTrainingJob(iri: $iri, minSites: $n) { state runId } }"
RUN_FIELDS = "state runId round rounds runSites leftOut metrics siteMetrics history modelIri runError"
SHOW = f"query($iri: String!) {{ trainingJob(iri: $iri) {{ {RUN_FIELDS} }} }}"


def test_start_refusals_are_coded_and_change_nothing(env: Env, tmp_path: Path) -> None:
    add_site(env, tmp_path / "site-a")
    member = (Role.CONSORTIUM_MEMBER,)
    iri = post(env, SUBMIT, {"job": JOB}, member, "alice")["data"]["submitTrainingJob"]["iri"]
    assert error_codes(post(env, START, {"iri": iri}, (Role.RESEARCHER,), "rita")) == ["forbidden"]
    assert error_codes(post(env, START, {"iri": iri}, member, "board")) == ["not_dispatchable"]
    post(env, APPROVE, {"iri": iri}, member, "board")
    view = job_view(
        env.reg.records.get(local_operator(), iri), {"https://w3id.org/fairgrid/site/site-a": "site-a"}
    )
    doc = custodian_approval(site_key(tmp_path / "site-a"), view, "site-a", "custodian")
    post(env, APPROVE, {"iri": iri, "doc": doc}, (Role.SITE_OPERATOR,), "op-a", site="site-a")
    before = env.reg.store.dump()
    for bad in ({"iri": "a b"}, {"iri": "https://w3id.org/fairgrid/job/none"}, {"iri": iri, "n": -1},
                {"iri": iri, "n": 2}):  # fmt: skip
        codes = error_codes(post(env, START, bad, member, "board"))
        assert codes and codes[0] in ("invalid_iri", "not_found", "bad_input"), (bad, codes)
    # approved by all, but the hub's app (federation/training/app) is not the FAB this job approved
    body = post(env, START, {"iri": iri}, member, "board")
    assert error_codes(body) == ["not_dispatchable"] and "FAB hash" in body["errors"][0]["message"], body
    assert env.reg.store.dump() == before
    shown = post(env, SHOW, {"iri": iri}, member, "carol")["data"]["trainingJob"]
    assert shown["state"] == "approved" and shown["runId"] is None and shown["modelIri"] is None
