"""bench/search_layers.py: its index and service layers run the search its GraphQL layer runs, so the
differences between layers are what each adds, not a different search."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from api.graphql.context import GraphQLContext
from api.graphql.limits import Limits
from api.graphql.schema import FairgridSchema
from bench.search import GQL, queries
from bench.search_layers import cpu_ms_interleaved, search_query
from registry.identity import Identity, Role
from registry.search.port import SearchQuery, SearchResult


class _Context(GraphQLContext):
    async def run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)


def test_index_and_service_layers_get_the_query_the_schema_builds() -> None:
    seen: list[SearchQuery] = []

    def search(identity: Identity, query: SearchQuery) -> SearchResult:
        seen.append(query)
        return SearchResult(hits=[], total=0, facets={}, end_cursor=None, has_next=False)

    registry: Any = SimpleNamespace(search=SimpleNamespace(search=search), links=None)
    who = Identity("bench", frozenset({Role.RESEARCHER}))
    limits = Limits()
    schema = FairgridSchema(limits)
    qs = queries()
    for q in qs:
        r = asyncio.run(schema.execute(GQL, variable_values=q, context_value=_Context(registry, who, limits)))
        assert r.errors is None
    assert seen == [search_query(q) for q in qs]


def test_interleaved_layers_are_each_timed_on_their_own() -> None:
    calls: list[tuple[str, int]] = []

    def busy(name: str, loops: int) -> Any:
        def fn(i: int) -> None:
            calls.append((name, i))
            sum(range(loops))

        return fn

    ms = cpu_ms_interleaved({"light": busy("light", 10), "heavy": busy("heavy", 200_000)}, 20)
    assert set(ms) == {"light", "heavy"} and ms["heavy"] > 10 * ms["light"]
    measured = calls[80:]  # after 40 warm-up rounds of both
    assert sorted(measured) == sorted([(n, i) for i in range(20) for n in ("light", "heavy")])
    assert [n for n, i in measured[:4]] == ["light", "heavy", "heavy", "light"]  # the first turn rotates
