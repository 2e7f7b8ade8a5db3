"""Helpers both adapters share: cursors, sort keys, facet bucket ordering, snippets."""

from __future__ import annotations

import base64
import html
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from registry import json_text
from registry.errors import InputError
from registry.folding import fold
from registry.search.port import TERM_CHARS, Facet, FacetBucket, SearchDocument

LABEL_SEP = "\x1f"  # joins "IRI<sep>label" in the label_pairs field
SNIPPET_CHARS = 200
# Value a sort date gets when the record has none: after every real date (see date_sort_key).
_NO_DATE = "99999999"

FACET_SIZE = 10_000  # distinct values per facet; terms aggregations are exact up to this
# Index field of each facet (the same in both adapters); `orgs` (publisher + sites) is the publisher
# *filter* field, see SearchFilter.term_filters.
FACET_FIELDS: dict[Facet, str] = {
    Facet.KIND: "kind",
    Facet.THEME: "theme",
    Facet.KEYWORD: "keyword",
    Facet.PUBLISHER: "publisher",
    Facet.ACCESS_RIGHTS: "access_rights",
    Facet.LICENSE: "license",
    Facet.HEALTH_CATEGORY: "health_category",
    Facet.CODING_SYSTEM: "coding_system",
    Facet.DISEASE: "disease",
}


def encode_cursor(state: Mapping[str, Any]) -> str:
    raw = json.dumps(state, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, required: str) -> dict[str, Any]:
    try:
        pad = "=" * (-len(cursor) % 4)
        state = json_text.loads(base64.urlsafe_b64decode(cursor + pad))
    except (ValueError, TypeError) as e:
        raise InputError("the `after` cursor is not one this index issued", hint="page from the start") from e
    if not isinstance(state, dict) or required not in state:
        raise _forged()
    return state


def cursor_offset(state: Mapping[str, Any], key: str = "o") -> int:
    """The number of hits before the cursor's page. Cursors come back from callers: a forged offset of
    2**32 had tantivy allocate a 206 GB heap, and the failed allocation aborted the whole server."""
    value = state.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**53:
        raise _forged()
    return value


def _forged() -> InputError:
    return InputError("the `after` cursor is not one this index issued", hint="page from the start")


def title_key(title: str) -> str:
    """Title order without case or accents ("Étude" among the e's, not after "Zeta"); computed here so
    every engine sorts identically. The first 1,000 characters decide (a longer key is a term OpenSearch
    may refuse); ties go by IRI, as always."""
    return fold(title).strip()[:1000]


def date_sort_key(d: date | None) -> str:
    """Ascending order of this key is *descending* date order; records without a date come last."""
    if d is None:
        return _NO_DATE
    return f"{99999999 - int(d.strftime('%Y%m%d')):08d}"


def quality_sort_key(quality: float | None) -> str:
    """Ascending order of this key is *descending* quality (hundredths of a point); unscored come last."""
    if quality is None:
        return _NO_DATE
    return f"{9_999_999 - round(quality * 100):08d}"


def label_pairs(doc: SearchDocument) -> list[str]:
    pairs = (f"{k}{LABEL_SEP}{v}" for k, v in sorted(doc.all_labels().items()))
    return [p for p in pairs if len(p) <= TERM_CHARS]


def labels_from_pairs(pairs: Iterable[tuple[str, int]]) -> dict[str, str]:
    """IRI -> label; when documents disagree, the label used most often wins (then the smallest)."""
    votes: dict[str, Counter[str]] = {}
    for pair, n in pairs:
        iri, _, label = pair.partition(LABEL_SEP)
        votes.setdefault(iri, Counter())[label] += n
    return {iri: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for iri, c in votes.items()}


def buckets(counts: Iterable[tuple[str, int]], labels: Mapping[str, str]) -> list[FacetBucket]:
    out = [FacetBucket(value=v, label=labels.get(v, v), count=n) for v, n in counts if n > 0]
    out.sort(key=lambda b: (-b.count, b.value))
    return out


def highlight(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """HTML-escape `text` and wrap the given (start, end) character spans in <em>."""
    out: list[str] = []
    pos = 0
    for start, end in sorted(spans):
        if start < pos:
            continue
        out.append(html.escape(text[pos:start]))
        out.append("<em>" + html.escape(text[start:end]) + "</em>")
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def plain_snippet(text: str) -> str:
    if len(text) <= SNIPPET_CHARS:
        return html.escape(text)
    cut = text.rfind(" ", 0, SNIPPET_CHARS)
    return html.escape(text[: cut if cut > 0 else SNIPPET_CHARS]) + "…"
