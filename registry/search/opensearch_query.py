"""OpenSearch/Elasticsearch queries for a search's text and filters (as `tantivy_query` builds the
embedded index's: both read the text with `text_query.read`, and the conformance suite holds them to
the same matches)."""

from __future__ import annotations

from typing import Any

from registry.folding import other_form
from registry.search import text_query
from registry.search.port import FIELD_BOOSTS, SearchFilter


def build_query(text: str | None, f: SearchFilter) -> dict[str, Any]:
    filters: list[dict[str, Any]] = []
    for field, values in f.term_filters():
        if values:
            filters.append({"terms": {field: list(dict.fromkeys(values))}})
    if f.min_unique_individuals is not None:
        filters.append({"range": {"individuals": {"gte": f.min_unique_individuals}}})
    if f.min_quality is not None:
        filters.append({"range": {"quality": {"gte": f.min_quality}}})
    for field, lo, hi in (
        ("issued", f.issued_from, f.issued_to),
        ("modified", f.modified_from, f.modified_to),
    ):
        # a record's period overlaps [lo, hi]: it ends on or after lo, starts on or before hi
        if lo is not None:
            filters.append({"range": {f"{field}_end": {"gte": lo.isoformat()}}})
        if hi is not None:
            filters.append({"range": {field: {"lte": hi.isoformat()}}})
    if not f.include_deprecated:
        filters.append({"term": {"deprecated": False}})
    if f.public_only:
        filters.append({"term": {"public": True}})
    asked = text_query.read(text)
    if not (asked.groups or asked.excluded):
        return {"bool": {"must": [{"match_all": {}}], "filter": filters}}
    # Each word must be in some text field, in its spelling or the other (as the embedded index's
    # catch-all field decides); the words as written, in the text fields, give the score.
    fields = [*FIELD_BOOSTS, "spellings"]

    def either(word: str, stop_words_match: bool) -> dict[str, Any]:
        other = other_form(word)
        forms = [word] if other is None else [word, other]
        # a word of stop words only matches everything, as before; its other form ("four": "for") nothing
        alts = [_all_of(form, fields, stop_words_match and i == 0) for i, form in enumerate(forms)]
        return alts[0] if len(alts) == 1 else {"bool": {"should": alts, "minimum_should_match": 1}}

    for group in asked.groups:
        if len(group) == 1:
            filters.append(either(group[0], True))
        else:  # a stop word is no alternative: the embedded index drops it from the group
            filters.append({"bool": {"should": [either(w, False) for w in group], "minimum_should_match": 1}})
    out: dict[str, Any] = {"filter": filters}
    if asked.excluded:  # a stop word excludes nothing
        out["must_not"] = [either(w, False) for w in asked.excluded]
    if asked.groups:
        # with OR a record has some of the words, and those score it (as the embedded index scores them)
        joined = any(len(g) > 1 for g in asked.groups)
        scored = _all_of(
            " ".join(asked.words), [f"{n}^{b}" for n, b in FIELD_BOOSTS.items()], any_term=joined
        )
        scored["multi_match"]["tie_breaker"] = 0.3  # as the embedded adapter's dis_max
        out["should"] = [scored]
    else:
        out["must"] = [{"match_all": {}}]
    return {"bool": out}


def _all_of(
    text: str, fields: list[str], stop_words_match: bool = True, any_term: bool = False
) -> dict[str, Any]:
    """Every term of `text` in one of `fields` (`any_term`: any of them); a text of stop words only matches
    every document or none."""
    operator = "or" if any_term else "and"
    match = {"query": text, "type": "cross_fields", "operator": operator, "fields": fields}
    return {"multi_match": {**match, "zero_terms_query": "all" if stop_words_match else "none"}}
