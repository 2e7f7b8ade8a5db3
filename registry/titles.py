"""What a record and the nodes it names are called: one rule for search hits, the landing page, the
catalogue list and the links between records, so a person sees a record under the same name wherever
it appears."""

from __future__ import annotations

import pyoxigraph as ox

from registry.model import Record
from registry.vocab import DCT, FOAF, RDFS, SKOS, VCARD

LABEL_PREDICATES = (SKOS + "prefLabel", FOAF + "name", DCT + "title", RDFS + "label", VCARD + "fn")


def _english(lit: ox.Literal) -> bool:
    return (lit.language or "en").startswith("en")  # an untagged text is taken as English


def record_labels(rec: Record) -> dict[str, str]:
    """Each node the record labels: its first English (or untagged) label, else its first label."""
    out: dict[str, str] = {}
    english: set[str] = set()
    for t in rec.triples:
        s, o = t.subject, t.object
        if t.predicate.value not in LABEL_PREDICATES or not isinstance(o, ox.Literal):
            continue
        if isinstance(s, ox.NamedNode | ox.BlankNode) and s.value not in english:
            if _english(o):
                out[s.value] = o.value
                english.add(s.value)
            else:
                out.setdefault(s.value, o.value)
    return out


def record_title(rec: Record) -> str:
    """The record's dct:title (English first), else its label, else its IRI."""
    titles = [o for o in rec.values(DCT + "title") if isinstance(o, ox.Literal)]
    if titles:
        return next((x for x in titles if _english(x)), titles[0]).value
    return record_labels(rec).get(rec.iri, rec.iri)
