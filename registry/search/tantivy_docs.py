"""The embedded index's tantivy schema, analyzer and document mapping.

Sort keys (title, dates) are precomputed strings so that both adapters order hits the same way; facet
values and `label_pairs` are raw (untokenized) fast fields, which tantivy's terms aggregations count.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import tantivy

from registry.folding import other_spellings
from registry.search import common
from registry.search.common import FACET_FIELDS
from registry.search.port import Facet, SearchDocument, SearchSort

TOKENIZER = "fg_en"
# Precomputed sort keys per sort order (RELEVANCE sorts by score).
SORT_FIELDS = {
    SearchSort.TITLE: "sort_title",
    SearchSort.MODIFIED_DESC: "sort_modified",
    SearchSort.ISSUED_DESC: "sort_issued",
    SearchSort.QUALITY_DESC: "sort_quality",
}
_TEXT_FIELDS = ("title", "keywords_text", "description", "text")
# Every term of the text fields in one field, without positions or frequencies: matching and counting
# read one posting list per query term instead of a union over the four fields. It also holds the other
# spelling of words that have one (registry/folding.other_spellings), so matching finds either.
ALL_TEXT = "all_text"


def analyzer() -> tantivy.TextAnalyzer:
    b = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    for f in (
        tantivy.Filter.remove_long(40),
        tantivy.Filter.lowercase(),
        tantivy.Filter.ascii_fold(),  # "waldenstrom" finds "Waldenström" (registry/folding.py)
        tantivy.Filter.stopword("english"),
        tantivy.Filter.stemmer("english"),
    ):
        b = b.filter(f)
    return b.build()


def schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("iri", stored=True, fast=True, tokenizer_name="raw")
    sb.add_text_field("kind", stored=True, fast=True, tokenizer_name="raw")
    for name in _TEXT_FIELDS:
        sb.add_text_field(name, stored=name != "keywords_text", tokenizer_name=TOKENIZER)
    sb.add_text_field(ALL_TEXT, tokenizer_name=TOKENIZER, index_option="basic")
    for name in [*FACET_FIELDS.values(), "orgs", "label_pairs", *SORT_FIELDS.values()]:
        if name != "kind":
            sb.add_text_field(name, fast=True, tokenizer_name="raw")
    sb.add_integer_field("individuals", indexed=True, fast=True)
    sb.add_float_field("quality", indexed=True, fast=True)
    sb.add_date_field("issued", indexed=True, fast=True)
    sb.add_date_field("modified", indexed=True, fast=True)
    sb.add_date_field("issued_end", indexed=True)  # a period's last day, for "from" bounds
    sb.add_date_field("modified_end", indexed=True)
    sb.add_boolean_field("deprecated", indexed=True, fast=True)
    sb.add_boolean_field("public", indexed=True, fast=True)
    return sb.build()


# Tantivy keeps dates as nanoseconds in an i64: 1677-09-21 to 2262-04-11. A record modified "2300-01-01"
# raised ValueError in every outbox drain, so no later record reached the index; and a filter from that
# date was an internal error. Days outside are clamped to the first and last whole day tantivy holds, so
# range filters and sorting still place them before or after every other date.
_FIRST_DAY, _LAST_DAY = date(1677, 9, 22), date(2262, 4, 11)


def to_datetime(d: date) -> datetime:
    d = min(max(d, _FIRST_DAY), _LAST_DAY)
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def to_tantivy(d: SearchDocument) -> tantivy.Document:
    doc = tantivy.Document()
    doc.add_text("iri", d.iri)
    doc.add_text("kind", d.kind)
    doc.add_text("title", d.title)
    doc.add_text("description", d.description)
    doc.add_text("text", d.text)
    for kw in d.keywords:
        doc.add_text("keywords_text", kw)
    for value in d.texts():
        doc.add_text(ALL_TEXT, value)
        other = other_spellings(value)  # "Haematology" is found as "hematology" too
        if other:
            doc.add_text(ALL_TEXT, other)
    for facet, name in FACET_FIELDS.items():
        if facet is not Facet.KIND:
            for v in d.facet_values(facet):
                doc.add_text(name, v)
    for org in d.orgs():
        doc.add_text("orgs", org)
    for pair in common.label_pairs(d):
        doc.add_text("label_pairs", pair)
    doc.add_text("sort_title", f"{common.title_key(d.title)}\x00{d.iri}")
    doc.add_text("sort_modified", f"{common.date_sort_key(d.modified)}\x00{d.iri}")
    doc.add_text("sort_issued", f"{common.date_sort_key(d.issued)}\x00{d.iri}")
    doc.add_text("sort_quality", f"{common.quality_sort_key(d.quality)}\x00{d.iri}")
    if d.quality is not None:
        doc.add_float("quality", float(d.quality))
    if d.unique_individuals is not None:
        doc.add_integer("individuals", d.unique_individuals)
    if d.issued is not None:
        doc.add_date("issued", to_datetime(d.issued))
        doc.add_date("issued_end", to_datetime(d.issued_end or d.issued))
    if d.modified is not None:
        doc.add_date("modified", to_datetime(d.modified))
        doc.add_date("modified_end", to_datetime(d.modified_end or d.modified))
    doc.add_boolean("deprecated", d.deprecated)
    doc.add_boolean("public", d.public)
    return doc
