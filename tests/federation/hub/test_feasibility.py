"""Feasibility end to end: a real hub process, three real site agents, real WebSockets and DuckDB stores."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import threading
import time
from typing import Any

import httpx
import pytest

from federation.criteria import parse_criteria
from federation.site import evaluate
from federation.site.disclosure import Ledger
from federation.site.home import open_site
from federation.site.policy import Policy
from federation.site.store import SiteStore
from federation.site.terminology import Terminology
from tests.federation.hub.conftest import SITES, Federation

MDS_QUERY: dict[str, Any] = {
    "inclusion": [
        [{"type": "diagnosis", "system": "icd10", "code": "D46"}],
        [{"type": "age", "min": 60, "at": "diagnosis"}],
        [{"type": "lab", "loinc": "718-7", "max": 10, "unit": "g/dL"}],
    ]
}
# Several real processes on a shared 2-core machine: the module's setup alone can take minutes when loaded.
pytestmark = pytest.mark.timeout(900)
ANY_DISEASE: dict[str, Any] = {
    "inclusion": [[{"type": "diagnosis", "system": "icd10", "code": c} for c in ("D46", "D57", "C90")]]
}


def ask(fed: Federation, body: dict[str, Any], token: str | None = None) -> httpx.Response:
    token = token or fed.token("researcher")
    return httpx.post(
        f"{fed.url}/feasibility", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60
    )


def true_count(fed: Federation, site: str, criteria: dict[str, Any]) -> int:
    home = fed.site_home(site)
    with SiteStore(home / "store.duckdb", terminology=Terminology.load(), read_only=True) as store:
        return evaluate.count(store, parse_criteria(criteria))


def test_the_documented_question_across_three_sites(federation: Federation) -> None:
    r = ask(federation, {"criteria": MDS_QUERY})
    assert r.status_code == 200, r.text
    body = r.json()
    by_site = {s["site"]: s for s in body["sites"]}
    assert {s: by_site[s]["status"] for s in SITES} == dict.fromkeys(SITES, "OK")
    assert by_site["ghost"]["status"] == "NOT_CONNECTED" and body["missing_sites"] == ["ghost"]
    for site in SITES:  # each site's answer is its own policy applied to its own true count
        n = true_count(federation, site, MDS_QUERY)
        got = by_site[site]
        if n < 10:
            assert (got["count"], got["precision"], got["threshold"]) == (None, "BELOW_THRESHOLD", 10)
        else:
            assert (got["count"], got["precision"]) == (5 * round(n / 5), "ROUNDED")
    disclosed = sum(s["count"] or 0 for s in body["sites"])
    assert body["total"]["count"] == disclosed
    assert body["total"]["precision"] in ("LOWER_BOUND", "ROUNDED")


def test_graphql_and_beacon_give_the_same_counts(federation: Federation) -> None:
    token = federation.token("researcher")
    auth = {"Authorization": f"Bearer {token}"}
    rest = ask(federation, {"criteria": ANY_DISEASE}).json()
    q = "query($c: JSON!) { feasibility(criteria: $c) { criteriaKey total { count precision } sites { site status count } missingSites } }"
    gql = httpx.post(
        f"{federation.url}/graphql",
        json={"query": q, "variables": {"c": ANY_DISEASE}},
        headers=auth,
        timeout=60,
    ).json()
    assert "errors" not in gql, gql
    assert gql["data"]["feasibility"]["total"]["count"] == rest["total"]["count"]
    assert gql["data"]["feasibility"]["criteriaKey"] == rest["criteria_key"]
    beacon = httpx.get(
        f"{federation.url}/beacon/v2/individuals",
        params={"filters": "ICD10:D46", "requestedGranularity": "count"},
        headers=auth,
        timeout=60,
    ).json()
    mds = ask(
        federation, {"criteria": {"inclusion": [[{"type": "diagnosis", "system": "icd10", "code": "D46"}]]}}
    ).json()
    assert beacon["responseSummary"] == {
        "exists": mds["total"]["count"] > 0,
        "numTotalResults": mds["total"]["count"],
    }
    assert beacon["meta"]["returnedGranularity"] == "count"
    terms = httpx.get(f"{federation.url}/beacon/v2/filtering_terms", timeout=30).json()["response"][
        "filteringTerms"
    ]
    assert {"ICD10:D46", "ORPHA:232"} <= {t["id"] for t in terms}
    bad = httpx.get(
        f"{federation.url}/beacon/v2/individuals", params={"filters": "HP:0001903"}, headers=auth, timeout=30
    )
    assert bad.status_code == 400 and "phenotypes" in bad.json()["detail"]


def test_bad_questions_are_refused_before_any_site_is_asked(federation: Federation) -> None:
    before = {s: len(site_audit(federation, s)) for s in SITES}
    bad = {"inclusion": [[{"type": "lab", "loinc": "718-7", "max": 10, "unit": "mg/dl/x"}]]}
    r = ask(federation, {"criteria": bad})
    assert r.status_code == 400 and r.json()["detail"] == '/inclusion/0/0/unit: unknown UCUM unit "mg/dl/x"'
    unknown = ask(
        federation, {"criteria": {"inclusion": [[{"type": "diagnosis", "system": "icd10", "code": "D99.9"}]]}}
    )
    assert unknown.status_code == 400 and "/inclusion/0/0/code" in unknown.json()["detail"]
    assert (
        httpx.post(f"{federation.url}/feasibility", json={"criteria": MDS_QUERY}, timeout=30).status_code
        == 401
    )
    assert ask(federation, {"criteria": MDS_QUERY, "sites": ["nowhere"]}).status_code == 400
    assert ask(federation, {"criteria": MDS_QUERY, "deadline_ms": 10**9}).status_code == 400
    assert {s: len(site_audit(federation, s)) for s in SITES} == before


def site_audit(fed: Federation, site: str) -> list[dict[str, Any]]:
    home = fed.site_home(site)
    return Ledger(home / "ledger.sqlite", open_site(home).config.secret).audit_log()


def test_every_question_is_audited_at_hub_and_sites_without_raw_counts(federation: Federation) -> None:
    r = ask(federation, {"criteria": ANY_DISEASE}).json()
    hub_audit = sqlite3.connect(federation.root / "hub" / "audit.sqlite")
    row = hub_audit.execute("SELECT user, query, sites FROM query WHERE id = ?", (r["query_id"],)).fetchone()
    assert row[0] == "alice" and json.loads(row[1]) == parse_criteria(ANY_DISEASE).to_json()
    assert {s["site"]: s["status"] for s in json.loads(row[2])}["demo-mds"] == "OK"
    assert any(e["query_id"] == r["criteria_key"] for e in site_audit(federation, "demo-mds"))
    # No site's true count appears at the hub: not in its log, its audit, or its store.
    hub_text = (federation.root / "hub.log").read_text(errors="replace")
    hub_text += "\n".join(map(str, hub_audit.execute("SELECT * FROM query").fetchall()))
    for site in SITES:
        n = true_count(federation, site, ANY_DISEASE)
        disclosed = next(s["count"] for s in r["sites"] if s["site"] == site)
        if disclosed != n:
            assert not re.search(rf"(?<![\w.]){n}(?![\w.])", hub_text), (site, n)


def test_a_hanging_site_is_a_timeout_and_the_others_still_answer(federation: Federation) -> None:
    agent = federation.sites.agents["demo-scd"]
    os.kill(agent.proc.pid, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        body = ask(federation, {"criteria": ANY_DISEASE, "deadline_ms": 1500}).json()
        assert time.monotonic() - t0 < 15
    finally:
        os.kill(agent.proc.pid, signal.SIGCONT)
    status = {s["site"]: s["status"] for s in body["sites"]}
    assert status == {"demo-mds": "OK", "demo-mm": "OK", "demo-scd": "TIMEOUT", "ghost": "NOT_CONNECTED"}
    assert sorted(body["missing_sites"]) == ["demo-scd", "ghost"]


def test_a_site_killed_mid_query_is_named_and_reconnects_after_restart(federation: Federation) -> None:
    agent = federation.sites.agents["demo-mm"]
    os.kill(agent.proc.pid, signal.SIGSTOP)  # it has the question but cannot answer...
    result: dict[str, Any] = {}
    asking = threading.Thread(
        target=lambda: result.update(ask(federation, {"criteria": ANY_DISEASE, "deadline_ms": 8000}).json())
    )
    asking.start()
    time.sleep(1.0)
    os.kill(agent.proc.pid, signal.SIGKILL)  # ...and dies: its connection closes under the hub
    asking.join(30)
    status = {s["site"]: s["status"] for s in result["sites"]}
    assert status["demo-mm"] in ("ERROR", "NOT_CONNECTED") and status["demo-mds"] == "OK"
    token = federation.token("site-operator", subject="op-demo-mm", site="demo-mm")
    federation.sites.start("demo-mm", federation.site_home("demo-mm"), token)
    federation.sites.wait_connected(federation.token("researcher"))
    assert {s["site"]: s["status"] for s in ask(federation, {"criteria": ANY_DISEASE}).json()["sites"]}[
        "demo-mm"
    ] == "OK"


def test_agents_reconnect_when_the_hub_restarts(federation: Federation) -> None:
    federation.stop_hub()
    federation.start_hub()
    federation.sites.wait_connected(federation.token("researcher"), timeout_s=90)
    statuses = {s["site"]: s["status"] for s in ask(federation, {"criteria": ANY_DISEASE}).json()["sites"]}
    assert all(statuses[s] == "OK" for s in SITES)


@pytest.mark.parametrize("role", ["consortium-member", "external-site"])
def test_roles_that_may_ask(federation: Federation, role: str) -> None:
    assert ask(federation, {"criteria": ANY_DISEASE}, federation.token(role)).status_code == 200
    assert ask(federation, {"criteria": ANY_DISEASE}, federation.token("curator")).status_code == 403


def test_catalogue_counts_are_an_upper_bound(federation: Federation) -> None:
    r = ask(
        federation,
        {
            "criteria": {"inclusion": [[{"type": "diagnosis", "system": "icd10", "code": "D46"}]]},
            "source": "CATALOGUE",
        },
    )
    assert r.status_code == 200, r.text
    total = r.json()["total"]
    assert total["precision"] == "UPPER_BOUND" and total["count"] >= true_count_sum(federation)


def true_count_sum(fed: Federation) -> int:
    return sum(
        true_count(fed, s, {"inclusion": [[{"type": "diagnosis", "system": "icd10", "code": "D46"}]]})
        for s in SITES
    )


def test_policy_defaults_are_the_consortium_ones() -> None:
    assert Policy().threshold == 10 and Policy().rounding == 5


def test_the_audit_commands_show_both_logs(federation: Federation) -> None:
    import subprocess

    from federation.local import fairgrid_command

    ask(federation, {"criteria": ANY_DISEASE}, federation.token("researcher", subject="carol"))
    hub = subprocess.run([*fairgrid_command(), "audit", "--user", "carol", "--json"], env=federation.env,
                         capture_output=True, text=True, check=True)  # fmt: skip
    entries = json.loads(hub.stdout)
    assert entries and all(e["user"] == "carol" for e in entries)
    assert all("count" not in s for e in entries for s in e["sites"])
    site = subprocess.run([*fairgrid_command(), "site", "audit", "--home", str(federation.site_home("demo-mds")),
                           "--user", "carol", "--json"], env=federation.env, capture_output=True, text=True,
                          check=True)  # fmt: skip
    assert json.loads(site.stdout)[-1]["status"] == "OK"
    cli = subprocess.run([*fairgrid_command(), "feasibility", "-", "--hub", federation.url, "--token",
                          federation.token("researcher")], input=json.dumps(ANY_DISEASE), env=federation.env,
                         capture_output=True, text=True)  # fmt: skip
    assert cli.returncode == 0 and "demo-mds" in cli.stdout and "total" in cli.stdout
    bad = subprocess.run([*fairgrid_command(), "audit", "--since", "yesterday"], env=federation.env,
                         capture_output=True, text=True)  # fmt: skip
    assert bad.returncode == 1 and "ISO 8601" in bad.stderr
