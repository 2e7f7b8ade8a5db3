"""Embedded search index: tantivy (via tantivy-py) in a directory.

Why tantivy rather than SQLite FTS5: BM25 with per-field boosts, English stemming, snippets, sorting on
fast fields and exact terms aggregations (our facets) are built in and run in Rust, so facet counts over
100k matching records stay in the milliseconds; FTS5 would need facets counted in Python or in
extra SQL per facet.

Durability: tantivy commits are atomic (a new meta.json replaces the old one), so a process killed
mid-write leaves the last committed state. The index lives in a *generation* folder `gen-<n>`; the file
`CURRENT` names the live one. `rebuild` fills a new generation and then swaps `CURRENT` with an atomic
rename, so readers never see a half-built index. One writing process per directory (tantivy's writer
lock enforces it); any number of readers.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import tantivy

from registry import locks
from registry.errors import Unavailable
from registry.files import write_atomic
from registry.search import common, tantivy_query, tantivy_ties
from registry.search.common import FACET_FIELDS, FACET_SIZE
from registry.search.port import (
    Facet,
    IriPage,
    SearchDocument,
    SearchFilter,
    SearchHit,
    SearchQuery,
    SearchResult,
    SearchSort,
    check_listing,
)
from registry.search.tantivy_docs import (
    SORT_FIELDS,
    TOKENIZER,
    analyzer,
    schema,
    to_tantivy,
)

_WRITER_HEAP = 64_000_000
log = logging.getLogger(__name__)


class _OlderSchema(Exception):
    """The index folder was written with another schema (an older fairgrid's fields)."""


class TantivyIndex:
    """`SearchIndex` over a tantivy index under `path` (created when missing)."""

    # Searches run in this process and take milliseconds of CPU: callers may run them inline rather
    # than hand them to a thread (where they would wait for the GIL behind request handling).
    in_process = True
    # listings are a terms aggregation of offset + limit buckets: tantivy's default bucket limit
    list_window = 65_000

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._schema = schema()
        self._analyzer = analyzer()
        self._lock = threading.RLock()
        self._gen: str | None = None
        self._index: tantivy.Index | None = None
        self._labels: tuple[tuple[str, int, int], dict[str, str]] | None = None
        self._seen: tuple[str, int, int] | None = None  # last committed state the reader was reloaded to
        self._pointer: tuple[int, int, int] | None = None  # stat of CURRENT when last read
        self._iri_sorted: dict[str, bool] = {}  # per generation: segments kept in IRI order
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            self._current()
        except OSError as e:
            raise Unavailable(f"cannot open the search index at {self.path}: {e}") from e

    # --- generations --------------------------------------------------------------------------

    def _open_gen(self, gen: str) -> tantivy.Index:
        folder = self.path / gen
        folder.mkdir(parents=True, exist_ok=True)
        try:
            # sorted by IRI, score ties come out in IRI order within a segment (tantivy_ties); an
            # existing index keeps the sorting it was created with
            index = tantivy.Index(
                self._schema, path=str(folder), reuse=True, sort_by_field=tantivy_ties.SORT_FIELD
            )
        except ValueError as e:  # tantivy reports I/O and schema problems as ValueError
            if "schema does not match" in str(e):
                raise _OlderSchema(str(e)) from e
            raise Unavailable(f"cannot open the search index at {folder}: {e}") from e
        index.register_tokenizer(TOKENIZER, self._analyzer)
        # the live generation and the one being opened (a rebuild's, before its swap): no others
        self._iri_sorted = {g: v for g, v in self._iri_sorted.items() if g == self._gen}
        self._iri_sorted[gen] = tantivy_ties.sorted_by_iri(folder)
        return index

    def _current(self) -> tantivy.Index:
        """The live generation's index; follows a swap made by another process."""
        pointer = self.path / "CURRENT"
        # A swap replaces the file (new inode): while its stat is unchanged, the generation is too, and
        # a stat costs a fifth of reading the file, on every search.
        try:
            st = os.stat(pointer)
            key = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            key = None
        if key is not None and key == self._pointer and self._index is not None:
            return self._index
        try:
            gen = pointer.read_text().strip()
        except FileNotFoundError:
            gen = ""
        with self._lock:
            self._pointer = key
            if not gen:
                gen = "gen-0"
                self._open_gen(gen)
                self._write_pointer(gen)
            if gen != self._gen or self._index is None:
                try:
                    self._index, self._gen = self._open_gen(gen), gen
                except _OlderSchema:
                    # built by an older fairgrid (fewer fields): start empty; the search service sees
                    # the older INDEX_RULES and rebuilds it from the store on its first drain
                    log.warning("search index at %s has an older schema: starting a new one", self.path)
                    gen = f"gen-{time.time_ns()}"
                    self._index, self._gen = self._open_gen(gen), gen
                    self._write_pointer(gen)
            return self._index

    def _write_pointer(self, gen: str) -> None:
        write_atomic(self.path / "CURRENT", gen + "\n")

    def _write(
        self, index: tantivy.Index, docs: Iterable[SearchDocument], deletes: Iterable[str]
    ) -> tuple[int, dict[str, str]]:
        # Several API workers may write at once (each drains the outbox after its own writes):
        # tantivy refuses a second writer outright, so queue on our own lock first.
        with locks.exclusive(self.path / "writer.lock", what="the search index writer lock"):
            return self._write_locked(index, docs, deletes)

    def _write_locked(
        self, index: tantivy.Index, docs: Iterable[SearchDocument], deletes: Iterable[str]
    ) -> tuple[int, dict[str, str]]:
        n, refused = 0, {}
        try:
            writer = index.writer(_WRITER_HEAP, 1)
        except ValueError as e:
            raise Unavailable(f"the search index at {self.path} is locked or unwritable: {e}") from e
        try:
            for iri in deletes:
                writer.delete_documents_by_term("iri", iri)
            for d in docs:
                writer.delete_documents_by_term("iri", d.iri)
                try:
                    writer.add_document(to_tantivy(d))
                except (ValueError, OverflowError, TypeError) as exc:  # a value beyond tantivy's types
                    refused[d.iri] = f"{type(exc).__name__}: {exc}"[:300]
                    continue
                n += 1
            writer.commit()
        except BaseException:
            writer.rollback()
            raise
        finally:
            writer.wait_merging_threads()  # also releases the writer lock
        index.reload()
        return n, refused

    # --- port ---------------------------------------------------------------------------------

    def upsert(self, docs: Sequence[SearchDocument]) -> dict[str, str]:
        if not docs:
            return {}
        latest = {d.iri: d for d in docs}  # the last version of an IRI in the batch wins
        with self._lock:
            return self._write(self._current(), latest.values(), ())[1]

    def delete(self, iris: Sequence[str]) -> None:
        if iris:
            with self._lock:
                self._write(self._current(), (), iris)

    def count(self) -> int:
        return int(self._current().searcher().num_docs)

    def clear(self) -> None:
        self.rebuild([])

    def rebuild(self, docs: Iterable[SearchDocument]) -> int:
        with self._lock:
            gen = f"gen-{time.time_ns()}"
            index = self._open_gen(gen)
            n, refused = self._write(index, docs, ())
            if refused:
                log.error("rebuild left out %d document(s) tantivy cannot hold: %s", len(refused), refused)
            self._write_pointer(gen)
            self._index, self._gen = index, gen
            self._iri_sorted = {gen: self._iri_sorted[gen]}
            # Older generations (and ones left by a rebuild that was killed) are no longer named by
            # CURRENT; readers that still have them open keep their files until they reopen.
            for folder in self.path.glob("gen-*"):
                if folder.name != gen:
                    shutil.rmtree(folder, ignore_errors=True)
            return n

    def ping(self) -> bool:
        try:
            self._current()
            return (self.path / "CURRENT").is_file()
        except (OSError, Unavailable):
            return False

    def close(self) -> None:
        with self._lock:
            self._index, self._gen = None, None

    def search(self, q: SearchQuery) -> SearchResult:
        q.check()
        index = self._current()
        state = self._state(index)
        searcher = index.searcher()
        labels = self._facet_labels(state, searcher) if q.facets else {}
        words = tantivy_query.words(self._analyzer, q.text)
        tokens = tantivy_query.tokens(words)
        ranked = bool(tokens) and q.sort is SearchSort.RELEVANCE
        # Counting and sorting by a field need no scores: one catch-all posting list per term matches
        # the same documents as the per-field union that scoring reads, at a fraction of the cost.
        match = tantivy_query.build(self._schema, words, q.filters, scored=False)
        scored = tokens and (ranked or q.snippets)
        query = tantivy_query.build(self._schema, words, q.filters) if scored else match
        offset = common.cursor_offset(common.decode_cursor(q.after, "o")) if q.after else 0
        # past the last document every page is empty: tantivy allocates for offset + first up front
        offset = min(offset, int(searcher.num_docs))
        fetched: _Docs = {}  # stored documents read once per search (tie-breaking, then the hits)
        if ranked:
            total, page = self._ranked_page(searcher, query, offset, q.first, fetched)
        else:
            field = SORT_FIELDS.get(q.sort, "iri")
            res = searcher.search(
                match,
                max(q.first, 1),
                count=True,
                order_by_field=field,
                offset=offset,
                order=tantivy.Order.Asc,
            )
            total = int(getattr(res, "count", 0) or 0)
            page = [(0.0, addr) for _, addr in res.hits][: q.first]
        hits = self._hits(searcher, query if tokens else None, page, q.snippets, fetched)
        end = offset + len(hits)
        return SearchResult(
            hits=hits,
            total=total,
            facets=self._facets(searcher, match, q.facets, labels) if q.facets else {},
            end_cursor=common.encode_cursor({"o": end}) if hits else q.after,
            has_next=end < total,
        )

    def list_iris(self, filters: SearchFilter, offset: int, limit: int) -> IriPage:
        # A terms aggregation in key order ranks term ordinals and reads back only the terms returned;
        # sorting hits by the string field looks a term up per hit collected (0.37 s at offset 5,000).
        check_listing(offset, limit, self.list_window)
        index = self._current()
        self._state(index)
        searcher = index.searcher()
        q = tantivy_query.build(self._schema, tantivy_query.Words(), filters)
        total = int(getattr(searcher.search(q, 1, count=True), "count", 0) or 0)
        if limit == 0 or offset >= total:
            return IriPage([], total)
        size = offset + limit
        agg = {"terms": {"field": "iri", "size": size, "segment_size": size, "order": {"_key": "asc"}}}
        buckets = searcher.aggregate(q, {"iris": agg})["iris"]["buckets"]
        return IriPage([str(b["key"]) for b in buckets[offset:]], total)

    def _ranked_page(
        self, searcher: tantivy.Searcher, query: tantivy.Query, offset: int, first: int, fetched: _Docs
    ) -> tuple[int, list[tuple[float, Any]]]:
        """Page of (score, address) by score desc then IRI asc. Tantivy breaks score ties by doc
        address, so fetch whole tie groups that touch the page and order those by IRI."""
        need = offset + first
        # A tie group running past the window costs another full pass; records with alike titles tie
        # often, more so the more records there are, and a deeper first window costs little.
        limit = max(need + 1, 256)
        while True:
            res = searcher.search(query, limit, count=True)
            hits = [(float(s), a) for s, a in res.hits]
            if len(hits) < limit or need == 0 or hits[-1][0] != hits[min(need, len(hits)) - 1][0]:
                break
            limit *= 4
        runs_sorted = self._iri_sorted.get(str(self._gen), False)

        def iri(addr: Any) -> str:
            return str(_doc(searcher, addr, fetched).get_first("iri"))

        page = tantivy_ties.page_by_iri(hits, offset, need, iri, runs_sorted)
        return int(getattr(res, "count", 0) or 0), page

    def _hits(
        self,
        searcher: tantivy.Searcher,
        query: tantivy.Query | None,
        page: list[tuple[float, Any]],
        snippets: bool,
        fetched: _Docs,
    ) -> list[SearchHit]:
        gens = {}
        if snippets and query is not None and page:
            gens = {
                f: tantivy.SnippetGenerator.create(searcher, query, self._schema, f)
                for f in ("description", "text")
            }
            for g in gens.values():
                g.set_max_num_chars(common.SNIPPET_CHARS)
        out = []
        for score, addr in page:
            doc = _doc(searcher, addr, fetched)
            snippet = ""
            for g in gens.values():
                sn = g.snippet_from_doc(doc)
                if sn.highlighted():
                    raw = sn.fragment().encode()
                    spans = [
                        (len(raw[: r.start].decode()), len(raw[: r.end].decode())) for r in sn.highlighted()
                    ]
                    snippet = common.highlight(sn.fragment(), spans)
                    break
            if not snippet and snippets:
                snippet = common.plain_snippet(str(doc.get_first("description") or ""))
            out.append(
                SearchHit(
                    iri=str(doc.get_first("iri")),
                    kind=str(doc.get_first("kind")),
                    title=str(doc.get_first("title") or ""),
                    snippet=snippet,
                    score=score,
                )
            )
        return out

    def _facets(
        self, searcher: tantivy.Searcher, query: tantivy.Query, facets: list[Facet], labels: dict[str, str]
    ) -> dict[str, list[Any]]:
        aggs = {str(f): _terms(FACET_FIELDS[Facet(f)]) for f in facets}
        res = searcher.aggregate(query, aggs)
        return {
            str(f): common.buckets(((b["key"], b["doc_count"]) for b in res[str(f)]["buckets"]), labels)
            for f in facets
        }

    def _state(self, index: tantivy.Index) -> tuple[str, int, int]:
        """The committed state of the live generation. tantivy rewrites meta.json on every commit, here
        or in another process; its reader notices only after a delay, so reload at once when it changed:
        a search sent after a write has returned sees that write, whichever process made it."""
        try:
            st = (self.path / str(self._gen) / "meta.json").stat()
            state = (str(self._gen), st.st_mtime_ns, st.st_size)
        except OSError:
            return (str(self._gen), 0, 0)
        if state != self._seen:
            index.reload()
            self._seen = state
        return state

    def _facet_labels(self, state: tuple[str, int, int], searcher: tantivy.Searcher) -> dict[str, str]:
        """Bucket labels, from the whole index: a value's label does not depend on the query, so it is
        worked out once per committed state instead of once per search."""
        cached = self._labels
        if cached is not None and cached[0] == state:
            return cached[1]
        res = searcher.aggregate(tantivy.Query.all_query(), {"l": _terms("label_pairs")})
        labels = common.labels_from_pairs((b["key"], b["doc_count"]) for b in res["l"]["buckets"])
        self._labels = (state, labels)
        return labels


_Docs = dict[tuple[int, int], tantivy.Document]


def _doc(searcher: tantivy.Searcher, addr: Any, fetched: _Docs) -> tantivy.Document:
    key = (addr.segment_ord, addr.doc)
    doc = fetched.get(key)
    if doc is None:
        doc = fetched[key] = searcher.doc(addr)
    return doc


def _terms(field: str) -> dict[str, Any]:
    return {"terms": {"field": field, "size": FACET_SIZE, "segment_size": FACET_SIZE}}
