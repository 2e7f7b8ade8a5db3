"""The search index port: what services may ask of a full-text index of records.

Adapters: `embedded.TantivyIndex` (default, a directory) and `opensearch.OpenSearchIndex` (OpenSearch or
Elasticsearch). Both pass `tests/registry/search/test_conformance.py`.

Semantics every adapter keeps:
- Text is matched with English stemming; every query term must occur in some text field (AND across
  terms, any field); ranking is BM25 with title > keywords > description > extra text boosts.
- Filters of one field match if the document has *any* of the given values; different fields AND.
  `diseases` arrives already expanded to descendant concepts by the caller.
- Facet counts are exact over the whole filtered result set, sorted by count desc then value.
- Ties are broken by IRI ascending, so paging is deterministic; `after` is an opaque cursor.
- `list_iris` pages through the documents that match filters (no text) in IRI order, by code point as
  Python and SPARQL order strings, with an offset (listings such as the catalogue). It answers pages
  ending within the adapter's `list_window` (OpenSearch's result window: 10,000) and refuses deeper
  ones, and negative offsets or limits, with LimitExceeded.
- `upsert` writes every document the engine can hold and returns the others (IRI -> why), after
  removing their older versions: one record the engine cannot hold (a value beyond its types) must
  not keep the records after it out of the index, nor leave a stale version searchable. An outage
  raises Unavailable and writes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Protocol, runtime_checkable

from registry.errors import InputError, LimitExceeded

MAX_FIRST = 100
# Each word of the text is a clause in every engine: 100,000 words (700 KB, any anonymous caller) cost
# 1.5 s of CPU in tantivy, and OpenSearch refuses over 1,024 clauses. A long title or a sentence fits.
MAX_TEXT = 1000
# Boosts shared by adapters so rankings agree in spirit.
FIELD_BOOSTS: dict[str, float] = {"title": 4.0, "keywords_text": 2.0, "description": 1.0, "text": 0.5}


class Facet(StrEnum):
    KIND = "kind"
    THEME = "theme"
    KEYWORD = "keyword"
    PUBLISHER = "publisher"
    ACCESS_RIGHTS = "access_rights"
    LICENSE = "license"
    HEALTH_CATEGORY = "health_category"
    CODING_SYSTEM = "coding_system"
    DISEASE = "disease"


class SearchSort(StrEnum):
    RELEVANCE = "relevance"
    TITLE = "title"
    MODIFIED_DESC = "modified_desc"
    ISSUED_DESC = "issued_desc"
    QUALITY_DESC = "quality_desc"  # best metadata-quality score first; unscored records last


# OpenSearch and Elasticsearch refuse a whole document with a keyword term over 32,766 UTF-8 bytes; 8,000
# characters always fit. Longer values are no facet value, organisation or label in any engine (their
# text stays searchable): a 40,000-character keyword kept a record out of OpenSearch, not out of tantivy.
TERM_CHARS = 8000


@dataclass(frozen=True)
class SearchDocument:
    """One record as the index sees it; built by the indexing service from the store."""

    iri: str
    kind: str
    title: str
    description: str = ""
    keywords: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    publisher: str | None = None
    publisher_label: str | None = None
    sites: list[str] = field(default_factory=list)
    access_rights: str | None = None
    license: str | None = None
    health_categories: list[str] = field(default_factory=list)
    coding_systems: list[str] = field(default_factory=list)
    diseases: list[str] = field(default_factory=list)
    unique_individuals: int | None = None
    issued: date | None = None
    modified: date | None = None
    # DCAT-AP dates may be a year or a month (xsd:gYear, xsd:gYearMonth): `issued` is the period's first
    # day, `issued_end` its last (None: the day itself). A date filter matches a period it overlaps.
    issued_end: date | None = None
    modified_end: date | None = None
    labels: dict[str, str] = field(default_factory=dict)
    text: str = ""
    deprecated: bool = False
    public: bool = True  # anyone may find it; False for consortium-only metadata (services/visibility.py)
    quality: float | None = None  # the revision's metadata-quality points (registry/services/quality.py)

    def facet_values(self, facet: Facet) -> list[str]:
        """The values this document contributes to `facet` (deduplicated, order kept)."""
        raw: list[str]
        if facet is Facet.KIND:
            raw = [self.kind]
        elif facet is Facet.THEME:
            raw = self.themes
        elif facet is Facet.KEYWORD:
            raw = self.keywords
        elif facet is Facet.PUBLISHER:
            raw = [self.publisher] if self.publisher else []
        elif facet is Facet.ACCESS_RIGHTS:
            raw = [self.access_rights] if self.access_rights else []
        elif facet is Facet.LICENSE:
            raw = [self.license] if self.license else []
        elif facet is Facet.HEALTH_CATEGORY:
            raw = self.health_categories
        elif facet is Facet.CODING_SYSTEM:
            raw = self.coding_systems
        else:
            raw = self.diseases
        return [v for v in dict.fromkeys(raw) if len(v) <= TERM_CHARS]

    def texts(self) -> tuple[str, ...]:
        """The text that search matches: title, description, text and keywords."""
        return (self.title, self.description, self.text, *self.keywords)

    def orgs(self) -> list[str]:
        """The publisher and the sites that hold the data (the `publishers` filter matches either)."""
        both = [*([self.publisher] if self.publisher else []), *self.sites]
        return [v for v in dict.fromkeys(both) if len(v) <= TERM_CHARS]

    def all_labels(self) -> dict[str, str]:
        out = dict(self.labels)
        if self.publisher and self.publisher_label:
            out.setdefault(self.publisher, self.publisher_label)
        return out


@dataclass(frozen=True)
class SearchFilter:
    kinds: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    publishers: list[str] = field(default_factory=list)  # matches the publisher or any site
    access_rights: list[str] = field(default_factory=list)
    licenses: list[str] = field(default_factory=list)
    health_categories: list[str] = field(default_factory=list)
    coding_systems: list[str] = field(default_factory=list)
    diseases: list[str] = field(default_factory=list)  # already expanded to descendants
    min_unique_individuals: int | None = None
    min_quality: float | None = None  # metadata-quality points at least this (unscored records never match)
    issued_from: date | None = None
    issued_to: date | None = None
    modified_from: date | None = None
    modified_to: date | None = None
    include_deprecated: bool = False
    public_only: bool = False  # leave out what needs a consortium role (callers without one)

    def term_filters(self) -> list[tuple[str, list[str]]]:
        """(index field, accepted values) for every exact-match filter; a record matches a filter
        when it has any of the values, and must match every filter that has values."""
        return [
            ("kind", self.kinds),
            ("theme", self.themes),
            ("keyword", self.keywords),
            ("orgs", self.publishers),
            ("access_rights", self.access_rights),
            ("license", self.licenses),
            ("health_category", self.health_categories),
            ("coding_system", self.coding_systems),
            ("disease", self.diseases),
        ]


@dataclass(frozen=True)
class SearchQuery:
    text: str | None = None
    filters: SearchFilter = field(default_factory=SearchFilter)
    facets: list[Facet] = field(default_factory=list)
    first: int = 20
    after: str | None = None
    sort: SearchSort = SearchSort.RELEVANCE
    # Highlighted snippets cost a second pass over each hit's text: callers that show none (a GraphQL
    # query that selects no `snippet`) say so, and hits then carry an empty snippet.
    snippets: bool = True

    def check(self) -> None:
        """Reject requests no adapter should run; adapters call this first."""
        if self.first > MAX_FIRST:
            raise LimitExceeded(f"first={self.first} exceeds the maximum page size {MAX_FIRST}")
        if self.first < 0:
            raise LimitExceeded(f"first={self.first} must not be negative")
        if self.text and len(self.text) > MAX_TEXT:
            raise LimitExceeded(
                f"the search text has {len(self.text):,} characters, over the {MAX_TEXT:,} a search takes",
                hint="search for a few words; filters narrow the hits further",
            )
        for f in self.facets:
            Facet(f)  # ValueError for unknown names is turned into InputError by the caller's parser
        SearchSort(self.sort)
        # a GraphQL Float literal of 1e999 reads as infinity (graphql-core checks variables, not literals)
        if self.filters.min_quality is not None and not math.isfinite(self.filters.min_quality):
            raise InputError(
                f"minQuality {self.filters.min_quality} is not a finite number",
                hint="give the least score, e.g. 50",
            )


@dataclass(frozen=True)
class SearchHit:
    iri: str
    kind: str
    title: str
    snippet: str
    score: float


@dataclass(frozen=True)
class FacetBucket:
    value: str
    label: str
    count: int


@dataclass(frozen=True)
class SearchResult:
    hits: list[SearchHit]
    total: int
    facets: dict[str, list[FacetBucket]]
    end_cursor: str | None
    has_next: bool


@dataclass(frozen=True)
class IriPage:
    iris: list[str]  # in IRI order
    total: int  # every document matching the filters


def check_listing(offset: int, limit: int, window: int) -> None:
    """Refuse a `list_iris` page no adapter should answer; adapters call this first."""
    if offset < 0 or limit < 0:
        raise LimitExceeded(f"offset={offset} and limit={limit} must not be negative")
    if offset + limit > window:
        raise LimitExceeded(f"a listing reaches {window:,} documents deep; offset={offset} + limit={limit}")


@runtime_checkable
class SearchIndex(Protocol):
    # True when searches are local CPU work of milliseconds (no network, no unbounded waits).
    in_process: bool
    # How deep `list_iris` pages reach (offset + limit).
    list_window: int

    def upsert(self, docs: Sequence[SearchDocument]) -> dict[str, str]: ...

    def delete(self, iris: Sequence[str]) -> None: ...

    def search(self, q: SearchQuery) -> SearchResult: ...

    def list_iris(self, filters: SearchFilter, offset: int, limit: int) -> IriPage: ...

    def count(self) -> int: ...

    def clear(self) -> None: ...

    def rebuild(self, docs: Iterable[SearchDocument]) -> int: ...

    def ping(self) -> bool: ...

    def close(self) -> None: ...
