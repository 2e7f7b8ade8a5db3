"""Web sign-in: a pasted bearer token kept in an HttpOnly SameSite=Strict cookie, used for GET pages
only (never for writes), refused from other origins, cleared by sign-out."""

from __future__ import annotations

import pyoxigraph as ox
from fastapi.testclient import TestClient

from api.auth import dev_token
from api.pages.session import COOKIE
from registry.identity import Role
from registry.wiring import Registry
from tests.api.rest.conftest import client_for
from tests.api.rest.test_writes import record_doc
from tests.conftest import CURATOR

BASE = "https://w3id.org/fairgrid/"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _sign_in(c: TestClient, token: str, **headers: str) -> object:
    return c.post("/signin", data={"token": token, "next": "/dataset/draft-audit"}, headers=headers,
                  follow_redirects=False)  # fmt: skip


def test_sign_in_sets_a_strict_http_only_cookie_the_pages_use(fresh: Registry) -> None:
    iri = BASE + "dataset/draft-audit"
    fresh.records.create(CURATOR, record_doc(fresh, iri, "Draft audit"), ox.RdfFormat.TURTLE, publish=False)
    c = client_for(fresh)
    page = {"Accept": "text/html"}
    hidden = c.get("/dataset/draft-audit", headers=page)
    assert hidden.status_code in (401, 404) and "Draft audit" not in hidden.text  # drafts: curators only
    token = dev_token(fresh.settings.home, "cur-web", [Role.CURATOR])
    r = _sign_in(c, token)
    assert r.status_code == 303 and r.headers["location"] == "/dataset/draft-audit"  # type: ignore[attr-defined]
    cookie = r.headers["set-cookie"]  # type: ignore[attr-defined]
    assert cookie.startswith(f"{COOKIE}={token};")
    attrs = {a.strip().lower() for a in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/"} <= attrs and any(a.startswith("max-age=") for a in attrs)
    shown = c.get("/dataset/draft-audit", headers=page)
    assert shown.status_code == 200 and "Draft audit" in shown.text and "Sign out" in shown.text
    assert "cur-web" in c.get("/signin").text  # who is signed in
    # the cookie is never a credential for a write
    body = record_doc(fresh, BASE + "dataset/cookie-write", "Cookie write")
    w = c.post("/records", content=body, headers={"Content-Type": "text/turtle"})
    assert w.status_code == 401
    assert c.get("/dataset/cookie-write", headers={"Authorization": "Bearer " + token}).status_code == 404
    # sign-out clears it
    out = c.post("/signout", follow_redirects=False)
    assert out.status_code == 303 and "Max-Age=0" in out.headers["set-cookie"]
    assert COOKIE not in c.cookies
    assert c.get("/dataset/draft-audit", headers=page).status_code in (401, 404)


def test_refused_sign_ins_set_no_cookie(fresh: Registry) -> None:
    c = client_for(fresh)
    token = dev_token(fresh.settings.home, "cur-web", [Role.CURATOR])
    cross = _sign_in(c, token, Origin="https://evil.example")
    assert cross.status_code == 403 and "set-cookie" not in cross.headers  # type: ignore[attr-defined]
    fetched = _sign_in(c, token, **{"Sec-Fetch-Site": "cross-site"})
    assert fetched.status_code == 403 and "set-cookie" not in fetched.headers  # type: ignore[attr-defined]
    bad = _sign_in(c, "not-a-token")
    assert bad.status_code == 401 and "set-cookie" not in bad.headers  # type: ignore[attr-defined]
    assert "invalid token" in bad.text  # type: ignore[attr-defined]
    empty = _sign_in(c, "")
    assert empty.status_code == 400 and "paste a bearer token" in empty.text  # type: ignore[attr-defined]
    odd = c.post("/signin", content=b'{"token": "x"}', headers={"Content-Type": "application/json"})
    assert odd.status_code == 400 and "set-cookie" not in odd.headers
    huge = _sign_in(c, "a" * 5000)
    assert huge.status_code == 400 and "cookie" in huge.text  # type: ignore[attr-defined]
    same = _sign_in(c, token, Origin="http://testserver")
    assert same.status_code == 303 and COOKIE in same.headers["set-cookie"]  # type: ignore[attr-defined]


def test_sign_in_only_redirects_to_this_server(fresh: Registry) -> None:
    c = client_for(fresh)
    token = dev_token(fresh.settings.home, "r", [Role.RESEARCHER])
    targets = (
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "/\t/evil.example",
        "/\n/x",
        "javascript:x",
    )
    for target in targets:
        r = c.post("/signin", data={"token": token, "next": target}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/", target


def test_a_bad_cookie_fails_only_the_pages_that_read_it(fresh: Registry) -> None:
    c = client_for(fresh)
    c.cookies.set(COOKIE, "expired-or-forged")
    r = c.get("/", headers={"Accept": "text/html"})
    assert r.status_code == 401 and "Sign in" in r.text and "Sign out" in r.text
    assert 'href="/signin?next=%2F%3Fq%3Dx"' in c.get("/?q=x", headers={"Accept": "text/html"}).text
    assert c.get("/signin").status_code == 200  # where the person fixes it
