"""Feasibility's HTTP surface without sites: the schema, who may ask, the catalogue bound, the Beacon info."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator

from api.auth import dev_token
from registry.identity import Role
from registry.wiring import Registry
from tests.api.rest.conftest import Auth

MDS = {"inclusion": [[{"type": "diagnosis", "system": "icd10", "code": "D46"}]]}


def test_the_criteria_schema_is_published(client: TestClient) -> None:
    r = client.get("/schemas/criteria.json")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/schema+json")
    Draft202012Validator.check_schema(r.json())
    Draft202012Validator(r.json()).validate(MDS)


def test_who_may_ask(client: TestClient, auth: Auth) -> None:
    assert client.post("/feasibility", json={"criteria": MDS}).status_code == 401
    assert client.post("/feasibility", json={"criteria": MDS}, headers=auth(Role.CURATOR)).status_code == 403
    ok = client.post("/feasibility", json={"criteria": MDS}, headers=auth(Role.RESEARCHER))
    assert ok.status_code == 200
    body = ok.json()  # no agent is connected: every registered site is named, no total is guessed
    assert body["total"]["count"] is None and body["missing_sites"]
    assert {s["status"] for s in body["sites"]} == {"NOT_CONNECTED"}


def test_catalogue_source_is_an_upper_bound_from_the_records(client: TestClient, auth: Auth) -> None:
    r = client.post(
        "/feasibility", json={"criteria": MDS, "source": "CATALOGUE"}, headers=auth(Role.RESEARCHER)
    )
    assert r.status_code == 200, r.text
    total = r.json()["total"]
    assert total["precision"] == "UPPER_BOUND" and total["count"] > 0
    gql = client.post(
        "/graphql",
        json={"query": "query($c: JSON!) { feasibility(criteria: $c, source: CATALOGUE) { total { count precision } } }",
              "variables": {"c": MDS}},
        headers=auth(Role.RESEARCHER),
    ).json()  # fmt: skip
    assert gql["data"]["feasibility"]["total"] == {"count": total["count"], "precision": "UPPER_BOUND"}


def test_graphql_errors_name_the_pointer(client: TestClient, auth: Auth) -> None:
    bad = {"inclusion": [[{"type": "age", "min": 70, "max": 60}]]}
    gql = client.post(
        "/graphql",
        json={"query": "query($c: JSON!) { feasibility(criteria: $c) { queryId } }", "variables": {"c": bad}},
        headers=auth(Role.RESEARCHER),
    ).json()
    err = gql["errors"][0]
    assert err["message"] == "/inclusion/0/0/min: min 70 is above max 60"
    assert err["extensions"]["pointer"] == "/inclusion/0/0/min" and err["extensions"]["status"] == 400


def test_beacon_info_and_map_are_public(client: TestClient) -> None:
    info = client.get("/beacon/v2/info").json()
    assert info["meta"]["apiVersion"].startswith("v2") and info["response"]["id"]
    endpoints = client.get("/beacon/v2/map").json()["response"]["endpointSets"]
    assert endpoints["individual"]["rootUrl"].endswith("/beacon/v2/individuals")
    assert client.get("/beacon/v2/individuals", params={"filters": "ICD10:D46"}).status_code == 401


def test_the_beacon_map_names_the_host_each_caller_used(client: TestClient) -> None:
    # the one BeaconService kept the last request's base URL in an attribute that every request set and
    # read, so callers reaching the hub under different names at once could get each other's URLs
    for host in ("hub-a.example", "hub-b.example"):
        endpoints = client.get("/beacon/v2/map", headers={"Host": host}).json()["response"]["endpointSets"]
        assert endpoints["individual"]["rootUrl"] == f"http://{host}/beacon/v2/individuals"
    service = client.app.state.beacon  # type: ignore[attr-defined]
    assert "base_url" not in vars(service)  # no state per request on the shared service


def test_a_code_of_another_terminology_is_unknown_here(client: TestClient, auth: Auth) -> None:
    wrong = {"inclusion": [[{"type": "diagnosis", "system": "icd10", "code": "HP:0001903"}]]}
    r = client.post("/feasibility", json={"criteria": wrong}, headers=auth(Role.RESEARCHER))
    assert r.status_code == 400 and r.json()["detail"].startswith("/inclusion/0/0/code: unknown icd10 code")
    orpha_as_icd = {"inclusion": [[{"type": "diagnosis", "system": "orpha", "code": "D46"}]]}
    assert (
        client.post(
            "/feasibility", json={"criteria": orpha_as_icd}, headers=auth(Role.RESEARCHER)
        ).status_code
        == 400
    )


def test_who_may_ask_is_checked_before_the_question(client: TestClient, auth: Auth) -> None:
    # an anonymous caller or a curator learns nothing about the question's faults: 401/403 first
    asks = [
        ("POST", "/feasibility", {"json": {"criteria": MDS, "source": "EVERYTHING"}}),
        ("GET", "/beacon/v2/individuals", {}),
        ("GET", "/beacon/v2/individuals", {"params": {"filters": "FOO:1"}}),
        (
            "GET",
            "/beacon/v2/individuals",
            {"params": {"filters": "ICD10:D46", "requestedGranularity": "record"}},
        ),
        ("POST", "/beacon/v2/individuals", {"json": {"query": {"filters": ["HP:0001903"]}}}),
    ]
    for method, path, kw in asks:
        assert client.request(method, path, **kw).status_code == 401, (method, path, kw)  # type: ignore[arg-type]
        curator = client.request(method, path, headers=auth(Role.CURATOR), **kw)  # type: ignore[arg-type]
        assert curator.status_code == 403, (method, path, kw)
        assert client.request(method, path, headers=auth(Role.RESEARCHER), **kw).status_code == 400  # type: ignore[arg-type]


def test_a_site_sending_json_nested_too_deeply_is_closed_without_a_traceback(
    client: TestClient, shared: Registry
) -> None:
    # json.loads raises RecursionError (not ValueError): it escaped the agent endpoint as an exception
    from starlette.websockets import WebSocketDisconnect

    token = dev_token(shared.settings.home, "op-leiden", [Role.SITE_OPERATOR], site="leiden-01")
    deep = "[" * 30_000 + "]" * 30_000  # within the size a site's message may take (MAX_MESSAGE)
    for send in ("send_text", "send_bytes"):  # a binary frame: Starlette's receive_text raised KeyError
        with client.websocket_connect(
            "/federation/agent", headers={"Authorization": f"Bearer {token}"}
        ) as ws:
            assert ws.receive_json()["type"] == "hub-hello"
            getattr(ws, send)(deep if send == "send_text" else deep.encode())
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_text()
        assert closed.value.code == (4403 if send == "send_text" else 1003)  # binary: refused unread


def test_catalogue_counts_are_read_off_the_event_loop(
    client: TestClient, auth: Auth, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the catalogue bound searches and reads every matching dataset record: on the event loop it held up
    # every other request and the site agents' connections meanwhile (GraphQL already ran it in a thread)
    import asyncio

    service = client.app.state.feasibility  # type: ignore[attr-defined]
    real = service.catalogue
    loops: list[bool] = []

    def catalogue(*args: Any) -> Any:
        try:
            asyncio.get_running_loop()
            loops.append(True)
        except RuntimeError:
            loops.append(False)
        return real(*args)

    monkeypatch.setattr(service, "catalogue", catalogue)
    r = client.post(
        "/feasibility", json={"criteria": MDS, "source": "CATALOGUE"}, headers=auth(Role.RESEARCHER)
    )
    assert r.status_code == 200 and loops == [False]


@pytest.mark.parametrize(
    "query",
    [{"filters": ["X" * 100_000]}, {"filters": ["ICD10:D46"], "requestedGranularity": "r" * 100_000}],
    ids=["filter", "granularity"],
)
def test_a_huge_beacon_value_is_not_echoed_whole(
    client: TestClient, auth: Auth, query: dict[str, Any]
) -> None:
    # the whole value went into the error's detail and message: a 100 KB request, a 200 KB answer
    r = client.post("/beacon/v2/individuals", json={"query": query}, headers=auth(Role.RESEARCHER))
    assert r.status_code == 400 and len(r.content) < 2000, (r.status_code, len(r.content))
