"""Per-request DataLoaders: nested fields are answered in batches, never one store query per parent.

Records are loaded with `RecordService.get_many` (two store calls per batch); a site's datasets with
`LinkService.hosted_datasets` (one query per batch). A record the caller may not read is a per-key
error, so a list of links simply leaves it out while a single field reports why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from registry.errors import FairgridError
from registry.model import Record, RevisionInfo
from registry.services.terms import Concept, below

if TYPE_CHECKING:
    from api.graphql.context import GraphQLContext


@dataclass(frozen=True)
class Loaded:
    """A record, or the error that kept it from this caller (kept as a value: DataLoader re-raises
    exceptions, and a list of links should skip what the caller may not read rather than fail)."""

    record: Record | None = None
    error: FairgridError | None = None

    def get(self) -> Record:
        if self.error is not None:
            raise self.error
        assert self.record is not None
        return self.record


class Loaders:
    def __init__(self, ctx: GraphQLContext) -> None:
        self._ctx = ctx
        self.records: DataLoader[str, Loaded] = DataLoader(load_fn=self._load_records)
        self.hosted: DataLoader[str, list[str]] = DataLoader(load_fn=self._load_hosted)
        self.concepts: DataLoader[str, Concept | None] = DataLoader(load_fn=self._load_concepts)
        self.descendants: DataLoader[str, list[Concept]] = DataLoader(load_fn=self._load_descendants)
        self.revisions: DataLoader[Record, list[RevisionInfo]] = DataLoader(
            load_fn=self._load_revisions, cache_key_fn=lambda r: r.iri
        )

    async def _load_records(self, iris: list[str]) -> list[Loaded]:
        ctx = self._ctx
        got = await ctx.run(ctx.registry.records.get_many, ctx.identity, iris)
        out: list[Loaded] = []
        for iri in iris:
            value = got[iri]
            out.append(Loaded(error=value) if isinstance(value, FairgridError) else Loaded(record=value))
        return out

    async def _load_hosted(self, sites: list[str]) -> list[list[str]]:
        ctx = self._ctx
        got = await ctx.run(ctx.links.hosted_datasets, ctx.identity, sites)
        return [got.get(s, []) for s in sites]

    async def _load_revisions(self, records: list[Record]) -> list[list[RevisionInfo]]:
        ctx = self._ctx
        got = await ctx.run(ctx.registry.records.histories, ctx.identity, records)
        return [got.get(r.iri, []) for r in records]

    async def _load_descendants(self, iris: list[str]) -> list[list[Concept]]:
        ctx = self._ctx
        every = await ctx.run(ctx.registry.terms.all_concepts)  # one refresh check per batch
        by_iri = {c.iri: c for c in every}
        return [below(by_iri, by_iri[i]) if i in by_iri else [] for i in iris]

    async def _load_concepts(self, iris: list[str]) -> list[Concept | None]:
        ctx = self._ctx
        # one terminology refresh check per batch, not one per concept
        every = await ctx.run(ctx.registry.terms.all_concepts)
        by_iri = {c.iri: c for c in every}
        return [by_iri.get(i) for i in iris]

    async def readable(self, iris: list[str]) -> list[Record]:
        """The records among `iris` this caller may read, in order (others are left out)."""
        if not iris:
            return []
        loaded = await self.records.load_many(iris)
        return [x.record for x in loaded if x.record is not None]
