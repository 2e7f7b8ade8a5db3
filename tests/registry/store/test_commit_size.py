"""A commit is a handful of SPARQL operations however many records it writes: one operation (and one
FILTER) per record made a 750-record import batch spend most of its time parsing and planning."""

from __future__ import annotations

from datetime import UTC, datetime

import pyoxigraph as ox
import pytest

from registry.errors import StaleRevision
from registry.model import Record, RevisionInfo, content_hash
from registry.store.oxigraph import OxigraphStore
from registry.store.port import Write
from registry.store.sparql import commit_update
from registry.vocab import DCT, Kind

BASE = "https://w3id.org/fairgrid/dataset/size-"


def write(i: int, head: int | None = None) -> Write:
    iri = BASE + str(i)
    triples = (ox.Triple(ox.NamedNode(iri), ox.NamedNode(DCT + "title"), ox.Literal(f"record {i}")),)
    rev = RevisionInfo(
        iri, (head or 0) + 1, Kind.DATASET, datetime.now(UTC), "urn:a", content_hash(list(triples))
    )
    return Write(Record(iri, Kind.DATASET, triples, rev), head)


def test_operations_do_not_grow_with_the_writes() -> None:
    small, _ = commit_update([write(i) for i in range(2)])
    large, _ = commit_update([write(i) for i in range(500)])
    assert large.count("WHERE") == small.count("WHERE") <= 8
    assert large.count("FILTER") == small.count("FILTER") <= 1


def test_a_large_commit_of_new_and_updated_records_lands_and_guards() -> None:
    store = OxigraphStore()
    store.commit([write(i) for i in range(300)])
    store.commit([write(i, head=1) for i in range(150)] + [write(i) for i in range(300, 450)])
    heads = store.heads([BASE + str(i) for i in range(450)])
    assert [heads[BASE + str(i)].number for i in (0, 149, 150, 299, 300, 449)] == [2, 2, 1, 1, 1, 1]
    with pytest.raises(StaleRevision):  # one record already there: the whole commit refused
        store.commit([write(i) for i in range(449, 600)])
    assert store.head(BASE + "500") is None and store.count() == 450
