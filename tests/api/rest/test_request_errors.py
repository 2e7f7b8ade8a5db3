"""Requests the framework refuses before any fairgrid code runs (a parameter of the wrong type or out of
range, a body that is not JSON, a path no route serves, a method a route does not take) get an RFC 9457
problem document with a code and a hint, like fairgrid's own errors, and the OpenAPI schema says so.
They were FastAPI's bare {"detail": ...}, the 422 echoing the whole offending input back."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from registry.identity import Role
from tests.api.rest.conftest import Auth

PROBLEM = "application/problem+json"


def _problem(r: object) -> dict[str, object]:
    assert r.headers["content-type"].startswith(PROBLEM), (r.status_code, r.headers, r.text)  # type: ignore[attr-defined]
    body: dict[str, object] = r.json()  # type: ignore[attr-defined]
    assert body["status"] == r.status_code and body["code"] and body["hint"] and body["detail"]  # type: ignore[attr-defined]
    return body


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/records/dataset/consortium-aggregate-statistics?revision=0", "revision"),
        ("/records/dataset/consortium-aggregate-statistics?revision=abc", "revision"),
        ("/catalog?size=100000", "size"),
        ("/catalog?page=-1", "page"),
    ],
)
def test_a_bad_parameter_is_a_problem_naming_it(client: TestClient, url: str, name: str) -> None:
    r = client.get(url)
    assert r.status_code == 422
    body = _problem(r)
    assert body["code"] == "invalid_request" and name in str(body["detail"])
    assert [e["loc"][-1] for e in body["errors"]] == [name]  # type: ignore[attr-defined]


def test_a_bad_json_body_is_a_problem_without_the_input_echoed(client: TestClient) -> None:
    big = json.dumps({"inclusion": [[{"code": "x" * 1000}]] * 50})
    for content in (b"{", big.encode()):
        r = client.post("/feasibility", content=content, headers={"Content-Type": "application/json"})
        assert r.status_code == 422
        body = _problem(r)
        assert "x" * 1000 not in r.text and all("input" not in e for e in body["errors"])  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("path", "content", "reason"),
    [
        # a criteria key with a lone surrogate was a 500: the parser's error message could not be encoded
        ("/feasibility", b'{"criteria": {"\\ud800": 1}}', "surrogate"),
        ("/feasibility", b'{"criteria": {"inclusion": [[{"code": "\\udc00"}]]}}', "surrogate"),
        (
            "/beacon/v2/individuals",
            b'{"query": {"filters": [{"id": "ICD10:D46", "scope": "\\ud800"}]}}',
            "surrogate",
        ),
        ("/feasibility", b'{"criteria": {"inclusion": "\xed\xa0\x80"}}', "not UTF-8"),  # an encoded surrogate
        ("/feasibility", b'{"criteria": {}, "deadline_ms": NaN}', "NaN is not a JSON number"),
    ],
    ids=["lone surrogate key", "lone surrogate value", "beacon", "encoded surrogate", "NaN"],
)
def test_a_json_body_python_reads_but_json_does_not_have_is_a_problem_with_the_reason(
    client: TestClient, auth: Auth, path: str, content: bytes, reason: str
) -> None:
    headers = {"Content-Type": "application/json", **auth(Role.RESEARCHER)}
    r = client.post(path, content=content, headers=headers)
    assert r.status_code == 422, r.text
    body = _problem(r)
    assert body["errors"][0]["type"] == "json_invalid"  # type: ignore[index]
    assert reason in str(body["detail"])


def test_no_route_and_wrong_method_are_problems(client: TestClient) -> None:
    r = client.get("/static/no-such-file.js")
    assert r.status_code == 404 and _problem(r)["code"] == "not_found"
    r = client.delete("/records/dataset/consortium-aggregate-statistics")
    assert r.status_code == 405 and _problem(r)["code"] == "method_not_allowed"
    assert r.headers["allow"] == "GET, HEAD, PUT"  # every route at the path, not only the first one
    assert _problem(r)["hint"] == "use GET, HEAD, PUT"


def test_openapi_documents_the_problem_for_422(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    r422 = spec["paths"]["/catalog"]["get"]["responses"]["422"]
    (media,) = r422["content"]
    assert media == PROBLEM
    ref = r422["content"][media]["schema"]["$ref"].rsplit("/", 1)[1]
    props = spec["components"]["schemas"][ref]["properties"]
    assert {"type", "title", "status", "detail", "code", "hint", "errors"} <= set(props)
    assert props["detail"]["type"] == "string"


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/?after=&first=x&kind=Dataset&q=a&revision=abc", None),
        ("/catalog?size=0", 422),
        ("/static/none.css", 404),
    ],
)
def test_a_browser_gets_the_error_page(client: TestClient, url: str, status: int | None) -> None:
    r = client.get(url, headers={"Accept": "text/html"})
    if status is None:  # unknown parameters are ignored
        assert r.status_code == 200
        return
    assert r.status_code == status and r.headers["content-type"].startswith("text/html"), r.text[:200]
    assert "What to do" in r.text and "content-security-policy" in r.headers
    r = client.get("/records/dataset/x?revision=abc", headers={"Accept": "text/html"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert "revision" in r.text
