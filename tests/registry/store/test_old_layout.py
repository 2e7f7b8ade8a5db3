"""Stores written before 2026-12-02 (a revision's number also as fg:revision, and its two rdf:type
statements) must still read correctly, on every adapter, and take new revisions on top of the old ones."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from registry.errors import StaleRevision
from registry.model import content_hash, revision_iri
from registry.sparql_text import iri, literal
from registry.store.base import SparqlBackedStore
from registry.store.port import RecordStore
from registry.store.sparql import exact_text
from registry.vocab import FG, PROV, RDF_TYPE, XSD
from tests.registry.store.test_conformance import dataset, store, write  # noqa: F401 (fixture)

WHEN = "2025-03-04T05:06:07.000008+00:00"
REPORT, QUALITY = '{"warnings": [1]}', '[{"points": 2}]'


def old_revision(
    record: str, triples: tuple[ox.Triple, ...], number: int, *, draft: bool = False, dep: bool = False
) -> str:
    """INSERT DATA for one revision in the old layout, as the previous commit code stored it."""
    rv, g = iri(revision_iri(record, number)), iri(record)
    meta = [
        f"{g} {iri(FG + 'head')} {rv}",
        f"{rv} {iri(RDF_TYPE)} {iri(PROV + 'Entity')}",
        f"{rv} {iri(RDF_TYPE)} {iri(FG + 'RecordRevision')}",
        f"{rv} {iri(FG + 'revisionOf')} {g}",
        f"{rv} {iri(FG + 'revision')} {number}",
        f'{rv} {iri(FG + "recordKind")} "Dataset"',
        f'{rv} {iri(PROV + "generatedAtTime")} "{WHEN}"^^{iri(XSD + "dateTime")}',
        f"{rv} {iri(PROV + 'wasAttributedTo')} <urn:fairgrid:agent:old>",
        f"{rv} {iri(FG + 'contentHash')} {literal(content_hash(triples))}",
        f"{rv} {iri(FG + 'commit')} <urn:fairgrid:tx:old-{number}>",
        f"{rv} {iri(FG + 'validationReport')} {literal(REPORT)}",
        f"{rv} {iri(FG + 'qualityScore')} {literal(QUALITY)}",
        f'{rv} {iri(FG + "changeNote")} "old import"',
    ]
    if number > 1:
        meta.append(f"{rv} {iri(PROV + 'wasRevisionOf')} {iri(revision_iri(record, number - 1))}")
    if draft:
        meta.append(f"{rv} {iri(FG + 'draft')} true")
    if dep:
        meta.append(f"{rv} {iri(FG + 'deprecated')} true")
    content = " ".join(f"{t} ." for t in triples)
    return (
        f"INSERT DATA {{ GRAPH {g} {{ {content} }} "
        f"GRAPH {rv} {{ {rv} {iri(FG + 'content')} {literal(exact_text(triples))} }} "
        f"GRAPH <urn:fairgrid:meta> {{ {' . '.join(meta)} . }} "
        f"GRAPH <urn:fairgrid:outbox> {{ {g} {iri(FG + 'pendingRevision')} {number} }} }}"
    )


def test_a_store_written_in_the_old_layout_reads_and_takes_new_revisions(store: RecordStore) -> None:  # noqa: F811
    assert isinstance(store, SparqlBackedStore)
    iri_a, t1 = dataset("old-a", "Old first")
    iri_b, tb = dataset("old-b", "Old draft")
    store._update(old_revision(iri_a, t1, 1))
    store._update(old_revision(iri_b, tb, 1, draft=True, dep=True))

    head = store.head(iri_a)
    assert head is not None
    assert (head.number, head.content_hash, head.note) == (1, content_hash(t1), "old import")
    assert (head.report, head.quality) == (REPORT, QUALITY)
    assert head.attributed_to == "urn:fairgrid:agent:old" and head.generated_at.isoformat() == WHEN
    b = store.get(iri_b)
    assert b is not None and b.revision is not None
    assert not b.revision.published and b.revision.deprecated
    assert content_hash(b.triples) == content_hash(tb)  # blank node labels may differ
    assert store.count() == 2 and [r.iri for r in store.list_records()] == sorted([iri_a, iri_b])

    # a stale base is still a conflict, and a new revision goes on top of the old one
    _, t2 = dataset("old-a", "New second")
    with pytest.raises(StaleRevision):
        store.commit([write(iri_a, t2, 1, None)])
    store.commit([write(iri_a, t2, 2, 1)])
    history = store.history(iri_a)
    assert [(r.number, r.note) for r in history] == [(1, "old import"), (2, None)]
    assert history[0].content_hash == content_hash(t1) and history[1].content_hash == content_hash(t2)
    assert store.histories([iri_b, iri_a])[iri_a] == history
    first, latest = store.get(iri_a, 1), store.get(iri_a)
    assert first is not None and content_hash(first.triples) == content_hash(t1)
    assert latest is not None and latest.revision == history[1]
    assert sorted(store.pending(10)) == sorted([(iri_a, 2), (iri_b, 1)])


def test_history_is_in_revision_order_past_nine(store: RecordStore) -> None:  # noqa: F811
    """The number is read from the revision IRI, where "10" sorts before "2" as text."""
    iri_c, t = dataset("many", "v1")
    store.commit([write(iri_c, t, 1, None)])
    for n in range(2, 12):
        store.commit([write(iri_c, dataset("many", f"v{n}")[1], n, n - 1)])
    assert [r.number for r in store.history(iri_c)] == list(range(1, 12))
    assert [r.number for r in store.histories([iri_c])[iri_c]] == list(range(1, 12))
    head = store.head(iri_c)
    assert head is not None and head.number == 11
