"""The embedded store writes commits of new records as term objects (`Store.extend`, one transaction),
not as a SPARQL update: it must store exactly what the guarded update stores, and all or nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pyoxigraph as ox
import pytest

from registry.errors import StaleRevision
from registry.model import Record, RevisionInfo, content_hash
from registry.store.oxigraph import OxigraphStore
from registry.store.port import Write
from registry.vocab import DCAT, DCT, RDF_TYPE, Kind

BASE = "https://w3id.org/fairgrid/dataset/path-"
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def write(i: int, *, label: str = "p", head: int | None = None, draft: bool = False) -> Write:
    iri = BASE + str(i)
    s, period = ox.NamedNode(iri), ox.BlankNode(label)  # the same label in every record
    triples = (
        ox.Triple(s, ox.NamedNode(RDF_TYPE), ox.NamedNode(DCAT + "Dataset")),
        ox.Triple(s, ox.NamedNode(DCT + "title"), ox.Literal(f"record {i}", language="en")),
        ox.Triple(s, ox.NamedNode(DCT + "temporal"), period),
        ox.Triple(period, ox.NamedNode(DCAT + "startDate"), ox.Literal(f"{2000 + i}-01-01")),
        ox.Triple(
            s,
            ox.NamedNode("http://healthdataportal.eu/ns/health#numberOfRecords"),
            ox.Literal("120", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#nonNegativeInteger")),
        ),
    )
    rev = RevisionInfo(
        iri, (head or 0) + 1, Kind.DATASET, WHEN, "urn:fairgrid:agent:t", content_hash(triples),
        note="import", published=not draft, report='{"warnings": []}', quality='[{"points": 1}]',
    )  # fmt: skip
    return Write(Record(iri, Kind.DATASET, triples, rev), head)


def canonical(store: OxigraphStore) -> set[str]:
    """The store's quads with commit ids and blank node labels made comparable."""
    text = re.sub(r"urn:fairgrid:tx:[0-9a-f-]+", "urn:fairgrid:tx:X", store.dump().decode())
    ds = ox.Dataset(ox.parse(text.encode(), format=ox.RdfFormat.N_QUADS))
    ds.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return {str(q) for q in ds}


def test_new_records_are_stored_exactly_as_the_guarded_update_stores_them() -> None:
    writes = [write(i, draft=i == 2) for i in range(4)]
    fast, text = OxigraphStore(), OxigraphStore()
    fast.commit(writes)
    text_commit = super(OxigraphStore, text)._apply  # the SPARQL update path every adapter has
    with text._lock:
        text_commit(writes)
    assert canonical(fast) == canonical(text)
    assert fast.pending(100) == text.pending(100)
    for i in range(4):
        rec = fast.get(BASE + str(i))
        assert rec is not None and rec.revision is not None
        assert content_hash(rec.triples) == rec.revision.content_hash  # verbatim, datatypes kept
        assert rec.revision.published == (i != 2)


def test_blank_nodes_are_not_shared_between_records() -> None:
    store = OxigraphStore()
    store.commit([write(0), write(1)])
    store.commit([write(2)])
    rows = store.query("SELECT DISTINCT ?b WHERE { GRAPH ?g { ?s <http://purl.org/dc/terms/temporal> ?b } }")
    assert len(rows) == 3


def test_a_failed_commit_of_new_records_writes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    store = OxigraphStore()
    store.commit([write(0)])
    before = store.dump()
    with pytest.raises(StaleRevision):  # one of them exists already: the whole commit is refused
        store.commit([write(5), write(0)])
    assert store.dump() == before

    def broken(quads: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(store, "_store", _Failing(store._store, broken))
    with pytest.raises(OSError, match="disk full"):
        store.commit([write(6), write(7)])
    monkeypatch.undo()
    assert store.dump() == before
    store.commit([write(6), write(7)])  # the store still takes them
    assert store.count() == 3


def test_updates_in_a_commit_take_the_guarded_update() -> None:
    store = OxigraphStore()
    store.commit([write(0)])
    sent: list[str] = []
    update = store._update
    store._update = lambda text: (sent.append(text), update(text))[1]  # type: ignore[method-assign]
    store.commit([write(0, head=1), write(1)])  # one update and one new record: one transaction
    assert len(sent) == 1
    assert [r.number for r in store.history(BASE + "0")] == [1, 2]
    assert store.head(BASE + "1") is not None


class _Failing:
    """The real store, except that `extend` fails the way a full disk would."""

    def __init__(self, store: ox.Store, extend: object) -> None:
        self._store, self.extend = store, extend

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)
