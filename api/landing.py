"""The HTML landing page of a record: readable by people, with the record embedded as JSON-LD
(schema.org plus DCAT) for search engines. Plain string templates with html.escape (no template
engine dependency)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html import escape
from typing import Any

import pyoxigraph as ox

from api.linked_data import FORMAT_NAMES, RDF_TYPES, local_path
from registry.model import Record, RevisionInfo
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
CSS = """body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.7rem;margin-bottom:.2rem}.iri{color:#555;font-family:monospace;word-break:break-all}
.kind{display:inline-block;background:#e8eef7;border-radius:4px;padding:0 .5rem;font-size:.85rem}
.banner{padding:.7rem 1rem;border-radius:6px;margin:1rem 0}
.deprecated{background:#fde2e1;border:1px solid #d33}
.draft{background:#fff4d6;border:1px solid #c90}table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid #ddd}
th{width:14rem;color:#444;font-weight:600}nav a{margin-right:.8rem}footer{margin-top:2rem;color:#666}"""


@dataclass
class Page:
    record: Record
    history: list[RevisionInfo]
    labels: dict[str, str]
    base_iri: str
    related: dict[str, Record] = field(default_factory=dict)  # referenced records the caller may read
    latest: int | None = None

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

    def link(self, iri: str) -> str:
        label = self.labels.get(iri) or (_local_name(iri) if iri.startswith(self.page.base_iri) else iri)
        known = iri in self.page.related or iri == self.rec.iri
        href = local_path(iri, self.page.base_iri) if known else iri
        if iri.startswith("mailto:"):
            label = iri[len("mailto:") :]
        return f'<a href="{escape(href)}" title="{escape(iri)}">{escape(label)}</a>'

    def value(self, term: Any, depth: int = 0) -> str:
        if isinstance(term, ox.Literal):
            return escape(term.value)
        if isinstance(term, ox.NamedNode):
            inner = self.describe(term, depth) if depth == 0 and term.value not in self.labels else ""
            return inner or self.link(term.value)
        return self.describe(term, depth) or "—"

    def describe(self, node: ox.NamedNode | ox.BlankNode, depth: int) -> str:
        """A node the record itself describes (a period, a contact point), as 'label: value' parts."""
        if depth > 1:
            return ""
        parts: list[tuple[int, str]] = []
        for t in self.rec.triples:
            if t.subject == node and t.predicate.value != RDF_TYPE:
                label = PREDICATE_LABELS.get(t.predicate.value) or _local_name(t.predicate.value)
                rank = _PART_ORDER.get(t.predicate.value, len(_PART_ORDER))
                parts.append((rank, f"{escape(label)}: {self.value(t.object, depth + 1)}"))
        return "; ".join(text for _, text in sorted(parts))

    def properties(self) -> str:
        rows: dict[str, list[str]] = {}
        for t in self.rec.triples:
            p = t.predicate.value
            if t.subject != self.rec.subject or p in SKIPPED:
                continue
            label = PREDICATE_LABELS.get(p) or _local_name(p)
            rows.setdefault(label, []).append(self.value(t.object))
        order = {label: i for i, label in enumerate(PREDICATE_LABELS.values())}
        keys = sorted(rows, key=lambda k: (order.get(k, len(order)), k))
        body = "".join(f"<tr><th>{escape(k)}</th><td>{', '.join(sorted(rows[k]))}</td></tr>" for k in keys)
        return f"<table>{body}</table>"

    def distributions(self) -> str:
        items = []
        for iri in sorted(o.value for o in self.objects(self.rec.subject, DCAT + "distribution")):
            d = next((x for x in self.page.distributions if x.iri == iri), None)
            extra = ""
            if d is not None:
                links = [
                    f'<a href="{escape(u)}">{escape(k)}</a>'
                    for k, u in (
                        ("access", d.value(DCAT + "accessURL")),
                        ("download", d.value(DCAT + "downloadURL")),
                    )
                    if u
                ]
                fmt = d.value(DCT + "format") or d.value(DCAT + "mediaType")
                extra = (f" — {escape(self.labels.get(fmt) or _local_name(fmt))}" if fmt else "") + (
                    f" ({', '.join(links)})" if links else ""
                )
            items.append(f"<li>{self.link(iri)}{extra}</li>")
        return f"<h2>Distributions</h2><ul>{''.join(items)}</ul>" if items else ""

    def revisions(self) -> str:
        rows = []
        for r in reversed(self.page.history):
            state = "deprecated" if r.deprecated else ("published" if r.published else "draft")
            rows.append(
                f'<tr><td><a href="?revision={r.number}">{r.number}</a></td>'
                f"<td>{escape(r.generated_at.strftime('%Y-%m-%d %H:%M UTC'))}</td>"
                f"<td>{escape(r.attributed_to)}</td><td>{state}</td><td>{escape(r.note or '')}</td></tr>"
            )
        head = "<tr><th>Revision</th><th>Date</th><th>By</th><th>State</th><th>Note</th></tr>"
        return f"<h2>Revisions</h2><table>{head}{''.join(rows)}</table>"

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
    title = v.text(DCT + "title") or v.labels.get(rec.iri) or rec.iri
    banners = ""
    if rec.revision is not None and rec.revision.deprecated:
        reason = rec.revision.reason or "no reason given"
        banners += f'<div class="banner deprecated"><strong>Deprecated:</strong> {escape(reason)}</div>'
    if rec.revision is not None and not rec.revision.published:
        banners += '<div class="banner draft"><strong>Draft</strong> — visible to curators only.</div>'
    if page.latest is not None and rec.revision is not None and rec.revision.number != page.latest:
        banners += (
            f'<div class="banner draft">You are viewing revision {rec.revision.number}; '
            f'the <a href="?">latest is {page.latest}</a>.</div>'
        )
    names = {t: n for n, t in reversed(FORMAT_NAMES.items())}
    formats = " ".join(f'<a href="?format={names[t]}">{escape(t)}</a>' for t in RDF_TYPES)
    # Every "<" as \u003c: no text in a record can close the script element or open an HTML comment.
    ld = json.dumps(v.json_ld(), ensure_ascii=False, indent=1).replace("<", "\\u003c")
    desc = v.text(DCT + "description")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{escape(title)} — fairgrid</title>
<meta name="description" content="{escape(desc[:300])}">
<link rel="canonical" href="{escape(rec.iri)}">
<style>{CSS}</style>
<script type="application/ld+json">
{ld}
</script></head>
<body><nav><a href="/catalog">Catalogue</a><a href="/docs">API</a></nav>
{banners}<h1>{escape(title)}</h1>
<p><span class="kind">{escape(rec.kind.value)}</span> <span class="iri">{escape(rec.iri)}</span></p>
<p>{escape(desc)}</p>
<h2>Details</h2>{v.properties()}
{v.distributions()}
{v.revisions()}
<footer>Machine-readable: {formats}</footer>
</body></html>
"""
