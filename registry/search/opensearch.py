"""Search index on OpenSearch (or Elasticsearch): the scale-out adapter.

Records live in a versioned index `<alias>-v<timestamp>` reached through the alias `<alias>`
(default `fairgrid-records`). `rebuild` fills a fresh index and moves the alias in one atomic
`_aliases` call, so searches never see a half-built index. The index has one shard, which makes
terms-aggregation counts (the facets) exact. Paging uses `search_after` on (sort key, iri).
Writes made while a rebuild runs go to the old index and are lost at the swap: rebuild from the store
after such writes, or pause indexing meanwhile.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from registry.errors import InputError
from registry.folding import other_spellings
from registry.search import common
from registry.search.common import FACET_FIELDS, FACET_SIZE
from registry.search.engines import Engine
from registry.search.opensearch_query import build_query
from registry.search.port import (
    Facet,
    FacetBucket,
    IriPage,
    SearchDocument,
    SearchFilter,
    SearchHit,
    SearchQuery,
    SearchResult,
    SearchSort,
    check_listing,
)

DEFAULT_ALIAS = "fairgrid-records"
_KW: dict[str, Any] = {"type": "keyword"}
_EN: dict[str, Any] = {"type": "text", "analyzer": "fg_english"}
_EN_KW: dict[str, Any] = {**_EN, "fields": {"keyword": {"type": "keyword", "ignore_above": 1024}}}
MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "iri": _KW,
        "title": _EN_KW,
        "description": _EN,
        "keywords_text": _EN_KW,
        "text": _EN,
        "spellings": _EN,
        **{name: _KW for name in FACET_FIELDS.values()},
        "orgs": _KW,
        "label_pairs": _KW,
        "sort_title": _KW,
        "individuals": {"type": "long"},
        "quality": {"type": "double"},
        "issued": {"type": "date", "format": "strict_date"},
        "modified": {"type": "date", "format": "strict_date"},
        "issued_end": {"type": "date", "format": "strict_date"},  # a period's last day (port.py)
        "modified_end": {"type": "date", "format": "strict_date"},
        "deprecated": {"type": "boolean"},
        "public": {"type": "boolean"},
    },
}
# The engines' built-in "english" analyzer, rebuilt as their documentation shows, with asciifolding after
# lowercase: "waldenstrom" finds "Waldenström", as in the embedded index (tantivy's ascii_fold).
ANALYSIS: dict[str, Any] = {
    "filter": {
        "fg_english_possessive": {"type": "stemmer", "language": "possessive_english"},
        "fg_english_stop": {"type": "stop", "stopwords": "_english_"},
        "fg_english_stemmer": {"type": "stemmer", "language": "english"},
    },
    "analyzer": {
        "fg_english": {
            "tokenizer": "standard",
            "filter": [
                "fg_english_possessive",
                "lowercase",
                "asciifolding",
                "fg_english_stop",
                "fg_english_stemmer",
            ],
        }
    },
}
SETTINGS: dict[str, Any] = {"number_of_shards": 1, "number_of_replicas": 0, "analysis": ANALYSIS}
log = logging.getLogger(__name__)

_SORTS: dict[SearchSort, list[Any]] = {
    SearchSort.RELEVANCE: [{"_score": "desc"}, {"iri": "asc"}],
    SearchSort.TITLE: [{"sort_title": "asc"}, {"iri": "asc"}],
    SearchSort.MODIFIED_DESC: [{"modified": {"order": "desc", "missing": "_last"}}, {"iri": "asc"}],
    SearchSort.ISSUED_DESC: [{"issued": {"order": "desc", "missing": "_last"}}, {"iri": "asc"}],
    SearchSort.QUALITY_DESC: [{"quality": {"order": "desc", "missing": "_last"}}, {"iri": "asc"}],
}


def doc_id(iri: str) -> str:
    """The engine's id of a record's document: its IRI, or for an IRI over the engines' 512-byte id limit
    (a request with one was refused whole, and the outbox drain retried it forever) a digest of it."""
    raw = iri.encode()
    return iri if len(raw) <= 512 else "sha256:" + hashlib.sha256(raw).hexdigest()


def to_source(d: SearchDocument) -> dict[str, Any]:
    src: dict[str, Any] = {
        "iri": d.iri,
        "kind": d.kind,
        "title": d.title,
        "description": d.description,
        "keywords_text": d.keywords,
        "text": d.text,
        # the other spelling of words that have one: "Haematology" is found as "hematology" too
        "spellings": " ".join(filter(None, map(other_spellings, d.texts()))),
        "orgs": d.orgs(),
        "label_pairs": common.label_pairs(d),
        "sort_title": common.title_key(d.title),
        "individuals": d.unique_individuals,
        "quality": d.quality,
        "issued": d.issued.isoformat() if d.issued else None,
        "modified": d.modified.isoformat() if d.modified else None,
        "issued_end": (d.issued_end or d.issued).isoformat() if d.issued else None,
        "modified_end": (d.modified_end or d.modified).isoformat() if d.modified else None,
        "deprecated": d.deprecated,
        "public": d.public,
    }
    for facet, name in FACET_FIELDS.items():
        if facet is not Facet.KIND:
            src[name] = d.facet_values(facet)
    return src


class OpenSearchIndex:
    """`SearchIndex` on an OpenSearch/Elasticsearch cluster at `url`, under alias `alias`.

    `refresh=True` makes every write visible to the next search (tests, small deployments).
    """

    in_process = False  # every call is a network round trip: keep it off an event loop
    list_window = 10_000  # the engines' default index.max_result_window: `from` + `size` past it fails

    def __init__(
        self, url: str, *, alias: str = DEFAULT_ALIAS, refresh: bool = False, timeout: float = 30.0
    ) -> None:
        self.url = url
        self.alias = alias
        self.refresh = refresh
        self.timeout = timeout
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        # Connect lazily: opening the adapter must not fail while the engine is still starting.
        if self._engine is None:
            self._engine = Engine(self.url, timeout=self.timeout)
        return self._engine

    def _q(self, name: str) -> str:
        return urllib.parse.quote(name, safe="")

    # --- indices and the alias ----------------------------------------------------------------

    def _alias_targets(self) -> list[str]:
        out = self.engine.call_opt("GET", f"/_alias/{self._q(self.alias)}")
        return sorted(out) if out else []

    def _create_index(self, with_alias: bool) -> str:
        name = f"{self.alias}-v{time.time_ns()}"
        body: dict[str, Any] = {"settings": SETTINGS, "mappings": MAPPING}
        if with_alias:
            body["aliases"] = {self.alias: {}}
        self.engine.call("PUT", f"/{self._q(name)}", body)
        return name

    def _ensure(self) -> None:
        if not self._alias_targets():
            self._create_index(with_alias=True)

    def _actions(self, docs: Iterable[SearchDocument], index: str) -> Iterator[dict[str, Any]]:
        for d in docs:
            yield {"_op_type": "index", "_index": index, "_id": doc_id(d.iri), "_source": to_source(d)}

    # --- port ---------------------------------------------------------------------------------

    def upsert(self, docs: Sequence[SearchDocument]) -> dict[str, str]:
        if not docs:
            return {}
        self._ensure()
        latest = {d.iri: d for d in docs}
        _n, by_id = self.engine.bulk(self._actions(latest.values(), self.alias), refresh=self.refresh)
        iris = {doc_id(iri): iri for iri in latest}
        refused = {iris.get(i, i): why for i, why in by_id.items()}
        if refused:  # the older versions of what the engine would not take must not stay searchable
            self.delete(list(refused))
        return refused

    def delete(self, iris: Sequence[str]) -> None:
        if not iris or not self._alias_targets():
            return
        ids = dict.fromkeys(doc_id(i) for i in iris)
        actions = ({"_op_type": "delete", "_index": self.alias, "_id": i} for i in ids)
        self.engine.bulk(actions, refresh=self.refresh, ignore=(404,))

    def count(self) -> int:
        out = self.engine.call_opt("GET", f"/{self._q(self.alias)}/_count")
        return int(out["count"]) if out else 0

    def clear(self) -> None:
        self.rebuild([])

    def rebuild(self, docs: Iterable[SearchDocument]) -> int:
        new = self._create_index(with_alias=False)
        try:
            n, refused = self.engine.bulk(self._actions(docs, new), refresh=False)
            if refused:
                log.error("rebuild left out %d document(s) the engine refused: %s", len(refused), refused)
            self.engine.call("POST", f"/{self._q(new)}/_refresh")
            old = self._alias_targets()
            actions: list[dict[str, Any]] = [{"remove": {"index": i, "alias": self.alias}} for i in old]
            actions.append({"add": {"index": new, "alias": self.alias}})
            self.engine.call("POST", "/_aliases", {"actions": actions})
        except BaseException:
            self.engine.call_opt("DELETE", f"/{self._q(new)}")
            raise
        for i in old:
            self.engine.call_opt("DELETE", f"/{self._q(i)}")
        return n

    def drop(self) -> None:
        """Delete the alias and every index behind it (tests use it to clean up)."""
        for i in self._alias_targets():
            self.engine.call_opt("DELETE", f"/{self._q(i)}")

    def ping(self) -> bool:
        try:
            out = self.engine.call_opt("GET", "/")
            return out is not None
        except Exception:
            return False

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    def search(self, q: SearchQuery) -> SearchResult:
        q.check()
        body: dict[str, Any] = {
            "query": build_query(q.text, q.filters),
            "size": q.first,
            "sort": _SORTS[SearchSort(q.sort)],
            "track_total_hits": True,
            "_source": ["iri", "kind", "title", *(["description"] if q.snippets else [])],
        }
        offset = 0
        if q.after:
            state = common.decode_cursor(q.after, "a")
            if state.get("s") != str(q.sort):
                raise InputError(
                    "the `after` cursor belongs to another sort order", hint="page from the start"
                )
            body["search_after"], offset = _search_after(state["a"], q.sort), common.cursor_offset(state)
        if q.facets:
            aggs = {
                str(f): {"terms": {"field": FACET_FIELDS[Facet(f)], "size": FACET_SIZE}} for f in q.facets
            }
            aggs["_labels"] = {"terms": {"field": "label_pairs", "size": FACET_SIZE}}
            body["aggs"] = aggs
        has_text = bool(q.text and q.text.strip())
        if has_text and q.snippets:
            body["highlight"] = {
                "encoder": "html",
                "pre_tags": ["<em>"],
                "post_tags": ["</em>"],
                "fields": {
                    "description": {"number_of_fragments": 1, "fragment_size": common.SNIPPET_CHARS},
                    "text": {"number_of_fragments": 1, "fragment_size": common.SNIPPET_CHARS},
                },
            }
        # One round trip: a missing alias (nothing indexed yet) is a 404, answered as an empty result.
        out = self.engine.call_opt("POST", f"/{self._q(self.alias)}/_search", body)
        if out is None:
            return SearchResult(
                hits=[], total=0, facets={str(f): [] for f in q.facets}, end_cursor=None, has_next=False
            )
        raw_hits = out["hits"]["hits"]
        total = int(out["hits"]["total"]["value"])
        hits = [self._hit(h, has_text, q.snippets) for h in raw_hits]
        end = offset + len(hits)
        cursor = q.after
        if raw_hits:
            cursor = common.encode_cursor({"a": raw_hits[-1]["sort"], "o": end, "s": str(q.sort)})
        return SearchResult(
            hits=hits,
            total=total,
            facets=self._facets(out.get("aggregations", {}), q.facets),
            end_cursor=cursor,
            has_next=end < total,
        )

    def list_iris(self, filters: SearchFilter, offset: int, limit: int) -> IriPage:
        check_listing(offset, limit, self.list_window)
        body: dict[str, Any] = {
            "query": build_query(None, filters),
            "from": offset,
            "size": limit,
            "sort": [{"iri": "asc"}],
            "track_total_hits": True,
            "_source": ["iri"],
        }
        out = self.engine.call_opt("POST", f"/{self._q(self.alias)}/_search", body)
        if out is None:  # nothing indexed yet
            return IriPage([], 0)
        hits = out["hits"]["hits"]
        return IriPage([h["_source"]["iri"] for h in hits], int(out["hits"]["total"]["value"]))

    def _hit(self, h: dict[str, Any], has_text: bool, snippets: bool) -> SearchHit:
        src = h["_source"]
        hl = h.get("highlight", {})
        snippet = next((v[0] for k in ("description", "text") if (v := hl.get(k))), "")
        if not snippet and snippets:
            snippet = common.plain_snippet(src.get("description") or "")
        score = h.get("_score")
        return SearchHit(
            iri=src["iri"],
            kind=src["kind"],
            title=src.get("title") or "",
            snippet=snippet,
            score=float(score) if has_text and score is not None else 0.0,
        )

    def _facets(self, aggs: dict[str, Any], facets: list[Facet]) -> dict[str, list[FacetBucket]]:
        if not facets:
            return {}
        labels = common.labels_from_pairs((b["key"], b["doc_count"]) for b in aggs["_labels"]["buckets"])
        return {
            str(f): common.buckets(((b["key"], b["doc_count"]) for b in aggs[str(f)]["buckets"]), labels)
            for f in facets
        }


def _search_after(values: Any, sort: SearchSort) -> list[Any]:
    """A cursor's sort values, as the engine gave them: one scalar per sort key. Anything else is a
    forged cursor, refused here with the embedded index's message rather than sent on to the engine."""
    fits = isinstance(values, list) and len(values) == len(_SORTS[SearchSort(sort)])
    if not fits or not all(_sort_value(v) for v in values):
        raise InputError("the `after` cursor is not one this index issued", hint="page from the start")
    return values


def _sort_value(v: Any) -> bool:
    if isinstance(v, float):
        return math.isfinite(v)
    return v is None or (isinstance(v, int | str) and not isinstance(v, bool))
