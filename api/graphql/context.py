"""The per-request context: who is calling, the registry, the request's DataLoaders and its limits."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from starlette.requests import Request
from strawberry.fastapi import BaseContext

from api.auth import Authenticator
from api.graphql.limits import Limits
from api.graphql.loaders import Loaders
from registry.errors import FairgridError
from registry.identity import ANONYMOUS, Identity
from registry.wiring import Registry

P = ParamSpec("P")
T = TypeVar("T")


class GraphQLContext(BaseContext):
    def __init__(
        self, registry: Registry, identity: Identity, limits: Limits, auth_error: FairgridError | None = None
    ) -> None:
        super().__init__()
        self.registry = registry
        self.limits = limits
        self.links = registry.links
        self._identity = identity
        self._auth_error = auth_error
        self.loaders = Loaders(self)
        self.feasibility: Any = None

    @property
    def identity(self) -> Identity:
        """The caller; a bad Authorization header fails each field that needs it, with its own error."""
        if self._auth_error is not None:
            raise self._auth_error
        return self._identity

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a (blocking) service call in a worker thread, so the deadline can cancel the wait."""
        return await asyncio.to_thread(fn, *args, **kwargs)


def context_getter(
    get_registry: Callable[[], Registry], authenticator: Authenticator, limits: Limits
) -> Callable[[Request], Awaitable[GraphQLContext]]:
    async def get_context(request: Request) -> GraphQLContext:
        header = request.headers.get("authorization")
        try:
            # a JWKS lookup may go over the network: keep it off the event loop (unless already verified)
            known = authenticator.cached(header)
            identity = known if known is not None else await asyncio.to_thread(authenticator.identity, header)
        except FairgridError as exc:
            ctx = GraphQLContext(get_registry(), ANONYMOUS, limits, exc)
        else:
            ctx = GraphQLContext(get_registry(), identity, limits)
        # the hub's feasibility service lives on the app (api/federation.py): absent in a bare schema
        ctx.feasibility = getattr(request.app.state, "feasibility", None)
        return ctx

    return get_context
