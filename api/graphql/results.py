"""Search results (a connection with facets and a cursor) and mutation payloads."""

from __future__ import annotations

import strawberry

from api.graphql.concepts import Ctx
from api.graphql.types import RecordNode, to_node
from registry.model import Record
from registry.search.port import Facet, SearchHit, SearchResult
from registry.services.search import SyncReport
from registry.vocab import Kind


@strawberry.type
class Hit:
    h: strawberry.Private[SearchHit]

    @strawberry.field
    def iri(self) -> str:
        return self.h.iri

    @strawberry.field
    def kind(self) -> Kind:
        return Kind(self.h.kind)

    @strawberry.field
    def title(self) -> str:
        return self.h.title

    @strawberry.field(description="Matching text, HTML-escaped, with the query terms in <em>...</em>.")
    def snippet(self) -> str:
        return self.h.snippet

    @strawberry.field
    def score(self) -> float:
        return self.h.score

    @strawberry.field(description="The full record (loaded in one batch for the whole page).")
    async def record(self, info: Ctx) -> RecordNode:
        loaded = await info.context.loaders.records.load(self.h.iri)
        return to_node(loaded.get())


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
            hits=[Hit(h=h) for h in result.hits],
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


@strawberry.type(description="How far the search index caught up after a write (it never fails the write).")
class IndexSync:
    indexed: int
    pending: int
    error: str | None

    @staticmethod
    def of(report: SyncReport) -> IndexSync:
        return IndexSync(indexed=report.indexed, pending=report.pending, error=report.error)


@strawberry.type
class RegisterRecordPayload:
    records: list[RecordNode]
    index: IndexSync

    @staticmethod
    def of(records: list[Record], report: SyncReport) -> RegisterRecordPayload:
        return RegisterRecordPayload(records=[to_node(r) for r in records], index=IndexSync.of(report))


@strawberry.type
class RecordPayload:
    record: RecordNode
    index: IndexSync

    @staticmethod
    def of(record: Record, report: SyncReport) -> RecordPayload:
        return RecordPayload(record=to_node(record), index=IndexSync.of(report))
