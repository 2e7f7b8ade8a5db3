"""Search over the registry: queries (with disease filters expanded through the terminologies),
the outbox that carries every committed write to the index, and full reindexing."""

from __future__ import annotations

import logging
import threading
from collections import ChainMap
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import pyoxigraph as ox

from registry.errors import FairgridError, InputError, NotFound, Unavailable
from registry.identity import Identity, Role
from registry.model import Record
from registry.rdf import is_iri
from registry.search.port import SearchDocument, SearchFilter, SearchIndex, SearchQuery, SearchResult
from registry.services import vocab_filters
from registry.services.indexing import to_document
from registry.services.terms import TermService
from registry.services.visibility import public_records, sees_consortium_metadata
from registry.sparql_text import shown
from registry.store.port import RecordStore
from registry.titles import record_title
from registry.vocab import DCAT, DCT, FG, FOAF, RDFS, SKOS, Kind

log = logging.getLogger(__name__)


@cache
def _vocabulary_labels() -> dict[str, str]:
    from registry.validation.bundle import load_bundle

    pref, name, label = SKOS + "prefLabel", FOAF + "name", RDFS + "label"
    out: dict[str, str] = {}
    for t in load_bundle().background:
        lit = t.object
        if (
            t.predicate.value in (pref, name, label)
            and isinstance(lit, ox.Literal)
            and (lit.language or "en") == "en"
        ):
            out.setdefault(t.subject.value, lit.value)  # type: ignore[union-attr]
    return out


# What goes into a search document, by version. Bump it when a change makes stored documents wrong (2:
# published metadata is public whatever dct:accessRights; before, RESTRICTED and NON_PUBLIC records were
# indexed as not public; 3: documents carry the revision's quality score, for its filter and sort; 4: a
# record whose head is a draft is indexed at its latest published revision, where it could be missing;
# 5: the embedded index has a catch-all text field, so an older one opens empty and must be refilled;
# 6: text is folded, "Waldenström" indexed as "waldenstrom", words with another spelling indexed in it
# too, "Haematology" as "hematology", and titles sort without accents; 7: the codes and names of a
# record's diseases are searchable text; 8: "smouldering" has "smoldering" as its other spelling; 9: a
# date that is a year or a month is indexed as that period; 10: documents carry their publishers' and
# sites' names, from those records): the first drain then rebuilds the index.
INDEX_RULES = "10"


def index_rules_file(home: Path) -> Path:
    """Where a registry home notes the INDEX_RULES its search index was built under."""
    return home / "search-rules"


def note_index_current(home: Path) -> None:
    """For an index built outside this service (a benchmark's bulk build): its documents follow the
    current rules, so the next drain must not rebuild it."""
    index_rules_file(home).parent.mkdir(parents=True, exist_ok=True)
    index_rules_file(home).write_text(INDEX_RULES + "\n")


@dataclass(frozen=True)
class SyncReport:
    indexed: int
    deleted: int
    pending: int  # still waiting (the index was down); -1 when the store itself was down
    error: str | None = None
    # records the index could not hold (IRI -> why), left out so the records after them are indexed;
    # `fairgrid reindex` tries them again once the cause is mended
    unindexable: dict[str, str] = field(default_factory=dict)


class SearchService:
    def __init__(
        self, store: RecordStore, index: SearchIndex, terms: TermService, rules_file: Path | None = None
    ):
        self.store = store
        self.index = index
        self.terms = terms
        # one drain at a time per process: the API's background drainer and `fairgrid index-sync` call sync()
        self._sync_lock = threading.Lock()
        # notes the INDEX_RULES the index was built under (None: not tracked, e.g. a throwaway index)
        self.rules_file = rules_file
        self._rules_followed = rules_file is None

    @property
    def in_process(self) -> bool:
        """Whether a search is local CPU work of milliseconds (the embedded index): callers may then
        run it inline. The terminology check it may make is one small store query."""
        return self.index.in_process

    def search(self, identity: Identity, query: SearchQuery) -> SearchResult:
        query.check()
        f = vocab_filters.resolve(query.filters)
        if f.diseases:
            expanded: list[str] = []
            for d in f.diseases:
                try:
                    expanded += self.terms.expand(identity, d)
                except NotFound:
                    expanded.append(_unknown_disease(d))
            f = replace(f, diseases=sorted(set(expanded)))
        if not sees_consortium_metadata(identity):
            f = replace(f, public_only=True)  # consortium-only metadata stays out of the hits and facets
        if f.include_deprecated and not identity.has(Role.CURATOR, Role.RESEARCHER):
            f = replace(f, include_deprecated=False)
        return self.index.search(replace(query, filters=f))

    def labels(self) -> dict[str, str]:
        """Labels for facet buckets: the bundled controlled vocabularies, then the terminologies."""
        return {**_vocabulary_labels(), **self.terms.labels()}

    def sync(self, batch: int = 500, max_batches: int = 1000) -> SyncReport:
        """Drain the outbox into the index. Safe to call any time; an index outage leaves the
        entries pending, so nothing is lost and the next call catches up."""
        with self._sync_lock:
            self._follow_rules()
            return self._sync(batch, max_batches)

    def _follow_rules(self) -> None:
        """Rebuild, once, an index whose documents were made under older INDEX_RULES: the outbox only
        carries records that changed, and every stored document may be wrong. An empty index is
        simply noted as current. When the index or store is down, the next drain tries again."""
        if self._rules_followed or self.rules_file is None:
            return
        try:
            if self.rules_file.read_text().strip() == INDEX_RULES:
                self._rules_followed = True
                return
        except FileNotFoundError:
            pass
        try:
            if self.index.count() > 0:
                log.warning("search index built under older rules: rebuilding it from the store")
                self._rebuild(None)
            self._note_rules()
        except (Unavailable, FairgridError, OSError) as exc:
            log.warning("search index rules not checked yet: %s", exc)

    def _note_rules(self) -> None:
        if self.rules_file is not None:
            self.rules_file.parent.mkdir(parents=True, exist_ok=True)
            self.rules_file.write_text(INDEX_RULES + "\n")
        self._rules_followed = True

    def _sync(self, batch: int, max_batches: int) -> SyncReport:
        indexed = deleted = 0
        unindexable: dict[str, str] = {}
        try:
            labels = self.labels()
            for _ in range(max_batches):
                pending = self.store.pending(batch)
                if not pending:
                    break
                found = self.store.get_many([iri for iri, _n in pending])
                gone = [iri for iri, _n in pending if iri not in found]
                recs = self._searchable(list(found.values()))
                # a dataset's metadata visibility decides its distributions': re-index them with it
                parts = {
                    o.value
                    for r in recs
                    if r.kind is Kind.DATASET
                    for o in r.values(DCAT + "distribution")
                    if isinstance(o, ox.NamedNode)
                } - found.keys()
                if parts:
                    recs += self._searchable(list(self.store.get_many(sorted(parts)).values()))
                # a publisher's or site's name labels the facets of what it publishes or hosts: a
                # renamed one re-indexes those records (the index's window of them; reindex does all)
                agents = [r.iri for r in recs if r.kind in (Kind.ORGANIZATION, Kind.SITE)]
                referring = self._referring(agents) - found.keys() - parts if agents else set()
                if referring:
                    recs += self._searchable(list(self.store.get_many(sorted(referring)).values()))
                docs, unmade = self._documents_of_each(recs, labels)
                by_index = self.index.upsert(docs) if docs else {}
                refused = {**unmade, **by_index}
                if refused:
                    log.error("%d record(s) left out of the search index: %s", len(refused), refused)
                    unindexable.update(refused)
                if gone or unmade:  # an older version of a record left out must not stay searchable
                    self.index.delete([*gone, *unmade])
                self.store.ack(pending)
                indexed += len(docs) - len(by_index)
                deleted += len(gone)
                if len(pending) < batch:
                    break
        except (Unavailable, FairgridError, OSError) as exc:
            waiting = self._pending_count()
            log.warning("search index or store unavailable, %d outbox entries wait: %s", waiting, exc)
            return SyncReport(indexed, deleted, waiting, str(exc), unindexable)
        return SyncReport(indexed, deleted, len(self.store.pending(10_000)), None, unindexable)

    def _pending_count(self) -> int:
        """How many outbox entries wait, or -1 when the store itself cannot say (a server that is down)."""
        try:
            return len(self.store.pending(10_000))
        except (Unavailable, OSError):
            return -1

    def _searchable(self, recs: list[Record]) -> list[Record]:
        """What the index holds of these records: drafts are not searchable, so a record whose head is
        a draft is indexed at its latest published revision (none when it never had one). That
        revision may never have been indexed: the drainer met the record only after the draft, or
        the index was rebuilt since."""
        out: list[Record] = []
        for rec in recs:
            if rec.revision is not None and not rec.revision.published:
                published = [h for h in self.store.history(rec.iri) if h.published]
                found = self.store.get(rec.iri, published[-1].number) if published else None
                if found is None:
                    continue
                rec = found
            out.append(rec)
        return out

    def _referring(self, agents: list[str]) -> set[str]:
        """The indexed records published by or hosted at any of `agents`, as far as the index lists."""
        out: set[str] = set()
        wanted = SearchFilter(publishers=agents, include_deprecated=True)
        window = self.index.list_window
        while len(out) < window:
            page = self.index.list_iris(wanted, len(out), min(1000, window - len(out)))
            out.update(page.iris)
            if not page.iris or len(out) >= page.total:
                break
        return out

    def _agent_names(self, recs: list[Record], labels: Mapping[str, str]) -> dict[str, str]:
        """Names of the publishers and sites the records point at, from their own records: an
        organisation is a record of its own, so the publisher facet showed its IRI."""
        wanted = {
            o.value
            for r in recs
            for pred in (DCT + "publisher", FG + "hostedAt")
            for o in r.values(pred)
            if isinstance(o, ox.NamedNode) and o.value not in labels
        }
        found = {r.iri: r for r in recs if r.iri in wanted}  # an organisation in this batch: at hand
        missing = sorted(wanted - found.keys())
        found |= self.store.get_many(missing) if missing else {}
        return {iri: title for iri, rec in found.items() if (title := record_title(rec)) != iri}

    def _documents_of_each(
        self, recs: list[Record], labels: dict[str, str]
    ) -> tuple[list[SearchDocument], dict[str, str]]:
        """Documents of the records that make one, and why the others do not (a value that the
        conversion does not expect): one such record must not hold up the drain."""
        public = public_records(self.store, recs)
        known = ChainMap(self._agent_names(recs, labels), labels)
        docs, unmade = [], {}
        for r in recs:
            try:
                docs.append(to_document(r, known, public[r.iri]))
            except (ValueError, TypeError, OverflowError, KeyError) as exc:
                log.exception("record %s makes no search document", r.iri)
                unmade[r.iri] = f"{type(exc).__name__}: {exc}"[:300]
        return docs, unmade

    def reindex(self, identity: Identity, progress: Callable[[int, int], None] | None = None) -> int:
        """Rebuild the index from the store (the new index is swapped in when complete)."""
        identity.require(Role.ADMIN, action="rebuild the search index")
        with self._sync_lock:  # no drain may write into the index being replaced
            n = self._rebuild(progress)
            self._note_rules()
            return n

    def _rebuild(self, progress: Callable[[int, int], None] | None) -> int:
        labels = self.labels()
        total = self.store.count()
        # acknowledge what is pending now: the rebuild covers it
        pending = self.store.pending(1_000_000)

        unmade: dict[str, str] = {}

        def made(chunk: list[Record]) -> list[SearchDocument]:
            docs, left_out = self._documents_of_each(chunk, labels)
            unmade.update(left_out)
            return docs

        def docs() -> Iterator[SearchDocument]:
            chunk: list[Record] = []
            for i, rec in enumerate(self.store.iter_latest()):
                if progress:
                    progress(i + 1, total)
                chunk += self._searchable([rec])
                if len(chunk) >= 200:
                    yield from made(chunk)
                    chunk = []
            yield from made(chunk)

        n = self.index.rebuild(docs())  # one record that makes no document must not stop the rebuild
        if unmade:
            log.error("the rebuilt index leaves out %d record(s): %s", len(unmade), unmade)
        self.store.ack(pending)
        return n


def _unknown_disease(value: str) -> str:
    """A disease filter value no registered terminology knows. An IRI is matched as it is (the bundled
    terminologies are subsets: ICD-10 has many more codes that records may use); a code that is not
    known would silently match nothing, so it is refused, by name."""
    if value.startswith(("http://", "https://", "urn:")) and is_iri(value):
        return value
    raise InputError(
        f"unknown disease code {shown(value)}: no registered terminology has it",
        hint="use a code as the terminology writes it (D46, ORPHA:232, HP:0001903) or a concept IRI; "
        "`fairgrid terms search TEXT` finds them",
    )
