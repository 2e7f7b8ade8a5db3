"""Page routes: the API docs (Swagger UI from the package's own assets), sign-in and sign-out."""

from __future__ import annotations

import time
from urllib.parse import parse_qs

import jwt
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import Authenticator
from api.errors import http_status
from api.pages import render
from api.pages.session import (
    MAX_COOKIE_TOKEN,
    clear_session,
    has_session,
    page_authorization,
    same_origin,
    set_session,
)
from registry.errors import FairgridError, InputError, PermissionDenied
from registry.identity import ANONYMOUS, Identity

router = APIRouter(include_in_schema=False)
MAX_FORM_BYTES = 16_384


@router.get("/docs")
def docs() -> HTMLResponse:
    return HTMLResponse(render("docs.html.j2", openapi_url="/openapi.json"))


def _local_next(value: str | None) -> str:
    """Where to go after signing in: a path on this server only (never //host or a scheme). Browsers
    drop tabs and newlines from a URL ("/<tab>/host" is "//host"): no whitespace at all."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return "/" if any(c.isspace() or not c.isprintable() for c in value) else value


def _signin_page(request: Request, who: Identity | None, error: str = "", nxt: str = "/") -> str:
    return render(
        "signin.html.j2",
        who=who,
        roles=sorted(r.value for r in who.roles) if who else [],
        error=error,
        next=nxt,
        signed_in=has_session(request),
    )


async def _current(request: Request) -> Identity | None:
    """Who the session cookie says the caller is; None when there is none or it no longer verifies."""
    header = page_authorization(request)
    if not header:
        return None
    authenticator: Authenticator = request.app.state.authenticator
    try:
        who: Identity = await run_in_threadpool(authenticator.identity, header)
    except FairgridError:
        return None
    return None if who == ANONYMOUS else who


@router.get("/signin")
async def signin_form(request: Request, next: str | None = None) -> HTMLResponse:
    return HTMLResponse(_signin_page(request, await _current(request), nxt=_local_next(next)))


async def _form(request: Request) -> dict[str, str]:
    ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise InputError("send the sign-in form (application/x-www-form-urlencoded)")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise InputError(f"the form is larger than {MAX_FORM_BYTES} bytes")
    fields = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {k: v[0] for k, v in fields.items()}


def _refuse(request: Request, exc: FairgridError, nxt: str) -> HTMLResponse:
    page = _signin_page(request, None, exc.message + (f" {exc.hint}" if exc.hint else ""), nxt)
    return HTMLResponse(page, status_code=http_status(exc))


@router.post("/signin")
async def signin(request: Request) -> Response:
    if not same_origin(request):
        return _refuse(request, PermissionDenied("sign in from this server's own sign-in page"), "/")
    try:
        form = await _form(request)
    except FairgridError as exc:
        return _refuse(request, exc, "/")
    nxt = _local_next(form.get("next"))
    token = form.get("token", "").strip()
    if token.lower().startswith("bearer "):
        token = token[len("bearer ") :].strip()
    try:
        if not token:
            raise InputError("paste a bearer token", hint="in development: fairgrid dev-token --role curator")
        if len(token) > MAX_COOKIE_TOKEN or not token.isascii() or any(c in token for c in ' ;,"\\'):
            raise InputError(
                "this token cannot be kept in a browser cookie",
                hint="send it as an 'Authorization: Bearer' header instead",
            )
        authenticator: Authenticator = request.app.state.authenticator
        await run_in_threadpool(authenticator.identity, f"Bearer {token}")
    except FairgridError as exc:
        return _refuse(request, exc, nxt)
    response = RedirectResponse(nxt, status_code=303)
    set_session(response, request, token, _seconds_left(token))
    return response


def _seconds_left(token: str) -> int | None:
    """The cookie lives as long as the (already verified) token."""
    exp = jwt.decode(token, options={"verify_signature": False}).get("exp")
    return max(0, int(exp - time.time())) if isinstance(exp, int | float) else None


@router.post("/signout")
async def signout(request: Request) -> Response:
    if not same_origin(request):
        return _refuse(request, PermissionDenied("sign out from this server's own pages"), "/")
    response = RedirectResponse("/", status_code=303)
    clear_session(response, request)
    return response
