"""content_hash canonicalises only the triples that mention a blank node: it must give the hash of the
whole canonical dataset, for every kind of term and blank-node structure."""

from __future__ import annotations

import hashlib

import pyoxigraph as ox
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.model import content_hash

IRIS = [ox.NamedNode(f"https://example.org/{c}") for c in "abcd"]
BLANKS = [ox.BlankNode(f"b{i}") for i in range(4)]
LITERALS = [
    ox.Literal("plain"),
    ox.Literal('quote " and \\ back\nslash'),
    ox.Literal("Hello", language="en-GB"),
    ox.Literal("120", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#nonNegativeInteger")),
    ox.Literal("1.0", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")),
    ox.Literal("é ✓ \t"),
]
subjects = st.sampled_from([*IRIS, *BLANKS])
objects = st.sampled_from([*IRIS, *BLANKS, *LITERALS])
triples = st.builds(ox.Triple, subjects, st.sampled_from(IRIS[:2]), objects)


def whole_dataset_hash(ts: list[ox.Triple]) -> str:
    """The definition: RDFC-1.0 over every triple, the sorted N-Quads lines hashed."""
    ds = ox.Dataset([ox.Quad(t.subject, t.predicate, t.object) for t in ts])
    ds.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return hashlib.sha256("\n".join(sorted(str(q) for q in ds)).encode("utf-8")).hexdigest()


@settings(max_examples=300, deadline=None)
@given(st.lists(triples, max_size=14))
def test_same_hash_as_canonicalising_everything(ts: list[ox.Triple]) -> None:
    assert content_hash(ts) == whole_dataset_hash(ts)


def test_repeated_triples_count_once() -> None:
    t = ox.Triple(IRIS[0], IRIS[1], LITERALS[1])
    assert content_hash([t, t]) == content_hash([t]) == whole_dataset_hash([t, t])


def test_blank_labels_and_order_do_not_count() -> None:
    a = [ox.Triple(IRIS[0], IRIS[1], BLANKS[0]), ox.Triple(BLANKS[0], IRIS[1], LITERALS[2])]
    b = [ox.Triple(BLANKS[3], IRIS[1], LITERALS[2]), ox.Triple(IRIS[0], IRIS[1], BLANKS[3])]
    assert content_hash(a) == content_hash(b)
