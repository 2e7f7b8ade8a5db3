"""From a record to its search document: titles, facets and the codes it is annotated with."""

from __future__ import annotations

import calendar
import re
from collections import ChainMap
from collections.abc import MutableMapping
from datetime import date

import pyoxigraph as ox

from registry.model import Record
from registry.search.port import SearchDocument
from registry.services.quality import QualityScore
from registry.titles import LABEL_PREDICATES as _LABELS
from registry.titles import record_title
from registry.vocab import DCAT, DCT, FG, HEALTH, SKOS, XSD


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


# xsd:gYear "2019" and xsd:gYearMonth "2019-05", with an optional time zone (DCAT-AP 3 allows both for
# dct:issued and dct:modified): before, they gave no date, so date filters and sorts passed such records by
_YEAR_MONTH = re.compile(r"(\d{4})(?:-(\d{2}))?(?:Z|[+-]\d{2}:\d{2})?")


def _period(rec: Record, pred: str) -> tuple[date | None, date | None]:
    """The first and last day of the record's `pred` date: one day for a date or dateTime, a whole
    month or year for xsd:gYearMonth and xsd:gYear; (None, None) when it has no readable one."""
    for lit in _lits(rec, rec.subject, pred):
        value = lit.value.strip()
        try:
            if lit.datatype.value in (XSD + "gYear", XSD + "gYearMonth"):
                m = _YEAR_MONTH.fullmatch(value)
                if m is None:
                    continue
                year, month = int(m.group(1)), int(m.group(2) or 0)
                if month:
                    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
                return date(year, 1, 1), date(year, 12, 31)
            day = date.fromisoformat(value[:10])
            return day, None
        except ValueError:
            continue
    return None, None


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
    rec: Record, labels: MutableMapping[str, str] | None = None, public: bool | None = None
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
    issued, issued_end = _period(rec, DCT + "issued")
    modified, modified_end = _period(rec, DCT + "modified")
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
        issued=issued,
        issued_end=issued_end,
        modified=modified,
        modified_end=modified_end,
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
