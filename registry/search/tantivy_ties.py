"""Ordering of score ties by IRI in the embedded index (ranked pages: score desc, then IRI asc).

Tantivy breaks a tie by document address. An index sorted by `iri` (its segments keep their documents
in IRI order, across merges too) has each tie group already in IRI order within one segment, so the
group's first hits in IRI order come from merging one run per segment: only the run heads' IRIs are
read, not every tied document's (tie groups reach hundreds of hits at 1,000,000 records, and reading
a stored document costs ~30 us). An index built before sorting has its groups sorted whole.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

SORT_FIELD = "iri"

Hit = tuple[float, Any]  # (score, tantivy.DocAddress)


def sorted_by_iri(folder: Path) -> bool:
    """Whether the index in `folder` keeps its segments sorted by IRI (set when it was created)."""
    try:
        meta = json.loads((folder / "meta.json").read_text())
    except (OSError, ValueError):
        return False
    sort = (meta.get("index_settings") or {}).get("sort_by_field") or {}
    return sort.get("field") == SORT_FIELD and str(sort.get("order", "Asc")).lower() == "asc"


def first_by_iri(group: list[Hit], count: int, iri: Callable[[Any], str], runs_sorted: bool) -> list[Hit]:
    """The first `count` hits of a tie group in IRI order; `iri` reads a hit's IRI by its address."""
    if count <= 0:
        return []
    if not runs_sorted:
        return sorted(group, key=lambda h: iri(h[1]))[:count]
    runs: dict[int, list[Hit]] = {}
    for h in group:
        runs.setdefault(h[1].segment_ord, []).append(h)
    for run in runs.values():
        run.sort(key=lambda h: h[1].doc)  # doc order is IRI order within a sorted segment
    if len(runs) == 1:
        return next(iter(runs.values()))[:count]
    heads = [(iri(run[0][1]), seg, 0) for seg, run in runs.items()]
    heapq.heapify(heads)
    out: list[Hit] = []
    while heads and len(out) < count:
        _, seg, k = heapq.heappop(heads)
        run = runs[seg]
        out.append(run[k])
        if k + 1 < len(run):
            heapq.heappush(heads, (iri(run[k + 1][1]), seg, k + 1))
    return out


def page_by_iri(
    hits: list[Hit], offset: int, need: int, iri: Callable[[Any], str], runs_sorted: bool
) -> list[Hit]:
    """Hits `offset` to `need` of a score-ordered list once each tie group touching them is in IRI
    order (the groups wholly before the page keep tantivy's order: only their length matters)."""
    ordered: list[Hit] = []
    i = 0
    while i < len(hits) and i < need:
        j = i
        while j < len(hits) and hits[j][0] == hits[i][0]:
            j += 1
        group = hits[i:j]
        if j - i > 1 and j > offset:
            group = first_by_iri(group, need - i, iri, runs_sorted)
        ordered += group
        i = j
    return ordered[offset:need]
