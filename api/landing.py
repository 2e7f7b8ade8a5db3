"""The HTML landing page of a record: readable by people, with the record embedded as JSON-LD
(schema.org plus DCAT) for search engines. This module turns a record into plain values (texts, links,
described nodes); the template (api/pages/templates/landing.html.j2) escapes them, and only IRIs
with a web scheme become links (`safe_href`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import pyoxigraph as ox
from markupsafe import Markup

from api.linked_data import FORMAT_NAMES, RDF_TYPES, local_path
from api.pages import render as render_template
from api.pages import safe_href
from registry.model import Record, RevisionInfo
from registry.services.quality import MAX_TOTAL, QualityScore
from registry.vocab import ACCESS_PUBLIC, DCAT, DCT, FOAF, HEALTH, RDF_TYPE, RDFS, SKOS, VCARD, Kind

SCHEMA = "https://schema.org/"
PREDICATE_LABELS: dict[str, str] = {
    DCT + "identifier": "Identifier",
    DCT + "publisher": "Publisher",
    DCT + "creator": "Creator",
    DCAT + "contactPoint": "Contact point",
    DCAT + "keyword": "Keywords",
    DCAT + "theme": "Theme",
    DCT + "accessRights": "Access rights",
    DCT + "license": "Licence",
    DCT + "language": "Language",
    DCT + "issued": "Issued",
    DCT + "modified": "Last modified",
    DCT + "temporal": "Time period covered",
    DCT + "spatial": "Spatial coverage",
    DCT + "accrualPeriodicity": "Update frequency",
    DCT + "conformsTo": "Conforms to",
    DCT + "format": "Format",
    DCAT + "mediaType": "Media type",
    DCAT + "accessURL": "Access URL",
    DCAT + "downloadURL": "Download URL",
    HEALTH + "healthCategory": "Health category",
    HEALTH + "hasCodingSystem": "Coding system",
    HEALTH + "hasCodeValues": "Conditions (codes)",
    HEALTH + "numberOfRecords": "Number of records",
    HEALTH + "numberOfUniqueIndividuals": "Unique individuals",
    HEALTH + "minTypicalAge": "Minimum typical age",
    HEALTH + "maxTypicalAge": "Maximum typical age",
    HEALTH + "populationCoverage": "Population coverage",
    HEALTH + "hdab": "Health data access body",
}
LABEL_PREDICATES = (SKOS + "prefLabel", FOAF + "name", DCT + "title", RDFS + "label", VCARD + "fn")
SKIPPED = {RDF_TYPE, DCT + "title", DCT + "description", DCAT + "distribution"}
SCHEMA_TYPES: dict[Kind, str] = {
    Kind.DATASET: "Dataset",
    Kind.CATALOG: "DataCatalog",
    Kind.DISTRIBUTION: "DataDownload",
    Kind.DATA_SERVICE: "WebAPI",
    Kind.MODEL: "SoftwareApplication",
    Kind.TERMINOLOGY: "DefinedTermSet",
    Kind.ORGANIZATION: "Organization",
    Kind.SITE: "Organization",
}


@dataclass
class Page:
    record: Record
    history: list[RevisionInfo]
    labels: dict[str, str]
    base_iri: str
    related: dict[str, Record] = field(default_factory=dict)  # referenced records the caller may read
    latest: int | None = None
    signed_in: bool = False  # the page was asked for with a sign-in cookie (offers to sign out)

    @property
    def distributions(self) -> list[Record]:
        return [r for r in self.related.values() if r.kind is Kind.DISTRIBUTION]


# Parts of a described node in reading order: a period's start before its end.
_PART_ORDER = {DCAT + "startDate": 0, DCAT + "endDate": 1}


def _local_name(iri: str) -> str:
    name = re.split(r"[#/]", iri.rstrip("/"))[-1]
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).replace("_", " ").capitalize()


def _record_labels(rec: Record) -> dict[str, str]:
    out: dict[str, str] = {}
    for t in rec.triples:
        s, o = t.subject, t.object
        if t.predicate.value not in LABEL_PREDICATES or not isinstance(o, ox.Literal):
            continue
        if isinstance(s, ox.NamedNode | ox.BlankNode) and (
            (o.language or "en").startswith("en") or s.value not in out
        ):
            out[s.value] = o.value
    return out


@dataclass(frozen=True)
class Text:
    text: str
    kind: Literal["text"] = "text"


@dataclass(frozen=True)
class Link:
    label: str
    href: str | None  # None: not a target a page may link to (javascript:, urn:, ...): shown as text
    title: str = ""
    kind: Literal["link"] = "link"

    @property
    def text(self) -> str:
        return self.label


@dataclass(frozen=True)
class Parts:
    """A node the record itself describes (a period, a contact point), as 'label: value' parts."""

    items: tuple[tuple[str, Text | Link | Parts], ...]
    kind: Literal["parts"] = "parts"

    @property
    def text(self) -> str:
        return "; ".join(f"{label}: {v.text}" for label, v in self.items)


Value = Text | Link | Parts


class _Renderer:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.rec = page.record
        self.labels = {**page.labels, **_record_labels(page.record)}
        for r in page.related.values():
            self.labels.setdefault(r.iri, _record_labels(r).get(r.iri, r.iri))
            if r.kind is Kind.DISTRIBUTION:
                self.labels.update(_record_labels(r))

    def objects(self, subject: ox.NamedNode | ox.BlankNode, pred: str) -> list[Any]:
        return [t.object for t in self.rec.triples if t.subject == subject and t.predicate.value == pred]

    def text(self, pred: str, subject: ox.NamedNode | ox.BlankNode | None = None) -> str:
        lits = [o for o in self.objects(subject or self.rec.subject, pred) if isinstance(o, ox.Literal)]
        en = [x for x in lits if (x.language or "en").startswith("en")]
        return (en or lits)[0].value if lits else ""

    def link(self, iri: str) -> Link:
        label = self.labels.get(iri) or (_local_name(iri) if iri.startswith(self.page.base_iri) else iri)
        known = iri in self.page.related or iri == self.rec.iri
        href = local_path(iri, self.page.base_iri) if known else safe_href(iri)
        if iri.startswith("mailto:"):
            label = iri[len("mailto:") :]
        return Link(label, href, iri)

    def value(self, term: Any, depth: int = 0) -> Value:
        if isinstance(term, ox.Literal):
            return Text(term.value)
        if isinstance(term, ox.NamedNode):
            inner = self.describe(term, depth) if depth == 0 and term.value not in self.labels else None
            return inner or self.link(term.value)
        return self.describe(term, depth) or Text("—")

    def describe(self, node: ox.NamedNode | ox.BlankNode, depth: int) -> Parts | None:
        if depth > 1:
            return None
        parts: list[tuple[int, str, Value]] = []
        for t in self.rec.triples:
            if t.subject == node and t.predicate.value != RDF_TYPE:
                label = PREDICATE_LABELS.get(t.predicate.value) or _local_name(t.predicate.value)
                rank = _PART_ORDER.get(t.predicate.value, len(_PART_ORDER))
                parts.append((rank, label, self.value(t.object, depth + 1)))
        parts.sort(key=lambda p: (p[0], p[1], p[2].text))
        return Parts(tuple((label, v) for _, label, v in parts)) if parts else None

    def properties(self) -> list[tuple[str, list[Value]]]:
        rows: dict[str, list[Value]] = {}
        for t in self.rec.triples:
            p = t.predicate.value
            if t.subject != self.rec.subject or p in SKIPPED:
                continue
            label = PREDICATE_LABELS.get(p) or _local_name(p)
            rows.setdefault(label, []).append(self.value(t.object))
        order = {label: i for i, label in enumerate(PREDICATE_LABELS.values())}
        keys = sorted(rows, key=lambda k: (order.get(k, len(order)), k))
        return [(k, sorted(rows[k], key=lambda v: v.text)) for k in keys]

    def distributions(self) -> list[dict[str, Any]]:
        items = []
        for iri in sorted(o.value for o in self.objects(self.rec.subject, DCAT + "distribution")):
            d = next((x for x in self.page.distributions if x.iri == iri), None)
            item: dict[str, Any] = {"link": self.link(iri), "format": "", "urls": []}
            if d is not None:
                for name, pred in (("access", DCAT + "accessURL"), ("download", DCAT + "downloadURL")):
                    if url := d.value(pred):
                        item["urls"].append(Link(name, safe_href(url), url))
                fmt = d.value(DCT + "format") or d.value(DCAT + "mediaType")
                item["format"] = (self.labels.get(fmt) or _local_name(fmt)) if fmt else ""
            items.append(item)
        return items

    def revisions(self) -> list[dict[str, Any]]:
        return [
            {
                "number": r.number,
                "date": r.generated_at.strftime("%Y-%m-%d %H:%M UTC"),
                "by": r.attributed_to,
                "state": "deprecated" if r.deprecated else ("published" if r.published else "draft"),
                "note": r.note or "",
            }
            for r in reversed(self.page.history)
        ]

    def json_ld(self) -> dict[str, Any]:
        r, iri = self.rec, self.rec.iri
        doc: dict[str, Any] = {
            "@context": {"@vocab": SCHEMA, "dcat": DCAT, "dct": DCT},
            "@id": iri,
            "@type": [SCHEMA_TYPES.get(r.kind, "CreativeWork"), r.kind.type_iri],
            "name": self.text(DCT + "title") or self.labels.get(iri, iri),
            "identifier": iri,
            "url": iri,
        }
        if desc := self.text(DCT + "description"):
            doc["description"] = desc
        if kws := sorted({o.value for o in self.objects(r.subject, DCAT + "keyword")}):
            doc["keywords"] = kws
        for key, pred in (("datePublished", DCT + "issued"), ("dateModified", DCT + "modified")):
            if v := r.value(pred):
                doc[key] = v
        if lic := r.value(DCT + "license"):
            doc["license"] = lic
        if pub := r.value(DCT + "publisher"):
            doc["publisher"] = {"@id": pub, "@type": "Organization", "name": self.labels.get(pub, pub)}
        if r.kind is Kind.DATASET:
            doc["isAccessibleForFree"] = r.access_rights in (None, ACCESS_PUBLIC)
            if r.access_rights:
                doc["conditionsOfAccess"] = self.labels.get(r.access_rights, _local_name(r.access_rights))
            codes = [o.value for o in self.objects(r.subject, HEALTH + "hasCodeValues")]
            if codes:
                doc["about"] = [{"@id": c, "name": self.labels.get(c, c)} for c in sorted(codes)]
            doc["distribution"] = [_data_download(d) for d in self.page.distributions]
        if r.revision is not None:
            doc["version"] = str(r.revision.number)
        return doc


def _data_download(d: Record) -> dict[str, Any]:
    out: dict[str, Any] = {"@id": d.iri, "@type": "DataDownload", "name": _record_labels(d).get(d.iri, d.iri)}
    if url := d.value(DCAT + "downloadURL") or d.value(DCAT + "accessURL"):
        out["contentUrl"] = url
    if media := d.value(DCAT + "mediaType"):
        out["encodingFormat"] = media
    return out


def render(page: Page) -> str:
    v = _Renderer(page)
    rec = page.record
    rev = rec.revision
    names = {t: n for n, t in reversed(FORMAT_NAMES.items())}
    # Every "<" as \u003c: no text in a record can close the script element or open an HTML comment.
    ld = json.dumps(v.json_ld(), ensure_ascii=False, indent=1).replace("<", "\\u003c")
    older = rev is not None and page.latest is not None and rev.number != page.latest
    return render_template(
        "landing.html.j2",
        title=v.text(DCT + "title") or v.labels.get(rec.iri) or rec.iri,
        description=v.text(DCT + "description"),
        record=rec,
        canonical=safe_href(rec.iri),
        deprecated=(rev.reason or "no reason given") if rev is not None and rev.deprecated else None,
        draft=rev is not None and not rev.published,
        older=rev.number if older and rev is not None else None,
        latest=page.latest,
        json_ld=Markup(ld),  # JSON, not HTML: escaping it would corrupt it; "<" is escaped above
        properties=v.properties(),
        distributions=v.distributions(),
        revisions=v.revisions(),
        quality=QualityScore.from_json(rev.quality) if rev is not None and rev.quality else None,
        quality_max=MAX_TOTAL,
        formats=[(names[t], t) for t in RDF_TYPES],
        signed_in=page.signed_in,
    )
