"""The GraphQL API at /graphql (Strawberry; GraphiQL in the browser).

`graphql_router(get_registry, authenticator)` is what the app factory mounts.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter
from strawberry.fastapi import GraphQLRouter

from api.auth import Authenticator
from api.graphql.context import GraphQLContext, context_getter
from api.graphql.limits import Limits
from api.graphql.schema import FairgridSchema, build_schema
from registry.wiring import Registry

__all__ = ["FairgridSchema", "GraphQLContext", "Limits", "build_schema", "graphql_router"]


def graphql_router(
    get_registry: Callable[[], Registry], authenticator: Authenticator, limits: Limits | None = None
) -> APIRouter:
    """A router serving POST/GET /graphql; GET from a browser opens GraphiQL.

    `limits` defaults to `Limits.from_env()` (FAIRGRID_GRAPHQL_MAX_DEPTH, ..._MAX_ALIASES,
    ..._MAX_TOKENS, ..._TIMEOUT_S).
    """
    limits = limits or Limits.from_env()
    router: GraphQLRouter[GraphQLContext, None] = GraphQLRouter(
        build_schema(limits),
        path="/graphql",
        graphql_ide="graphiql",
        context_getter=context_getter(get_registry, authenticator, limits),
    )
    return router
