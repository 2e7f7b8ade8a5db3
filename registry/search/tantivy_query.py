"""Tantivy queries for a search's text and filters (the embedded index's query building).

Kept apart from the index's reading and writing: what a search matches is decided here alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import tantivy

from registry.folding import other_form
from registry.search import text_query
from registry.search.port import FIELD_BOOSTS, SearchFilter
from registry.search.tantivy_docs import ALL_TEXT, to_datetime

_FEW_VALUES = 16
Must, Should = tantivy.Occur.Must, tantivy.Occur.Should


# a query word: its tokens as written, and the tokens of its other spelling (empty when it has none)
Word = tuple[tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True)
class Words:
    """A search text's words, analysed (`text_query.read` says what the text asks for)."""

    groups: tuple[tuple[Word, ...], ...] = ()  # every group must match, by any one of its words
    excluded: tuple[Word, ...] = ()


def words(analyzer: tantivy.TextAnalyzer, text: str | None) -> Words:
    """The query's words with their tokens, each spelling analysed as the indexed text is (the index
    holds `folding.other_spellings` of its text, made from words before analysis too). A word of
    stop words or punctuation only has no term to match and is dropped, as are groups left empty."""

    def word(w: str) -> Word | None:
        as_written = tuple(analyzer.analyze(w))
        if not as_written:
            return None
        other = other_form(w)
        other_tokens = tuple(analyzer.analyze(other)) if other else ()
        return as_written, () if other_tokens == as_written else other_tokens

    asked = text_query.read(text)
    groups = [tuple(dict.fromkeys(x for x in map(word, g) if x)) for g in asked.groups]
    excluded = [x for x in map(word, asked.excluded) if x]
    return Words(tuple(dict.fromkeys(g for g in groups if g)), tuple(dict.fromkeys(excluded)))


def tokens(ws: Words) -> list[str]:
    """The tokens that score and are highlighted: those of the words asked for, not the excluded."""
    return list(dict.fromkeys(t for group in ws.groups for as_written, _ in group for t in as_written))


def build(s: tantivy.Schema, ws: Words, f: SearchFilter, scored: bool = True) -> tantivy.Query:
    """The query for words `ws` under filters `f`. Each word must be in the catch-all field, as written
    or in its other spelling (one posting list per term: enough for counting, facets and field-sorted
    pages); scored, its tokens in the text fields give the score, so a match that only the other
    spelling makes (the text says "Haematology", the search "hematology") ranks after those it scores.
    A group of words joined by OR needs any one of them; an excluded word's records are left out."""
    Q = tantivy.Query
    clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []

    def all_in_text(toks: tuple[str, ...]) -> tantivy.Query:
        terms = [Q.term_query(s, ALL_TEXT, t) for t in dict.fromkeys(toks)]
        return terms[0] if len(terms) == 1 else Q.boolean_query([(Must, q) for q in terms])

    def either(w: Word) -> tantivy.Query:
        as_written, other = w
        q = all_in_text(as_written)
        return Q.boolean_query([(Should, q), (Should, all_in_text(other))]) if other else q

    for group in ws.groups:
        anyof = either(group[0]) if len(group) == 1 else Q.boolean_query([(Should, either(w)) for w in group])
        clauses.append((Must, Q.const_score_query(anyof, 0.0)))
    if scored:
        for tok in tokens(ws):
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
        # a record's period (a day, a month, a year) overlaps [lo, hi]: it ends on or after lo, starts
        # on or before hi
        if lo is not None:
            lo_dt, top = to_datetime(lo), tantivy.MAX_DATETIME  # type: ignore[attr-defined]
            filters.append(Q.range_query(s, f"{field}_end", tantivy.FieldType.Date, lo_dt, top))
        if hi is not None:
            bottom, hi_dt = tantivy.MIN_DATETIME, to_datetime(hi)  # type: ignore[attr-defined]
            filters.append(Q.range_query(s, field, tantivy.FieldType.Date, bottom, hi_dt))
    # Filters must not change BM25 scores: wrap them in a zero-score clause.
    clauses += [(tantivy.Occur.Must, Q.const_score_query(fq, 0.0)) for fq in filters]
    # Every document has both flags, so excluding the few deprecated (or non-public) ones is the
    # same filter as requiring the many others, and much cheaper to intersect.
    exclude = [either(w) for w in ws.excluded]
    if not f.include_deprecated:
        exclude.append(Q.term_query(s, "deprecated", True))
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
