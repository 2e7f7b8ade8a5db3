"""Full-text search over records: the port, its two adapters and `open_index` to pick one."""

from __future__ import annotations

import os
from pathlib import Path

from registry.search.port import (
    MAX_FIRST,
    Facet,
    FacetBucket,
    IriPage,
    SearchDocument,
    SearchFilter,
    SearchHit,
    SearchIndex,
    SearchQuery,
    SearchResult,
    SearchSort,
)

__all__ = [
    "MAX_FIRST",
    "Facet",
    "FacetBucket",
    "IriPage",
    "SearchDocument",
    "SearchFilter",
    "SearchHit",
    "SearchIndex",
    "SearchQuery",
    "SearchResult",
    "SearchSort",
    "open_index",
]


def open_index(
    url_or_path: str | os.PathLike[str], *, alias: str | None = None, refresh: bool = False
) -> SearchIndex:
    """An http(s) URL opens the OpenSearch/Elasticsearch adapter; anything else is a directory for the
    embedded tantivy index."""
    target = os.fspath(url_or_path)
    if target.startswith(("http://", "https://")):
        from registry.search.opensearch import DEFAULT_ALIAS, OpenSearchIndex

        return OpenSearchIndex(target, alias=alias or DEFAULT_ALIAS, refresh=refresh)
    from registry.search.embedded import TantivyIndex

    return TantivyIndex(Path(target))
