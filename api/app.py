"""The HTTP application: REST and linked data, SPARQL, GraphQL, health checks.

Errors: every FairgridError becomes an RFC 9457 problem document through api/errors.py (the one mapping),
with WWW-Authenticate on 401. Index catch-up: a write returns once committed (its outbox entry in the same
transaction); a background task drains the outbox into the search index when a commit rings the doorbell
(`registry/doorbell.py`, from any process on the home) and every `sync_interval_s` regardless, so a write
never waits for (or fails with) the index; when the index is down the entries wait and a later round
catches up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.routing import Match

from api import federation as hub
from api import harvesting
from api.auth import Authenticator
from api.body_limit import BodyLimit, body_limit
from api.errors import (
    document_validation_problems,
    http_status,
    problem,
    request_problem,
    validation_problem,
    www_authenticate,
)
from api.linked_data import ProtocolError, head_as_get
from api.pages import STATIC_DIR, STATIC_PATH, render, security_headers
from api.pages.session import has_session, page_authorization
from api.rest import IndexSync
from registry.doorbell import Doorbell
from registry.errors import FairgridError, PermissionDenied, Unauthenticated
from registry.locks import Lease
from registry.redact import install_log_redaction, redact
from registry.services.sparql import SparqlService
from registry.wiring import Registry

log = logging.getLogger(__name__)
SYNC_INTERVAL_S = 2.0
# How long shutting down waits for an outbox drain already running (its writes are idempotent: a drain cut
# later only leaves entries pending for the next one).
DRAIN_GRACE_S = 30.0


async def _sync_loop(sync: IndexSync, interval_s: float, lease: Lease, bell: Doorbell) -> None:
    """Drain the outbox on each ring of the doorbell, and every `interval_s` in any case (a ring may be
    dropped; an index outage needs retrying). With several workers on one home only the lease holder
    listens and drains (the others would redo the same work); when it dies another worker takes over."""
    try:
        while True:
            if lease.held():
                bell.listen()
                # Cancelling the wait would not stop the drain's thread, and the registry closes right
                # after this loop ends: let a drain in flight finish (bounded) instead of closing its
                # store client under it.
                drain = asyncio.ensure_future(asyncio.to_thread(sync))
                try:
                    report = await asyncio.shield(drain)
                except asyncio.CancelledError:
                    await asyncio.wait({drain}, timeout=DRAIN_GRACE_S)
                    raise
                if report.error:
                    log.info("index catch-up waits: %d pending (%s)", report.pending, report.error)
            await bell.wait(interval_s)
    finally:
        bell.close()
        lease.release()


def create_app(
    registry: Registry,
    authenticator: Authenticator,
    *,
    sync_interval_s: float = SYNC_INTERVAL_S,
    sparql_timeout_s: float | None = None,
    sparql_max_rows: int | None = None,
    close_registry: bool = False,
) -> FastAPI:
    """`sync_interval_s` <= 0 disables the background catch-up (tests drive it by hand).

    SPARQL limits default to the registry's settings (FAIRGRID_SPARQL_TIMEOUT_S, 10 s, and
    FAIRGRID_SPARQL_MAX_ROWS, 10,000).
    `close_registry` closes the registry when the app shuts down (an app that opened it itself).
    """
    install_log_redaction()  # store and index URLs may carry credentials: never into a log line
    sync = IndexSync(registry)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        registry.settings.home.mkdir(parents=True, exist_ok=True)
        lease = Lease(registry.settings.home / "outbox-drain.lock")
        task = None
        if sync_interval_s > 0:
            bell = Doorbell(registry.settings.home)  # its own socket: the registry's one only rings
            task = asyncio.create_task(_sync_loop(sync, sync_interval_s, lease, bell))
        warm = asyncio.create_task(asyncio.to_thread(hub.warm_up))  # off the loop: serving starts at once
        harvests = harvesting.start(registry)  # FAIRGRID_HARVEST_SOURCES, one worker at a time
        try:
            yield
        finally:
            await harvesting.stop(harvests)
            warm.cancel()
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if close_registry:
                registry.close()

    app = FastAPI(
        title="fairgrid",
        version="0.1.0",
        description=(
            "FAIR metadata registry of the hematology consortium. Records dereference at their IRIs "
            "(content negotiation: Turtle, JSON-LD, RDF/XML, N-Triples, HTML); `/catalog` is the DCAT-AP "
            "catalogue; `/sparql` answers read-only SPARQL 1.1 queries; `/graphql` serves search. "
            "Authenticate with `Authorization: Bearer <token>`."
        ),
        lifespan=lifespan,
        docs_url=None,  # api/pages serves /docs from the package's own Swagger UI (works offline)
        redoc_url=None,
    )
    app.add_middleware(security_headers)
    app.add_middleware(head_as_get)
    app.add_middleware(BodyLimit, limit=body_limit(registry.settings.max_record_bytes))
    app.state.registry = registry
    app.state.authenticator = authenticator
    app.state.index_sync = sync
    app.state.sparql = SparqlService(
        registry.store,
        timeout_s=sparql_timeout_s or registry.settings.limits.sparql_timeout_s,
        max_rows=sparql_max_rows or registry.settings.limits.sparql_max_rows,
        concurrency=registry.settings.limits.sparql_concurrency,
        anonymous_max_rows=registry.settings.limits.sparql_anonymous_max_rows,
        anonymous_concurrency=registry.settings.limits.sparql_anonymous_concurrency,
    )

    @app.exception_handler(FairgridError)
    async def fairgrid_error(request: Request, exc: FairgridError) -> Response:
        if isinstance(exc, PermissionDenied) and not page_authorization(request):
            # No credentials at all: ask for them (401 + challenge) rather than refuse (403).
            exc = Unauthenticated(exc.message)
        if _wants_html(request):  # a person in a browser gets a page, not a JSON document
            page = _error_page(exc, request)
            return HTMLResponse(page, status_code=http_status(exc), headers=www_authenticate(exc))
        return JSONResponse(
            problem(exc),
            status_code=http_status(exc),
            media_type="application/problem+json",
            headers=www_authenticate(exc),
        )

    @app.exception_handler(ProtocolError)
    async def protocol_error(request: Request, exc: ProtocolError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        return _problem_response(request, validation_problem(exc.errors()))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        """What the router itself refuses: no route for the path (404), a method the route does not
        take (405, with its Allow header)."""
        path, detail, headers = request.url.path, str(exc.detail), dict(exc.headers or {})
        if exc.status_code == 404:
            code, hint = "not_found", "check the path; /docs lists the routes, /catalog every record"
            detail = f"nothing is served at {path}"
        elif exc.status_code == 405:
            allowed = headers["Allow"] = _allowed_methods(app, request) or headers.get("Allow", "GET")
            code, hint = "method_not_allowed", f"use {allowed}"
            detail = f"{request.method} is not accepted at {path}"
        elif exc.status_code == 413:
            code, hint = "too_large", "send a smaller body (FAIRGRID_MAX_RECORD_BYTES bounds a record)"
        else:
            code, hint = "bad_request", "see /docs for what this route accepts"
        return _problem_response(request, request_problem(exc.status_code, code, detail, hint), headers)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            app.openapi_schema = document_validation_problems(spec)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/healthz", tags=["health"], summary="The process is up")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["health"],
        summary="Store and search index reachable (503 names the part that is down)",
        responses={503: {"description": "store or index down"}},
    )
    async def readyz() -> JSONResponse:
        checks = await run_in_threadpool(_checks, registry)
        ready = all(v == "up" for k, v in checks.items() if k in ("store", "index"))
        body: dict[str, Any] = {"status": "ready" if ready else "unavailable", **checks}
        if not ready:
            down = [k for k in ("store", "index") if checks[k] != "up"]
            body["detail"] = f"{' and '.join(down)} down"
        return JSONResponse(body, status_code=200 if ready else 503)

    from api.graphql import graphql_router
    from api.pages import routes as pages
    from api.rest import beacon, browse, catalog, federation, records, sparql, training

    # First: routes are tried in order, and searches (the hot path) should not wait for the ~40 others.
    app.include_router(graphql_router(lambda: registry, authenticator))
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(pages.router)
    app.include_router(browse.router)
    app.include_router(records.router)
    app.include_router(catalog.router)
    app.include_router(sparql.router)
    hub.install(app, registry)
    app.include_router(federation.router)
    app.include_router(beacon.router)
    app.include_router(training.router)
    # Last: the catch-all `/{kind_slug}/{id}` must not shadow any other route.
    app.include_router(records.iri_router)
    return app


def app_from_env() -> FastAPI:
    """The app on the registry the FAIRGRID_* settings name: what each worker process of
    `fairgrid serve --workers N` builds for itself."""
    from registry.wiring import open_registry

    registry = open_registry()
    if registry.settings.auth.dev:
        log.warning("fairgrid: %s", registry.settings.auth.description)
    return create_app(registry, Authenticator(registry.settings), close_registry=True)


def _checks(registry: Registry) -> dict[str, Any]:
    def ping(fn: Any) -> str:
        try:
            return "up" if fn() else "down"
        except Exception as exc:
            return f"down: {redact(str(exc))}"  # not only fairgrid errors: mask URL credentials here

    out: dict[str, Any] = {"store": ping(registry.store.ping), "index": ping(registry.index.ping)}
    if out["store"] == "up":
        with contextlib.suppress(Exception):
            out["outbox_pending"] = len(registry.store.pending(10_000))
    return out


def _allowed_methods(app: FastAPI, request: Request) -> str:
    """Every method some route takes at this path: Starlette's 405 names only the first route that
    matched the path (GET at /records/{id}, which PUT and HEAD also serve). Asked of the router itself,
    method by method, so routers included in any way are covered."""
    allowed = [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in app.router.routes
        )
    ]
    if "GET" in allowed and "HEAD" not in allowed:
        allowed.append("HEAD")  # every GET route answers HEAD (the HEAD middleware)
    return ", ".join(sorted(allowed))


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return request.query_params.get("format") == "html" or (
        "text/html" in accept and not request.url.path.startswith(("/graphql", "/sparql"))
    )


def _error_page(exc: FairgridError, request: Request) -> str:
    return _page_for(request, http_status(exc), exc.code, exc.message, exc.hint or "")


def _problem_response(
    request: Request, body: dict[str, Any], headers: Mapping[str, str] | None = None
) -> Response:
    """A problem document, or for a person in a browser the error page saying the same."""
    status = int(body["status"])
    if _wants_html(request):
        page = _page_for(request, status, str(body["code"]), str(body["detail"]), str(body.get("hint", "")))
        return HTMLResponse(page, status_code=status, headers=headers)
    return JSONResponse(body, status, headers=headers, media_type="application/problem+json")


def _page_for(request: Request, status: int, code: str, message: str, hint: str) -> str:
    return render(
        "error.html.j2",
        status=status,
        code=code,
        message=message,
        hint=hint,
        signed_in=has_session(request),
        here=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    )
