"""The registry's catalogue, one page of records at a time, as this caller may see it.

Paging and the total count the same records the caller may read: drafts that were never published
are left out for non-curators, consortium-only metadata for callers without a consortium role (rules
in services/visibility.py). Deprecated records (tombstones) stay listed. The page is read with one
batched `get_many`, so a page holds `limit` records whenever that many remain.

Where the page's IRIs come from:
- the search index, for callers who see what it holds (everyone but curators: drafts are not
  indexed): it keeps every published record with its public flag, so it answers the page's IRIs and
  the total in IRI order at a cost of the page, not of the catalogue. The index follows writes through
  the outbox, moments after each commit: right after a write a page may still list the record as it
  was (a new record missing, a deprecated one not yet marked, the total one behind) until the drainer
  ran. What the page shows of each record is read from the store, and a record the caller may no
  longer read is left off (a page may then hold fewer than `limit`).
- the store, for curators, when the index is unavailable, holds nothing, or cannot page that deep:
  one query finds every visible head and they are ordered here, a cost in proportion to the catalogue.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from registry.errors import LimitExceeded, Unavailable
from registry.identity import Identity, Role
from registry.model import META_GRAPH, Record
from registry.search.port import SearchFilter, SearchIndex
from registry.services.records import RecordService
from registry.services.visibility import public_pattern, sees_consortium_metadata
from registry.sparql_text import iri, literal
from registry.store.port import RecordStore
from registry.vocab import FG, Kind

log = logging.getLogger(__name__)
_META = iri(META_GRAPH)
_HEAD = iri(FG + "head")
_KIND = iri(FG + "recordKind")
_REVISION_OF = iri(FG + "revisionOf")
_DRAFT = iri(FG + "draft")
MAX_PAGE = 1000


@dataclass(frozen=True)
class CatalogPage:
    records: list[Record]
    total: int  # records in the whole catalogue (of that kind) this caller may see


class CatalogService:
    def __init__(self, store: RecordStore, records: RecordService, index: SearchIndex | None = None):
        self.store = store
        self.records = records
        self.index = index

    def _pattern(self, identity: Identity, kind: Kind | None) -> str:
        where = f"GRAPH {_META} {{ ?r {_HEAD} ?head . "
        where += f"?head {_KIND} {literal(kind.value)} }}" if kind is not None else "}"
        if not identity.has(Role.CURATOR):  # a record whose revisions are all drafts is not there yet
            where += (
                f" FILTER EXISTS {{ GRAPH {_META} {{ ?p {_REVISION_OF} ?r "
                f"FILTER NOT EXISTS {{ ?p {_DRAFT} true }} }} }}"
            )
        if not sees_consortium_metadata(identity):
            where += " " + public_pattern("?r")
        return where

    def page(self, identity: Identity, kind: Kind | None, offset: int, limit: int) -> CatalogPage:
        limit = max(0, min(limit, MAX_PAGE))
        offset = max(0, offset)
        listed = self._from_index(identity, kind, offset, limit)
        iris, total = listed if listed is not None else self._from_store(identity, kind, offset, limit)
        found = self.records.get_many(identity, iris)
        recs = [r for r in (found[i] for i in iris) if isinstance(r, Record)]
        return CatalogPage(recs, total)

    def _from_index(
        self, identity: Identity, kind: Kind | None, offset: int, limit: int
    ) -> tuple[list[str], int] | None:
        """The page's IRIs and the total from the search index, or None where the store must answer."""
        if self.index is None or identity.has(Role.CURATOR) or offset + limit > self.index.list_window:
            return None
        f = SearchFilter(
            kinds=[kind.value] if kind is not None else [],
            include_deprecated=True,
            public_only=not sees_consortium_metadata(identity),
        )
        try:
            found = self.index.list_iris(f, offset, limit)
        except (Unavailable, LimitExceeded, OSError) as exc:
            log.warning("catalogue page read from the store: the search index cannot list it (%s)", exc)
            return None
        # An index that holds nothing of this (never built, or rebuilt from scratch) is not trusted
        # to mean an empty catalogue; the store then answers, quickly when it is empty too.
        return (found.iris, found.total) if found.total > 0 else None

    def _from_store(
        self, identity: Identity, kind: Kind | None, offset: int, limit: int
    ) -> tuple[list[str], int]:
        # One query for the page and the count, ordered here: Oxigraph's ORDER BY compares decoded terms
        # and took 2 s over 20,000 heads whose matching took a tenth of that (catalogue pages under load
        # timed out); Python orders IRIs by code point, as SPARQL's ORDER BY does.
        rows = self.store.query(f"SELECT ?r WHERE {{ {self._pattern(identity, kind)} }}")
        ordered = sorted(row["r"].value for row in rows)
        return ordered[offset : offset + limit], len(ordered)
