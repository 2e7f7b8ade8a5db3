"""From a record to its search document: titles, facets and the codes it is annotated with."""

from __future__ import annotations

from collections import ChainMap
from datetime import date

import pyoxigraph as ox

from registry.model import Record
from registry.search.port import SearchDocument
from registry.services.quality import QualityScore
from registry.titles import LABEL_PREDICATES as _LABELS
from registry.titles import record_title
from registry.vocab import DCAT, DCT, FG, HEALTH, SKOS


def _lits(rec: Record, subject: ox.NamedNode | ox.BlankNode, pred: str) -> list[ox.Literal]:
    p = ox.NamedNode(pred)
    return [
        t.object
        for t in rec.triples
        if t.subject == subject and t.predicate == p and isinstance(t.object, ox.Literal)
    ]


def _iris(rec: Record, pred: str) -> list[str]:
    p = ox.NamedNode(pred)
    return sorted(
        {
            t.object.value
            for t in rec.triples
            if t.subject == rec.subject and t.predicate == p and isinstance(t.object, ox.NamedNode)
        }
    )


def _text(lits: list[ox.Literal]) -> str:
    en = [x for x in lits if (x.language or "en").startswith("en")]
    return (en or lits)[0].value if lits else ""


def _date(rec: Record, pred: str) -> date | None:
    for lit in _lits(rec, rec.subject, pred):
        try:
            return date.fromisoformat(lit.value[:10])
        except ValueError:
            continue
    return None


def _first(rec: Record, pred: str) -> str | None:
    vals = _iris(rec, pred)
    return vals[0] if vals else None


def whole_i64(text: str) -> int | None:
    """`text` as a whole number if it fits the indexes' integer fields (tantivy's i64, OpenSearch's
    long), else None. xsd:integer has no bound: a 401-digit count, valid and stored, made every drain
    of the outbox fail (OverflowError), so no later record reached the index either."""
    text = text.strip()
    if len(text) > 20:  # longer is out of range whatever it says; int() of thousands of digits is slow
        return None
    try:
        n = int(text)
    except ValueError:
        return None
    return n if -(2**63) <= n < 2**63 else None


def _int(rec: Record, pred: str) -> int | None:
    """The first value that fits the indexes' integer fields."""
    for lit in _lits(rec, rec.subject, pred):
        n = whole_i64(lit.value)
        if n is not None:
            return n
    return None


def to_document(
    rec: Record, labels: dict[str, str] | None = None, public: bool | None = None
) -> SearchDocument:
    """`labels` resolves IRIs not described in the record itself (themes, concepts, publishers)."""
    s = rec.subject
    own: dict[str, str] = {}
    for t in rec.triples:
        if (
            isinstance(t.subject, ox.NamedNode)
            and t.predicate.value in _LABELS
            and isinstance(t.object, ox.Literal)
        ):
            own.setdefault(t.subject.value, t.object.value)
    # the given labels first, as before, but not copied: with the complete terminologies they are
    # ~44,000, and a copy per record cost milliseconds per indexed record
    known = ChainMap(labels or {}, own)
    title = record_title(rec)
    description = _text(_lits(rec, s, DCT + "description")) or _text(_lits(rec, s, SKOS + "definition"))
    keywords = sorted({k.value for k in _lits(rec, s, DCAT + "keyword")})
    publisher = _first(rec, DCT + "publisher")
    sites = _iris(rec, FG + "hostedAt")
    diseases = sorted(set(_iris(rec, HEALTH + "hasCodeValues")) | set(_iris(rec, FG + "useCase")))
    # HealthDCAT-AP codes what a dataset is about so that it can be found by it: one coded D57.1 is
    # found by "D57.1" and by "sickle cell anaemia" though its title says "SCD registry"
    extra = [known[d] for d in diseases if d in known]
    for t in rec.triples:  # other literal text (distribution titles, concept labels) helps recall
        if isinstance(t.object, ox.Literal) and t.subject != s and t.predicate.value in _LABELS:
            extra.append(t.object.value)
    if rec.kind.value == "Terminology":
        extra += [t.object.value for t in rec.triples if t.predicate.value == SKOS + "notation"]  # type: ignore[union-attr]
    used = {*_iris(rec, DCAT + "theme"), *sites, *diseases, *_iris(rec, HEALTH + "healthCategory")}
    used |= {
        *_iris(rec, DCT + "accessRights"),
        *_iris(rec, DCT + "license"),
        *_iris(rec, HEALTH + "hasCodingSystem"),
    }
    if publisher:
        used.add(publisher)
    return SearchDocument(
        iri=rec.iri,
        kind=rec.kind.value,
        title=title,
        description=description,
        keywords=keywords,
        themes=_iris(rec, DCAT + "theme"),
        publisher=publisher,
        publisher_label=known.get(publisher) if publisher else None,
        sites=sites,
        access_rights=_first(rec, DCT + "accessRights"),
        license=_first(rec, DCT + "license"),
        health_categories=_iris(rec, HEALTH + "healthCategory"),
        coding_systems=_iris(rec, HEALTH + "hasCodingSystem"),
        diseases=diseases,
        unique_individuals=_int(rec, HEALTH + "numberOfUniqueIndividuals"),
        issued=_date(rec, DCT + "issued"),
        modified=_date(rec, DCT + "modified"),
        labels={iri: known[iri] for iri in sorted(used) if iri in known},
        text=" ".join(extra[:2000]),
        deprecated=rec.deprecated,
        public=rec.is_public if public is None else public,
        quality=_quality(rec),
    )


def _quality(rec: Record) -> float | None:
    if rec.revision is None or not rec.revision.quality:
        return None
    return QualityScore.from_json(rec.revision.quality).total
