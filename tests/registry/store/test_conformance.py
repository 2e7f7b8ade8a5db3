"""One suite, both store adapters: embedded Oxigraph and real SPARQL endpoints (an Oxigraph server, and
Apache Jena Fuseki in memory and on TDB2: see tests/fuseki.py for when those skip)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
import pytest

from registry.errors import StaleRevision, Unavailable
from registry.model import Record, RevisionInfo, content_hash
from registry.store import sparql as queries
from registry.store.oxigraph import OxigraphStore
from registry.store.port import RecordStore, Write
from registry.store.remote import SparqlEndpointStore
from registry.vocab import DCAT, DCT, RDF_TYPE, Kind
from tests.conftest import OxigraphServer, free_port
from tests.fuseki import fresh_dataset

BASE = "https://w3id.org/fairgrid/"


@pytest.fixture(
    params=[
        "embedded",
        "sparql-endpoint",
        pytest.param("fuseki-mem", marks=pytest.mark.fuseki),
        pytest.param("fuseki-tdb2", marks=pytest.mark.fuseki),
    ]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RecordStore]:
    with open_store(request.param, tmp_path) as s:
        yield s


@contextmanager
def open_store(kind: str, where: Path) -> Iterator[RecordStore]:
    """An empty store of `kind` (embedded, sparql-endpoint, fuseki-mem or fuseki-tdb2), in the folder
    `where` when it has files; closed (its server stopped) after."""
    if kind.startswith("fuseki-"):
        with fresh_dataset(kind.removeprefix("fuseki-")) as url:
            s: RecordStore = SparqlEndpointStore(url)
            yield s
            s.close()
    elif kind == "embedded":
        s = OxigraphStore(where / "store")
        yield s
        s.close()
    else:
        server = OxigraphServer(where / "endpoint")
        server.start()
        s = SparqlEndpointStore(server.url + "/query", server.url + "/update")
        yield s
        s.close()
        server.stop()


def dataset(name: str, title: str, extra: int = 0) -> tuple[str, tuple[ox.Triple, ...]]:
    iri = f"{BASE}dataset/{name}"
    s = ox.NamedNode(iri)
    period = ox.BlankNode()
    triples = [
        ox.Triple(s, ox.NamedNode(RDF_TYPE), ox.NamedNode(DCAT + "Dataset")),
        ox.Triple(s, ox.NamedNode(DCT + "title"), ox.Literal(title, language="en")),
        ox.Triple(s, ox.NamedNode(DCT + "temporal"), period),
        ox.Triple(
            period,
            ox.NamedNode(DCAT + "startDate"),
            ox.Literal("2020-01-01", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")),
        ),
    ]
    triples += [ox.Triple(s, ox.NamedNode(DCAT + "keyword"), ox.Literal(f"k{i}")) for i in range(extra)]
    return iri, tuple(triples)


def write(
    iri: str, triples: tuple[ox.Triple, ...], number: int, expected: int | None, deprecated: bool = False
) -> Write:
    rev = RevisionInfo(
        iri,
        number,
        Kind.DATASET,
        datetime.now(UTC),
        "urn:fairgrid:agent:test",
        content_hash(triples),
        deprecated=deprecated,
    )
    return Write(Record(iri, Kind.DATASET, triples, rev), expected)


def test_create_get_and_history(store: RecordStore) -> None:
    iri, t1 = dataset("a", "First")
    store.commit([write(iri, t1, 1, None)])
    _, t2 = dataset("a", "Second")
    store.commit([write(iri, t2, 2, 1)])
    latest = store.get(iri)
    assert latest is not None and latest.revision is not None
    assert latest.revision.number == 2
    assert {t.object.value for t in latest.triples if t.predicate.value == DCT + "title"} == {"Second"}
    first = store.get(iri, 1)
    assert first is not None
    assert {t.object.value for t in first.triples if t.predicate.value == DCT + "title"} == {"First"}
    assert len(first.triples) == 4  # blank node description kept with the record
    assert [r.number for r in store.history(iri)] == [1, 2]
    assert store.get(iri, 3) is None
    assert store.get(BASE + "dataset/none") is None


def test_stale_base_revision_is_a_conflict_and_writes_nothing(store: RecordStore) -> None:
    iri, t1 = dataset("b", "B")
    other, t_other = dataset("c", "C")
    store.commit([write(iri, t1, 1, None)])
    with pytest.raises(StaleRevision):
        store.commit([write(other, t_other, 1, None), write(iri, t1, 1, None)])  # b exists: stale
    assert store.get(other) is None  # the batch was all-or-nothing
    with pytest.raises(StaleRevision):
        store.commit([write(iri, t1, 3, 2)])
    head = store.head(iri)
    assert head is not None and head.number == 1


def test_concurrent_updates_from_the_same_base_only_one_wins(store: RecordStore) -> None:
    iri, t1 = dataset("d", "D")
    store.commit([write(iri, t1, 1, None)])
    outcomes: list[str] = []

    def curator(title: str) -> None:
        _, t = dataset("d", title)
        try:
            store.commit([write(iri, t, 2, 1)])
            outcomes.append("ok")
        except StaleRevision:
            outcomes.append("stale")

    threads = [threading.Thread(target=curator, args=(f"edit {i}",)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(outcomes) == ["ok", "stale", "stale", "stale"]
    assert [r.number for r in store.history(iri)] == [1, 2]


def test_list_count_types_and_iteration(store: RecordStore) -> None:
    writes = []
    for i in range(7):
        iri, t = dataset(f"l{i}", f"L{i}")
        writes.append(write(iri, t, 1, None))
    store.commit(writes)
    assert store.count() == 7
    assert store.count(Kind.DATASET) == 7
    assert store.count(Kind.MODEL) == 0
    page = store.list_records(Kind.DATASET, offset=2, limit=3)
    assert [r.iri for r in page] == sorted(w.record.iri for w in writes)[2:5]
    assert len(list(store.iter_latest(batch=3))) == 7
    types = store.types_of([writes[0].record.iri, BASE + "nothing"])
    assert types == {writes[0].record.iri: {DCAT + "Dataset"}}


def test_outbox_holds_every_write_until_acknowledged(store: RecordStore) -> None:
    iri, t = dataset("o", "O")
    store.commit([write(iri, t, 1, None)])
    assert store.pending() == [(iri, 1)]
    store.commit([write(iri, t, 2, 1)])
    assert store.pending() == [(iri, 2)]
    store.ack([(iri, 1)])  # an old acknowledgement does not drop the newer entry
    assert store.pending() == [(iri, 2)]
    store.ack([(iri, 2)])
    assert store.pending() == []


def test_deprecated_flag_and_large_literals(store: RecordStore) -> None:
    iri, t = dataset("big", 'quote " and \\ backslash\nnewline ' + "x" * 10_000, extra=50)
    store.commit([write(iri, t, 1, None)])
    store.commit([write(iri, t, 2, 1, deprecated=True)])
    rec = store.get(iri)
    assert rec is not None and rec.revision is not None and rec.revision.deprecated
    assert content_hash(rec.triples) == content_hash(t)


def test_query_reads_latest_graphs(store: RecordStore) -> None:
    iri, t = dataset("q", "Queryable")
    store.commit([write(iri, t, 1, None)])
    rows = store.query(f"SELECT ?t WHERE {{ GRAPH ?g {{ ?s <{DCT}title> ?t }} FILTER(?g = <{iri}>) }}")
    assert [r["t"].value for r in rows] == ["Queryable"]


def test_unreachable_endpoint_is_unavailable() -> None:
    s = SparqlEndpointStore(f"http://127.0.0.1:{free_port()}/query", timeout_s=2)
    with pytest.raises(Unavailable):
        s.head(BASE + "dataset/x")
    assert s.ping() is False


def test_ids_do_not_collide_across_many_records(store: RecordStore) -> None:
    writes = [write(*dataset(str(uuid.uuid4()), "T"), 1, None) for _ in range(300)]
    store.commit(writes)
    assert store.count() == 300


def test_literals_come_back_exactly_as_written(store: RecordStore) -> None:
    """Stores normalise literals ("120"^^xsd:nonNegativeInteger → xsd:integer); records must not."""
    xsd = "http://www.w3.org/2001/XMLSchema#"
    iri = BASE + "dataset/exact"
    s = ox.NamedNode(iri)
    lits = [
        ("120", "nonNegativeInteger"),
        ("1.0", "decimal"),
        ("+01", "int"),
        ("2024-01-31Z", "date"),
        ("1", "positiveInteger"),
    ]
    triples = tuple(
        ox.Triple(s, ox.NamedNode(f"{BASE}p{i}"), ox.Literal(v, datatype=ox.NamedNode(xsd + d)))
        for i, (v, d) in enumerate(lits)
    )
    store.commit([write(iri, triples, 1, None)])
    rec = store.get(iri)
    assert rec is not None
    assert set(rec.triples) == set(triples)
    assert rec.revision is not None and content_hash(rec.triples) == rec.revision.content_hash


def test_get_many_reads_exact_latest_content_in_a_batch(store: RecordStore) -> None:
    writes = [write(*dataset(f"m{i}", f"M{i}"), 1, None) for i in range(5)]
    store.commit(writes)
    _, t2 = dataset("m0", "M0 v2")
    store.commit([write(writes[0].record.iri, t2, 2, 1)])
    got = store.get_many([w.record.iri for w in writes] + [BASE + "dataset/absent"])
    assert set(got) == {w.record.iri for w in writes}
    first = got[writes[0].record.iri]
    assert first.revision is not None and first.revision.number == 2
    assert content_hash(first.triples) == content_hash(t2)


def test_histories_of_many_records_in_one_call(store: RecordStore) -> None:
    a, ta = dataset("h1", "A")
    b, tb = dataset("h2", "B")
    store.commit([write(a, ta, 1, None), write(b, tb, 1, None)])
    store.commit([write(a, dataset("h1", "A2")[1], 2, 1)])
    got = store.histories([a, b, BASE + "dataset/none"])
    assert {k: [r.number for r in v] for k, v in got.items()} == {a: [1, 2], b: [1]}


def test_a_rival_commit_between_the_check_and_the_update_is_a_conflict(
    store: RecordStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process commits the same revision number after our head check and before our update:
    ours must be a conflict (nothing written), not a success because the head's number matches."""
    iri, t1 = dataset("rival", "Base")
    store.commit([write(iri, t1, 1, None)])
    _, rival_t = dataset("rival", "Rival")
    rival_update, _ = queries.commit_update([write(iri, rival_t, 2, 1)])
    update = store._update  # type: ignore[attr-defined]
    calls: list[str] = []

    def rival_lands_first(text: str) -> None:
        if not calls:
            update(rival_update)  # what the other process's store instance sent meanwhile
        calls.append(text)
        update(text)

    monkeypatch.setattr(store, "_update", rival_lands_first)
    _, mine = dataset("rival", "Mine")
    with pytest.raises(StaleRevision):
        store.commit([write(iri, mine, 2, 1)])
    monkeypatch.undo()
    head = store.get(iri)
    assert head is not None and head.revision is not None and head.revision.number == 2
    assert content_hash(head.triples) == content_hash(rival_t)
    assert [r.number for r in store.history(iri)] == [1, 2]


def test_a_write_that_would_rewrite_a_revision_is_refused_before_anything_is_sent(store: RecordStore) -> None:
    iri, t1 = dataset("renumbered", "Once")
    store.commit([write(iri, t1, 1, None)])
    _, t2 = dataset("renumbered", "Twice")
    for number, base in ((1, 1), (3, 1), (2, None)):
        with pytest.raises(ValueError, match="revision after its base"):
            store.commit([write(iri, t2, number, base)])
    assert [(r.number, r.content_hash) for r in store.history(iri)] == [(1, content_hash(t1))]


@pytest.mark.parametrize("lands", [True, False], ids=["answer-lost", "never-sent"])
def test_an_update_whose_answer_is_lost_is_judged_by_what_landed(
    store: RecordStore, monkeypatch: pytest.MonkeyPatch, lands: bool
) -> None:
    """The store server committed but its answer never came back (a dropped connection): the commit
    succeeded, and saying 'unavailable' would make the caller retry into a conflict with itself. When
    the update never arrived, it is Unavailable, and nothing was written."""
    iri, t1 = dataset("lost", "Lost answer")
    store.commit([write(iri, t1, 1, None)])
    _, t2 = dataset("lost", "Lost answer, changed")
    update = store._update  # type: ignore[attr-defined]

    def dropped(text: str) -> None:
        if lands:
            update(text)
        raise Unavailable("SPARQL endpoint unreachable: connection reset")

    # an update of a record: the embedded store writes new records without SPARQL text (extend)
    monkeypatch.setattr(store, "_update", dropped)
    if lands:
        store.commit([write(iri, t2, 2, 1)])
    else:
        with pytest.raises(Unavailable, match="connection reset"):
            store.commit([write(iri, t2, 2, 1)])
    monkeypatch.undo()
    head = store.head(iri)
    assert (head.number if head else None) == (2 if lands else 1)


def test_a_revision_keeps_its_quality_score(store: RecordStore) -> None:
    from dataclasses import replace

    from registry.services.quality import assess

    iri, t = dataset("scored", "Scored", extra=2)
    score = assess(iri, t).to_json()
    w = write(iri, t, 1, None)
    assert w.record.revision is not None
    store.commit([Write(replace(w.record, revision=replace(w.record.revision, quality=score)), None)])
    store.commit([write(iri, t, 2, 1)])  # a revision without one reads back as None
    first, second = store.history(iri)
    assert first.quality == score
    assert second.quality is None
    got = store.get(iri, 1)
    assert got is not None and got.revision is not None and got.revision.quality == score
