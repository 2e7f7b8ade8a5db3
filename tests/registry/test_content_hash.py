"""content_hash canonicalises only the triples that mention a blank node: it must give the hash of the
whole canonical dataset, for every kind of term and blank-node structure."""

from __future__ import annotations

import hashlib
import time

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.errors import InputError
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


def _chain(depth: int) -> list[ox.Triple]:
    ttl = "<https://x/s> <https://x/p> " + "[ <https://x/p> " * depth + "<https://x/o>" + " ]" * depth + " ."
    return [q.triple for q in ox.parse(ttl.encode(), format=ox.RdfFormat.TURTLE)]


def test_blank_nodes_nest_at_most_64_deep_and_never_in_a_cycle() -> None:
    # RDFC-1.0 grows much faster than the blank nodes: a chain 500 deep cost 9.5 s of CPU per write,
    # one 5,000 deep over 300 s
    start = time.process_time()
    assert content_hash(_chain(64))
    with pytest.raises(InputError, match="more than 64 deep"):
        content_hash(_chain(5000))
    assert time.process_time() - start < 2
    small = "\n".join(f"_:r{i} <https://x/p> _:r{(i + 1) % 3} ." for i in range(3))
    assert content_hash([q.triple for q in ox.parse(small.encode(), format=ox.RdfFormat.N_TRIPLES)])
    ring = "\n".join(f"_:r{i} <https://x/p> _:r{(i + 1) % 200} ." for i in range(200))  # 0.5 s before
    with pytest.raises(InputError, match="deep"):
        content_hash([q.triple for q in ox.parse(ring.encode(), format=ox.RdfFormat.N_TRIPLES)])
    ring = "\n".join(f"_:r{i} <https://x/p> _:r{(i + 1) % 60} ." for i in range(60))
    ring += "".join(f"\n<https://x/s> <https://x/q> _:leaf{i} ." for i in range(10))
    with pytest.raises(InputError, match="70 blank nodes with a cycle"):
        content_hash([q.triple for q in ox.parse(ring.encode(), format=ox.RdfFormat.N_TRIPLES)])
    shared = "_:a <https://x/p> _:c .\n_:b <https://x/p> _:c .\n_:c <https://x/q> <https://x/o> ."  # no cycle
    assert content_hash([q.triple for q in ox.parse(shared.encode(), format=ox.RdfFormat.N_TRIPLES)])
