"""Tantivy queries for a search's text and filters (the embedded index's query building).

Kept apart from the index's reading and writing: what a search matches is decided here alone.
"""

from __future__ import annotations

import tantivy

from registry.folding import spelling
from registry.search.port import FIELD_BOOSTS, SearchFilter
from registry.search.tantivy_docs import ALL_TEXT, to_datetime

_FEW_VALUES = 16
Should = tantivy.Occur.Should


def build(s: tantivy.Schema, tokens: list[str], f: SearchFilter, scored: bool = True) -> tantivy.Query:
    """The query for analysed `tokens` under filters `f`. Each token must be in the catch-all field, in
    its spelling or the other (one posting list per term: enough for counting, facets and field-sorted
    pages); scored, the token in the text fields gives the score, so a match that only the other
    spelling makes (the text says "Haematology", the search "hematology") ranks after those it scores."""
    Q = tantivy.Query
    clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
    for tok in dict.fromkeys(tokens):
        forms = [t for t in dict.fromkeys([tok, spelling(tok)]) if t]
        anywhere = [Q.term_query(s, ALL_TEXT, t) for t in forms]
        either = anywhere[0] if len(anywhere) == 1 else Q.boolean_query([(Should, q) for q in anywhere])
        clauses.append((tantivy.Occur.Must, Q.const_score_query(either, 0.0)))
        if scored:
            per_field = [Q.boost_query(Q.term_query(s, fld, tok), b) for fld, b in FIELD_BOOSTS.items()]
            clauses.append((Should, Q.disjunction_max_query(per_field, 0.3)))
    filters: list[tantivy.Query] = []
    for field, values in f.term_filters():
        if values:
            filters.append(any_of(s, field, list(dict.fromkeys(values))))
    if f.min_unique_individuals is not None:
        filters.append(
            Q.range_query(s, "individuals", tantivy.FieldType.Integer, f.min_unique_individuals, 2**62)
        )
    if f.min_quality is not None:
        filters.append(Q.range_query(s, "quality", tantivy.FieldType.Float, float(f.min_quality), 1e9))
    for field, lo, hi in (
        ("issued", f.issued_from, f.issued_to),
        ("modified", f.modified_from, f.modified_to),
    ):
        if lo is not None or hi is not None:
            lo_dt = to_datetime(lo) if lo else tantivy.MIN_DATETIME  # type: ignore[attr-defined]
            hi_dt = to_datetime(hi) if hi else tantivy.MAX_DATETIME  # type: ignore[attr-defined]
            filters.append(Q.range_query(s, field, tantivy.FieldType.Date, lo_dt, hi_dt))
    # Filters must not change BM25 scores: wrap them in a zero-score clause.
    clauses += [(tantivy.Occur.Must, Q.const_score_query(fq, 0.0)) for fq in filters]
    # Every document has both flags, so excluding the few deprecated (or non-public) ones is the
    # same filter as requiring the many others, and much cheaper to intersect.
    exclude = [] if f.include_deprecated else [Q.term_query(s, "deprecated", True)]
    if f.public_only:
        exclude.append(Q.term_query(s, "public", False))
    if not clauses:
        clauses.append((tantivy.Occur.Must, Q.all_query()))
    return Q.boolean_query(clauses + [(tantivy.Occur.MustNot, q) for q in exclude])


def any_of(s: tantivy.Schema, field: str, values: list[str]) -> tantivy.Query:
    """Documents with any of `values` in `field`. A few values are a union of term queries (which
    skip through postings); a term set builds a bitset over the whole index, worth it only for
    long lists such as a disease with all its descendants."""
    Q = tantivy.Query
    if len(values) == 1:
        return Q.term_query(s, field, values[0])
    if len(values) <= _FEW_VALUES:
        return Q.boolean_query([(tantivy.Occur.Should, Q.term_query(s, field, v)) for v in values])
    return Q.term_set_query(s, field, values)
