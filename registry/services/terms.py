"""Terminology lookups over the SKOS schemes registered as terminology records."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyoxigraph as ox

from registry.code_forms import written_form
from registry.errors import NotFound, Unavailable
from registry.files import write_atomic
from registry.identity import Identity
from registry.model import RevisionInfo
from registry.services.term_lookup import TermLookup
from registry.sparql_text import shown
from registry.store.port import RecordStore
from registry.vocab import SKOS, Kind

_PREF = ox.NamedNode(SKOS + "prefLabel")
_ALT = ox.NamedNode(SKOS + "altLabel")
_NOTATION = ox.NamedNode(SKOS + "notation")
_BROADER = ox.NamedNode(SKOS + "broader")
_NARROWER = ox.NamedNode(SKOS + "narrower")
_CONCEPT = ox.NamedNode(SKOS + "Concept")
_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


@dataclass
class Concept:
    iri: str
    scheme: str
    label: str
    notation: str | None = None
    alt_labels: list[str] = field(default_factory=list)
    broader: list[str] = field(default_factory=list)
    narrower: list[str] = field(default_factory=list)


log = logging.getLogger(__name__)

# Bumped when Concept's fields or their meaning change: older cache files are then not read.
_CACHE_FORMAT = 1

# How stale the concept tree may be when other processes write to the store (a SPARQL endpoint).
SHARED_STORE_TTL_S = 1.0


class TermService:
    def __init__(self, store: RecordStore, cache_dir: Path | None = None):
        """cache_dir: where the concept tree is kept between processes, keyed by the terminologies'
        content hashes (building it from the complete terminologies takes seconds: every CLI call and
        server start would pay it)."""
        self.store = store
        self.cache_dir = cache_dir
        self._lock = threading.Lock()
        self._version: tuple[tuple[str, str], ...] = ()
        self.concepts: dict[str, Concept] = {}
        self._by_code: dict[str, list[str]] = {}
        self._finder: TermLookup[Concept] = TermLookup([])
        self._labels: dict[str, str] = {}
        self._checked: tuple[int, float] | None = None  # (store.local_commits, monotonic time)

    def _refresh(self) -> None:
        # Every search with a disease filter lands here: ask the store only when it may have changed
        # (a commit through it, or - when other processes share it - after SHARED_STORE_TTL_S).
        commits, now = self.store.local_commits, time.monotonic()
        seen = self._checked
        if seen is not None and seen[0] == commits and not self._expired(seen[1], now):
            return
        try:
            heads = self.store.list_records(Kind.TERMINOLOGY, 0, 1000)
        except Unavailable as exc:
            if seen is None:
                raise
            # A store server that is down must not stop searches the index can answer: go on with the
            # concept tree already loaded (terminologies change rarely) and look again next time.
            log.warning("terminologies not re-checked, store unavailable: %s", exc)
            return
        version = tuple((h.iri, h.content_hash) for h in heads)
        with self._lock:
            if version == self._version:
                self._checked = (commits, now)
                return
            concepts = self._cached(version)
            if concepts is None:
                concepts = self._build(heads)
                self._keep(version, concepts)
            by_code: dict[str, list[str]] = {}
            for c in concepts.values():
                if c.notation:
                    by_code.setdefault(c.notation.lower(), []).append(c.iri)
            # folded once per load, not per search: 36,000 concepts with the complete terminologies
            finder = TermLookup(concepts.values())
            self.concepts, self._by_code, self._version, self._finder = concepts, by_code, version, finder
            self._labels = {
                c.iri: f"{c.notation} {c.label}" if c.notation else c.label for c in concepts.values()
            }
            self._checked = (commits, now)

    def _build(self, heads: list[RevisionInfo]) -> dict[str, Concept]:
        concepts: dict[str, Concept] = {}
        for h in heads:
            rec = self.store.get(h.iri)
            if rec is not None:
                _load(rec.triples, h.iri, concepts)
        for c in concepts.values():
            for b in c.broader:
                if b in concepts and c.iri not in concepts[b].narrower:
                    concepts[b].narrower.append(c.iri)
        return concepts

    def _cache_file(self, version: tuple[tuple[str, str], ...]) -> Path | None:
        if self.cache_dir is None or not version:
            return None
        key = hashlib.sha256(json.dumps([_CACHE_FORMAT, *version]).encode()).hexdigest()[:32]
        return self.cache_dir / f"concepts-{key}.json"

    def _cached(self, version: tuple[tuple[str, str], ...]) -> dict[str, Concept] | None:
        path = self._cache_file(version)
        if path is None:
            return None
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
            return {r["iri"]: Concept(**r) for r in rows}
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, KeyError) as exc:  # unreadable: rebuilt from the store
            log.warning("concept cache %s unreadable (%s): rebuilding it", path, exc)
            return None

    def _keep(self, version: tuple[tuple[str, str], ...], concepts: dict[str, Concept]) -> None:
        """Writes the cache atomically (another process may read it at once) and drops older ones; a
        cache that cannot be written only costs the next process the rebuild."""
        path = self._cache_file(version)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, json.dumps([asdict(c) for c in concepts.values()]), durable=False)
            for old in path.parent.glob("concepts-*.json"):
                if old != path:
                    old.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("concept cache not written to %s: %s", path, exc)

    def _expired(self, checked_at: float, now: float) -> bool:
        return self.store.shared and now - checked_at >= SHARED_STORE_TTL_S

    def all_concepts(self) -> list[Concept]:
        self._refresh()
        return list(self.concepts.values())

    def labels(self) -> dict[str, str]:
        """Each concept's display label ("D46 Myelodysplastic syndromes"), made once per load: search
        facets and landing pages ask on every drain round and page."""
        self._refresh()
        return self._labels

    def concept(self, identity: Identity, iri_or_code: str) -> Concept:
        """A concept by IRI or by code, written as the terminology writes it (D46, ORPHA:232,
        HP:0001903) or as exports do (D469, ORPHA 232), in any case, with surrounding spaces ignored."""
        self._refresh()
        c = self._lookup(iri_or_code)
        if c is None:
            raise NotFound(f"no concept {shown(iri_or_code)} in the registered terminologies",
            hint="`fairgrid terms search TEXT` finds concepts by label or code")  # fmt: skip
        return c

    def _lookup(self, iri_or_code: str) -> Concept | None:
        key = iri_or_code.strip()
        c = self.concepts.get(key)
        if c is None:
            hits = self._by_code.get(key.lower(), [])
            if not hits and (other := written_form(key)):  # "D469" for D46.9, "ORPHA 232" for ORPHA:232
                hits = self._by_code.get(other.lower(), [])
            c = self.concepts[hits[0]] if hits else None
        return c

    def search(
        self, identity: Identity, text: str, scheme: str | None = None, limit: int = 50
    ) -> list[Concept]:
        self._refresh()
        # "sickle cell anemia" finds ICD-10's "Sickle-cell anaemia" too (registry/folding.py)
        return self._finder.search(text, self._lookup(text), scheme, limit)

    def descendants(self, identity: Identity, iri_or_code: str, include_self: bool = False) -> list[Concept]:
        root = self.concept(identity, iri_or_code)
        return below(self.concepts, root, include_self)

    def expand(self, identity: Identity, iri_or_code: str) -> list[str]:
        """The concept and all its descendants, as IRIs (for disease filters)."""
        return [c.iri for c in self.descendants(identity, iri_or_code, include_self=True)]


def _text(vals: list[ox.NamedNode | ox.BlankNode | ox.Literal]) -> str | None:
    en = [v for v in vals if isinstance(v, ox.Literal) and (v.language or "en").startswith("en")]
    pick = en or [v for v in vals if isinstance(v, ox.Literal)]
    return pick[0].value if pick else None


def _load(triples: tuple[ox.Triple, ...], scheme_iri: str, concepts: dict[str, Concept]) -> None:
    by_s: dict[str, dict[str, list[ox.NamedNode | ox.BlankNode | ox.Literal]]] = {}
    for t in triples:
        if isinstance(t.subject, ox.NamedNode):
            by_s.setdefault(t.subject.value, {}).setdefault(t.predicate.value, []).append(t.object)  # type: ignore[arg-type]
    for s, po in by_s.items():
        if _CONCEPT not in po.get(_TYPE.value, []):
            continue
        notation = po.get(_NOTATION.value, [])
        concepts[s] = Concept(
            iri=s,
            scheme=scheme_iri,
            label=_text(po.get(_PREF.value, [])) or s,
            notation=notation[0].value if notation else None,
            alt_labels=[v.value for v in po.get(_ALT.value, []) if isinstance(v, ox.Literal)],
            broader=[v.value for v in po.get(_BROADER.value, []) if isinstance(v, ox.NamedNode)],
            narrower=[v.value for v in po.get(_NARROWER.value, []) if isinstance(v, ox.NamedNode)],
        )


def below(concepts: dict[str, Concept], root: Concept, include_self: bool = False) -> list[Concept]:
    """Every concept under `root` (transitively, through skos:narrower), by notation."""
    out: list[Concept] = [root] if include_self else []
    seen = {root.iri}
    stack = list(root.narrower)
    while stack:
        iri = stack.pop()
        if iri in seen or iri not in concepts:
            continue
        seen.add(iri)
        out.append(concepts[iri])
        stack += concepts[iri].narrower
    return sorted(out, key=lambda c: (c.notation or "", c.iri))
