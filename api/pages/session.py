"""Signing in from a web page: the bearer token a person pastes is kept in an HttpOnly, SameSite=Strict
cookie, and the pages send it for them.

The cookie stands in for the Authorization header on GET and HEAD requests only. Those change nothing,
and SameSite=Strict keeps a browser from sending the cookie with any request another site starts; every
write (POST, PUT, DELETE, GraphQL) still needs a real Authorization header, so the cookie can never
carry a cross-site write.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "fairgrid_session"
COOKIE_METHODS = ("GET", "HEAD")
# Browsers keep cookies up to 4096 bytes, name and attributes included.
MAX_COOKIE_TOKEN = 3800


def page_authorization(request: Request) -> str | None:
    """The Authorization header this request stands for: its own, else (GET/HEAD only) the cookie's."""
    header = request.headers.get("authorization")
    if header or request.method not in COOKIE_METHODS:
        return header
    token = request.cookies.get(COOKIE)
    return f"Bearer {token}" if token else None


def has_session(request: Request) -> bool:
    return bool(request.cookies.get(COOKIE))


def same_origin(request: Request) -> bool:
    """A form post from one of our own pages (checked for sign-in and sign-out: without it another
    site could sign a visitor in as someone else). Browsers send Origin with every form post; the
    host is compared, not the scheme, which a TLS-terminating proxy may change."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not a browser, or one that says (Sec-Fetch-Site) the post is its own
    return urlsplit(origin).netloc == request.url.netloc


def set_session(response: Response, request: Request, token: str, max_age: int | None) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=max_age,
        path="/",
        httponly=True,  # no script on any page can read the token
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def clear_session(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )
