"""Injected 429/5xx for clients' retry tests, the `/_dev/state` view, and the deposition list's parameters."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from api.dev_zenodo.faults import FaultError, RateLimit, parse
from api.dev_zenodo.server import Running, running
from tests.api.dev_zenodo.conftest import META, TOKEN, new, published
from tests.zenodo_env import zenodo_state as state


def test_429_carries_retry_after_and_rate_limit_headers_then_clears(
    client: httpx.Client, zenodo: Running
) -> None:
    r = httpx.post(f"{zenodo.url}/_dev/faults", json={"route": "/api/deposit/depositions", "method": "POST",
                                                       "status": 429, "count": 2, "retry_after": 3})  # fmt: skip
    assert r.status_code == 201
    for _ in range(2):
        refused = client.post("/api/deposit/depositions", json={})
        assert refused.status_code == 429 and refused.json()["status"] == 429
        assert refused.headers["Retry-After"] == "3"
        assert (
            refused.headers["X-RateLimit-Limit"] == "100" and refused.headers["X-RateLimit-Remaining"] == "0"
        )
        assert int(refused.headers["X-RateLimit-Reset"]) >= int(time.time())
    assert state(zenodo)["depositions"] == 0  # refused before anything happened
    assert client.post("/api/deposit/depositions", json={}).status_code == 201
    assert state(zenodo)["injected"] == 2 and state(zenodo)["faults"] == []


def test_5xx_on_a_route_pattern_and_method(client: httpx.Client, zenodo: Running) -> None:
    dep = new(client)
    httpx.post(f"{zenodo.url}/_dev/faults", json={"route": "/api/files/*", "method": "PUT", "status": 503})
    assert client.get(dep["links"]["bucket"]).status_code == 200  # GET is not matched
    assert client.put(f"{dep['links']['bucket']}/a.txt", content=b"a").status_code == 503
    assert client.put(f"{dep['links']['bucket']}/a.txt", content=b"a").status_code == 201


def test_after_fault_does_the_work_and_loses_the_answer(client: httpx.Client, zenodo: Running) -> None:
    httpx.post(f"{zenodo.url}/_dev/faults",
               json={"route": "/api/deposit/depositions/*/actions/publish", "status": 502, "after": True})  # fmt: skip
    dep = new(client, META)
    client.put(f"{dep['links']['bucket']}/a.txt", content=b"a")
    assert client.post(dep["links"]["publish"]).status_code == 502
    assert client.get(dep["links"]["self"]).json()["state"] == "done"  # it was published all the same
    assert state(zenodo)["published"] == 1


def test_clearing_faults(client: httpx.Client, zenodo: Running) -> None:
    httpx.post(f"{zenodo.url}/_dev/faults", json={"route": "/*", "status": 500, "count": 100})
    assert httpx.delete(f"{zenodo.url}/_dev/faults").status_code == 204
    assert client.post("/api/deposit/depositions", json={}).status_code == 201


BAD_FAULTS: list[object] = [
    {"status": 503}, {"route": "x"}, {"route": "/a", "status": 404}, {"route": "/a", "count": -1},
    {"route": "/a", "colour": 1}, {"route": "/a", "method": "PATCH"}, {"route": "/a", "after": 2}, [1],
    "route=/a,status", "route=/a,count=many",
]  # fmt: skip


def test_bad_fault_descriptions_are_refused(zenodo: Running) -> None:
    for raw in BAD_FAULTS:
        with pytest.raises(FaultError):
            parse(raw)
        if not isinstance(raw, str):
            assert httpx.post(f"{zenodo.url}/_dev/faults", json=raw).status_code == 400, raw
    assert httpx.post(f"{zenodo.url}/_dev/faults", content=b"{").status_code == 400
    assert state(zenodo)["faults"] == []


def test_text_form_for_the_cli() -> None:
    fault = parse("route=/api/files/*,status=503,count=2,method=put,after=true")
    assert (fault.route, fault.status, fault.count, fault.method, fault.after) == (
        "/api/files/*",
        503,
        2,
        "PUT",
        True,
    )
    assert parse("route=/x,status=429").retry_after == 1


def test_fail_rate_fails_some_api_requests_reproducibly(tmp_path: Path) -> None:
    def outcomes() -> list[int]:
        with running(tmp_path, [TOKEN], fault_rate=0.5, seed=7) as z:
            c = httpx.Client(base_url=z.url, headers={"Authorization": f"Bearer {TOKEN}"})
            return [c.get("/api/deposit/depositions").status_code for _ in range(20)]

    first = outcomes()
    assert set(first) == {200, 503} and first == outcomes()


def test_state_counts_and_request_log(client: httpx.Client, zenodo: Running) -> None:
    v1 = published(client)
    client.post(v1["links"]["newversion"])
    s = state(zenodo)
    assert (s["depositions"], s["published"], s["unsubmitted"]) == (2, 1, 1)
    assert s["concepts"] == {v1["conceptrecid"]: [v1["id"]]}
    assert ("POST", f"/api/deposit/depositions/{v1['id']}/actions/publish", 202) in [
        (r["method"], r["path"], r["status"]) for r in s["requests"]
    ]
    assert TOKEN not in str(s)


def test_list_filters_and_pages(client: httpx.Client) -> None:
    v1 = published(client)
    draft_id = client.post(v1["links"]["newversion"]).json()["id"]
    other = new(client, {**META, "title": "Sickle cell terminology"})

    def ids(**params: str) -> list[int]:
        r = client.get("/api/deposit/depositions", params=params)
        assert r.status_code == 200, r.text
        return [d["id"] for d in r.json()]

    assert ids() == [other["id"], draft_id]  # the newest of each concept, newest first
    assert ids(all_versions="true") == [other["id"], draft_id, v1["id"]]
    assert ids(status="published") == [v1["id"]]
    assert ids(status="draft", sort="mostrecent") == [other["id"], draft_id]
    assert ids(sort="-mostrecent") == [draft_id, other["id"]]
    assert ids(q="sickle") == [other["id"]]
    assert ids(size="1", page="2") == [draft_id]
    for bad in ({"status": "gone"}, {"size": "0"}, {"size": "x"}, {"sort": "name"}, {"size": "1000"}):
        assert client.get("/api/deposit/depositions", params=bad).status_code == 400


def test_rate_limit_windows() -> None:
    now = [1_000_040.0]  # 20 s into a minute window (1_000_020 is a multiple of 60)
    limiter = RateLimit(2, clock=lambda: now[0])
    first, _ = limiter.check("a")
    assert first["X-RateLimit-Remaining"] == "1" and first["X-RateLimit-Reset"] == "1000080"
    assert limiter.check("a")[1] is None and limiter.check("b")[1] is None  # per client
    headers, over = limiter.check("a")
    assert over is not None and over.status == 429 and over.retry_after == 40
    assert headers["X-RateLimit-Remaining"] == "0"
    now[0] += 40  # the next window
    assert limiter.check("a")[1] is None


def test_rate_limited_server_sends_the_headers_and_429(tmp_path: Path) -> None:
    with running(tmp_path, [TOKEN], rate_limit=3) as z:
        c = httpx.Client(base_url=z.url, headers={"Authorization": f"Bearer {TOKEN}"})
        answers = [c.get("/api/deposit/depositions") for _ in range(7)]  # a window may turn over once
        assert all(a.headers["X-RateLimit-Limit"] == "3" for a in answers)
        over = next(a for a in answers if a.status_code == 429)
        assert over.headers["X-RateLimit-Remaining"] == "0" and int(over.headers["Retry-After"]) >= 1
        assert "X-RateLimit-Limit" not in httpx.get(f"{z.url}/_dev/state").headers
