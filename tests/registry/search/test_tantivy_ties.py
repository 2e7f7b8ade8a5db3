"""Tie groups ordered by IRI: merged per-segment runs give what sorting the whole group gives, reading
only the IRIs the merge needs."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from registry.search.tantivy_ties import first_by_iri


@dataclass(frozen=True)
class Addr:
    segment_ord: int
    doc: int


def _group(seed: int, size: int, segments: int) -> tuple[list[tuple[float, Addr]], dict[Addr, str]]:
    """Hits of one score over `segments` sorted segments (doc order = IRI order in each), shuffled."""
    rnd = random.Random(seed)
    names = sorted(f"https://example.org/{rnd.randrange(10**9):09d}" for _ in range(size))
    iris: dict[Addr, str] = {}
    for seg in range(segments):
        mine = sorted(names[seg::segments] if seg else names[::segments])
        for doc, iri in enumerate(mine):
            iris[Addr(seg, doc * 3)] = iri  # gaps: other documents lie between
    hits = [(1.5, a) for a in iris]
    rnd.shuffle(hits)
    return hits, iris


@pytest.mark.parametrize(("size", "segments", "count"), [(40, 1, 10), (40, 4, 10), (300, 5, 300), (7, 3, 2)])
def test_merged_runs_equal_a_full_sort(size: int, segments: int, count: int) -> None:
    hits, iris = _group(size + segments, size, segments)
    read: list[Addr] = []

    def iri(a: Addr) -> str:
        read.append(a)
        return iris[a]

    want = sorted(hits, key=lambda h: iris[h[1]])[:count]
    assert first_by_iri(hits, count, iri, runs_sorted=True) == want
    # a single run needs no IRI; otherwise the heads, then one per hit taken
    assert len(read) <= (0 if segments == 1 else count + segments)
    assert first_by_iri(hits, count, iris.__getitem__, runs_sorted=False) == want


def test_nothing_needed_reads_nothing() -> None:
    hits, _ = _group(1, 10, 2)
    assert first_by_iri(hits, 0, lambda a: pytest.fail("read an IRI"), runs_sorted=True) == []
