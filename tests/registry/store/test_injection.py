"""No value can change the shape of the store's SPARQL: hostile IRIs are refused (InvalidIri) before
anything is sent, the store stays byte-for-byte as it was, and hostile literal text round-trips exactly.
Both adapters: embedded Oxigraph and a real Oxigraph SPARQL server."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace

import pyoxigraph as ox
import pytest
from hypothesis import example, given

from registry.errors import InputError, InvalidIri, StaleRevision
from registry.model import META_GRAPH, OUTBOX_GRAPH, names_a_store_graph, revision_iri
from registry.rdf import is_iri
from registry.sparql_text import iri, literal, values
from registry.store.port import RecordStore, Write
from registry.vocab import DCT
from tests.hostile import DROP_ALL, LONE_SURROGATE, bounded, iris, languages, texts
from tests.registry.store.test_conformance import dataset, open_store, write


@pytest.fixture(scope="module", params=["embedded", "sparql-endpoint"])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordStore]:
    with open_store(request.param, tmp_path_factory.mktemp("injection")) as s:
        yield s


@pytest.fixture(scope="module")
def seeded(store: RecordStore) -> RecordStore:
    """A store with a record of two revisions (history that an injection could erase)."""
    iri_a, t1 = dataset("seed", "Seed")
    store.commit([write(iri_a, t1, 1, None)])
    store.commit([write(iri_a, dataset("seed", "Seed 2")[1], 2, 1)])
    return store


def _with_agent(w: Write, agent: str) -> Write:
    assert w.record.revision is not None
    rev = replace(w.record.revision, attributed_to=agent)
    return Write(replace(w.record, revision=rev), w.expected_head)


def test_the_drop_all_agent_of_issue_8_is_refused_and_the_store_is_untouched(seeded: RecordStore) -> None:
    before = seeded.dump()
    iri_b, triples = dataset("victim", "Victim")
    with pytest.raises(InvalidIri, match="agent"):
        seeded.commit([_with_agent(write(iri_b, triples, 1, None), DROP_ALL)])
    assert seeded.dump() == before
    assert seeded.get(iri_b) is None and len(seeded.history(dataset("seed", "")[0])) == 2


def _refused(call: Callable[[], object]) -> bool:
    try:
        call()
    except InvalidIri:
        return True
    return False


@bounded
@given(value=iris)
@example(value=LONE_SURROGATE)
def test_every_read_refuses_a_non_iri_and_answers_an_iri(seeded: RecordStore, value: str) -> None:
    reads: list[Callable[[], object]] = [
        lambda: seeded.head(value),
        lambda: seeded.heads([value]),
        lambda: seeded.get(value),
        lambda: seeded.get(value, 1),
        lambda: seeded.get_many([value]),
        lambda: seeded.history(value),
        lambda: seeded.histories([value]),
        lambda: seeded.types_of([value]),
    ]
    valid = is_iri(value)
    for read in reads:
        assert _refused(read) is not valid, value
    if valid:
        assert seeded.get(value) is None and seeded.history(value) == []


@bounded
@given(value=iris)
@example(value=LONE_SURROGATE)
def test_a_refused_write_changes_nothing(seeded: RecordStore, value: str) -> None:
    _, triples = dataset("fuzz", "Fuzz")

    def good() -> Write:  # a fresh valid record for each attempt
        return write(f"https://w3id.org/fairgrid/dataset/fuzz-{uuid.uuid4()}", triples, 1, None)

    attempts: list[Callable[[], object]] = [
        lambda: seeded.commit([_with_agent(good(), value)]),
        lambda: seeded.commit([good(), write(value, triples, 1, None)]),  # all or nothing: good() neither
        lambda: seeded.ack([(value, 1)]),
    ]
    for attempt in attempts:
        before = seeded.dump()
        try:
            attempt()
        except InvalidIri:  # not an IRI, or a record named like one of the store's graphs
            assert (not is_iri(value) or names_a_store_graph(value)) and seeded.dump() == before, value
        except StaleRevision:  # a valid IRI an earlier example registered: refused as a whole too
            assert is_iri(value) and seeded.dump() == before, value
        else:
            assert is_iri(value), value


@pytest.mark.parametrize(
    "name", [META_GRAPH, OUTBOX_GRAPH, revision_iri("https://w3id.org/fairgrid/dataset/seed", 1)]
)
def test_a_record_named_like_a_store_graph_is_refused_and_the_store_is_untouched(
    seeded: RecordStore, name: str
) -> None:
    """Its content would replace the graph's: a record `urn:fairgrid:meta` deleted every head (found by
    the test above when its examples included that name)."""
    before = seeded.dump()
    _, triples = dataset("fuzz", "Fuzz")
    good = write(f"https://w3id.org/fairgrid/dataset/fuzz-{uuid.uuid4()}", triples, 1, None)
    with pytest.raises(InvalidIri, match="store's own graphs"):
        seeded.commit([good, write(name, triples, 1, None)])
    assert seeded.dump() == before
    assert len(seeded.history(dataset("seed", "")[0])) == 2


@bounded
@given(text=texts)
def test_hostile_literal_text_is_stored_and_read_back_exactly(seeded: RecordStore, text: str) -> None:
    record_iri = f"https://w3id.org/fairgrid/dataset/literal-{uuid.uuid4()}"
    _, triples = dataset("x", "X")
    s = ox.NamedNode(record_iri)
    content = (*triples, ox.Triple(s, ox.NamedNode(DCT + "description"), ox.Literal(text)))
    w = write(record_iri, content, 1, None)
    assert w.record.revision is not None
    note = replace(w.record.revision, note=text or None, reason=text or None)
    seeded.commit([Write(replace(w.record, revision=note), None)])
    got = seeded.get(record_iri)
    assert got is not None and got.revision is not None
    assert ox.Literal(text) in {t.object for t in got.triples}
    assert got.revision.note == (text or None) and got.revision.reason == (text or None)


@bounded
@given(tag=languages)
def test_a_language_tag_is_a_tag_or_refused(tag: str) -> None:
    try:
        text = literal("x", language=tag)
    except InputError:
        return
    assert text.startswith('"x"@') and all(c.isalnum() or c == "-" for c in text[4:])


def test_term_text_refuses_what_is_not_an_iri() -> None:
    assert iri("https://w3id.org/fairgrid/dataset/a") == "<https://w3id.org/fairgrid/dataset/a>"
    assert values(["urn:a", "urn:b"]) == "<urn:a> <urn:b>"
    for bad in ("a b", "a>b", DROP_ALL, "", "https://x/{"):
        with pytest.raises(InvalidIri):
            iri(bad)
    assert literal('a"b\n> } ; DROP ALL') == '"a\\"b\\n> } ; DROP ALL"'
    assert literal("1", datatype="http://www.w3.org/2001/XMLSchema#integer").endswith("#integer>")
