"""The GraphQL API at /graphql (Strawberry; GraphiQL in the browser).

`graphql_router(get_registry, authenticator)` is what the app factory mounts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cross_web import HTTPException
from fastapi import APIRouter
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from api.auth import Authenticator
from api.errors import graphql_extensions
from api.graphql.context import GraphQLContext, context_getter
from api.graphql.limits import Limits
from api.graphql.schema import FairgridSchema, build_schema
from api.pages import render
from registry import json_text
from registry.errors import InputError
from registry.wiring import Registry

__all__ = ["FairgridSchema", "GraphQLContext", "Limits", "build_schema", "graphql_router"]


DEFAULT_QUERY = """# Search the registry; Ctrl-Enter runs the query. Signed-in pages do not sign GraphiQL in:
# for restricted records and the curator mutations, add {"Authorization": "Bearer <token>"} under Headers.
{
  search(text: "registry", facets: [KIND]) {
    totalCount
    hits { iri title kind }
    facets { facet buckets { label count } }
  }
}
"""

REQUEST_HINT = (
    'POST one operation as JSON, {"query": "...", "variables": {...}}, with Content-Type: application/json '
    "(batches are not accepted)"
)


def request_error(status: int, reason: str) -> JSONResponse:
    """A request refused before any operation ran, as a GraphQL error document with a code and a hint
    (Strawberry answers these with its bare reason in plain text)."""
    hint = "send mutations with POST" if "GET" in reason else REQUEST_HINT
    exc = InputError(reason, hint=hint)
    error = {"message": exc.message, "extensions": {**graphql_extensions(exc), "status": status}}
    return JSONResponse({"errors": [error]}, status_code=status)


class _GraphQLApp(GraphQL[GraphQLContext, None]):
    """Strawberry's plain ASGI app. Search is the hot path, and FastAPI's router (dependency solving per
    request) cost a tenth of a search's time while /graphql uses none of what it adds."""

    def __init__(self, schema: FairgridSchema, get_context: Callable[[Request], Any]) -> None:
        super().__init__(schema, graphql_ide="graphiql")
        self._get_context = get_context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self.run(request)
        except HTTPException as exc:
            response = request_error(exc.status_code, exc.reason)
        except StarletteHTTPException as exc:  # the body limit (api/body_limit.py), raised as it is read
            response = request_error(exc.status_code, str(exc.detail))
        await response(scope, receive, send)

    def decode_json(self, data: str | bytes) -> object:
        try:
            return json_text.loads(data)
        except RecursionError:  # not a JSONDecodeError, so Strawberry let it through as a 500
            raise HTTPException(400, "the JSON of the request is nested too deeply to be read") from None
        except json_text.NotJson as exc:  # NaN; a 5,000-digit or lone-surrogate variable was a 500
            # the body of a POST, or the `variables` parameter of a GET
            raise HTTPException(400, f"the JSON of the request is not standard JSON: {exc}") from None

    async def render_graphql_ide(self, request: Request) -> Response:
        """Our own GraphiQL page: Strawberry's loads its scripts from CDNs (blank offline, and inline
        scripts a Content-Security-Policy refuses); this one uses the package's vendored builds."""
        return HTMLResponse(render("graphiql.html.j2", endpoint="/graphql", default_query=DEFAULT_QUERY))

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Any:
        assert isinstance(request, Request)  # no subscriptions: websockets are refused earlier
        return await self._get_context(request)


def graphql_router(
    get_registry: Callable[[], Registry], authenticator: Authenticator, limits: Limits | None = None
) -> APIRouter:
    """A router serving POST/GET /graphql; GET from a browser opens GraphiQL.

    `limits` defaults to the `limits` section of the authenticator's Settings.
    """
    limits = limits or Limits.from_settings(authenticator.settings.limits)
    app = _GraphQLApp(build_schema(limits), context_getter(get_registry, authenticator, limits))
    router = APIRouter()
    router.routes.append(Route("/graphql", app, methods=["GET", "POST"], include_in_schema=False))
    return router
