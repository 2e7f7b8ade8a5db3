"""Search results (a connection with facets and a cursor) and mutation payloads."""

from __future__ import annotations

import strawberry

from api.graphql.concepts import Ctx
from api.graphql.types import RecordNode, to_node
from registry.model import Record
from registry.search.port import Facet, SearchHit, SearchResult
from registry.vocab import Kind


@strawberry.type
class Hit:
    # Plain fields, not resolvers: a page of hits is the hot path of every search, and a resolver per
    # field costs Strawberry several times as much as reading an attribute.
    iri: str
    kind: Kind
    title: str
    snippet: str = strawberry.field(
        description="Matching text, HTML-escaped, with the query terms in <em>...</em>."
    )
    score: float

    @strawberry.field(description="The full record (loaded in one batch for the whole page).")
    async def record(self, info: Ctx) -> RecordNode:
        loaded = await info.context.loaders.records.load(self.iri)
        return to_node(loaded.get())

    @staticmethod
    def of(h: SearchHit) -> Hit:
        return Hit(iri=h.iri, kind=Kind(h.kind), title=h.title, snippet=h.snippet, score=h.score)


@strawberry.type
class FacetBucket:
    value: str
    label: str
    count: int


@strawberry.type
class FacetResult:
    facet: Facet
    buckets: list[FacetBucket]


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(description="One page of search hits, the total and exact facet counts of the filtered set.")
class SearchConnection:
    hits: list[Hit]
    total_count: int
    facets: list[FacetResult]
    page_info: PageInfo

    @staticmethod
    def of(result: SearchResult) -> SearchConnection:
        return SearchConnection(
            hits=[Hit.of(h) for h in result.hits],
            total_count=result.total,
            facets=[
                FacetResult(
                    facet=Facet(name),
                    buckets=[FacetBucket(value=b.value, label=b.label, count=b.count) for b in buckets],
                )
                for name, buckets in result.facets.items()
            ],
            page_info=PageInfo(has_next_page=result.has_next, end_cursor=result.end_cursor),
        )


@strawberry.type
class RegisterRecordPayload:
    records: list[RecordNode]

    @staticmethod
    def of(records: list[Record]) -> RegisterRecordPayload:
        return RegisterRecordPayload(records=[to_node(r) for r in records])


@strawberry.type
class RecordPayload:
    record: RecordNode

    @staticmethod
    def of(record: Record) -> RecordPayload:
        return RecordPayload(record=to_node(record))
