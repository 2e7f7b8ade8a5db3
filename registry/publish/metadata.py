"""Zenodo deposit metadata from a registry record (the legacy deposit API's `metadata` object).

Field names and values follow developers.zenodo.org ("Deposit metadata"): upload_type, title, creators
[{name, affiliation, orcid}], description (HTML), access_right, license, keywords, subjects, version,
publication_date, related_identifiers [{identifier, relation, resource_type, scheme}], grants [{id}] and
communities [{identifier}]. Pure: the caller passes the record and the records it references (creators,
training datasets); nothing here reads a store or the network.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pyoxigraph as ox
from markupsafe import escape

from registry.errors import InputError
from registry.model import Record
from registry.vocab import (
    ACCESS_NON_PUBLIC,
    ACCESS_PUBLIC,
    ADMS,
    DCAT,
    DCT,
    EU_AUTH,
    FOAF,
    HEALTH,
    MLDCAT,
    PROV,
    RDFS,
    SKOS,
    VISIBILITY_CONSORTIUM,
    Kind,
)

# The legacy API's upload_type list (publication, poster, presentation, dataset, image, video, software,
# lesson, physicalobject, other) has no "model". A trained model is weights plus the code that loads and
# runs them (the Flower app), and DataCite's "Software" is the closest general type Zenodo maps it to;
# dataset descriptions and terminology releases are RDF data: "dataset".
UPLOAD_TYPES: dict[Kind, str] = {
    Kind.MODEL: "software",
    Kind.DATASET: "dataset",
    Kind.TERMINOLOGY: "dataset",
    Kind.CATALOG: "dataset",
}

# EU licence authority codes -> Zenodo licence ids (zenodo-rdm's ids are lower-case SPDX identifiers).
LICENCE_IDS: dict[str, str] = {
    "CC_BY_4_0": "cc-by-4.0",
    "CC_BYSA_4_0": "cc-by-sa-4.0",
    "CC_BYNC_4_0": "cc-by-nc-4.0",
    "CC_BYND_4_0": "cc-by-nd-4.0",
    "CC_BYNCSA_4_0": "cc-by-nc-sa-4.0",
    "CC_BYNCND_4_0": "cc-by-nc-nd-4.0",
    "CC0": "cc0-1.0",
    "APACHE_2_0": "apache-2.0",
    "EUPL_1_2": "eupl-1.2",
    "ODC_BY": "odc-by-1.0",
    "ODC_PDDL": "pddl-1.0",
}
LICENCE_NAL = EU_AUTH + "licence/"
SPDX = ("http://spdx.org/licenses/", "https://spdx.org/licenses/")

# GenoMed4All: EU Horizon 2020 grant agreement 101017549. Zenodo names a grant "<funder DOI>::<number>";
# 10.13039/501100000780 is the European Commission in the Crossref Funder Registry.
GENOMED4ALL_GRANT = "10.13039/501100000780::101017549"
# Dataset descriptions carry no licence of their own when the data is not open; the description itself is
# published under the example catalogue's licence (CC BY 4.0, ontologies/examples/consortium.ttl).
METADATA_LICENCE = "cc-by-4.0"

ORCID = re.compile(r"^https?://orcid\.org/(\d{4}-\d{4}-\d{4}-\d{3}[\dX])/?$")
DOI_IRI = re.compile(r"^https?://(?:dx\.)?doi\.org/(10\.\d{4,9}/\S+)$")
DOI = re.compile(r"^10\.\d{4,9}/\S+$")

ORG_MEMBER_OF = "http://www.w3.org/ns/org#memberOf"
SCHEMA_AFFILIATION = "https://schema.org/affiliation"
OWL_VERSION_INFO = "http://www.w3.org/2002/07/owl#versionInfo"
LABELS = (SKOS + "prefLabel", FOAF + "name", DCT + "title", RDFS + "label")


@dataclass(frozen=True)
class Graph:
    """The record's triples and those of the records it references, looked up by subject."""

    triples: tuple[ox.Triple, ...]

    @classmethod
    def of(cls, record: Record, related: Mapping[str, Record]) -> Graph:
        return cls(tuple(record.triples) + tuple(t for r in related.values() for t in r.triples))

    def objects(self, subject: str | ox.NamedNode | ox.BlankNode, predicate: str) -> list[Any]:
        s = ox.NamedNode(subject) if isinstance(subject, str) else subject
        p = ox.NamedNode(predicate)
        return list(dict.fromkeys(t.object for t in self.triples if t.subject == s and t.predicate == p))

    def text(self, subject: str | ox.NamedNode | ox.BlankNode, *predicates: str) -> str | None:
        """A literal of the first predicate that has one, English (or untagged) first."""
        for p in predicates:
            lits = [o for o in self.objects(subject, p) if isinstance(o, ox.Literal)]
            if lits:
                lits.sort(key=lambda lit: 0 if (lit.language or "en").startswith("en") else 1)
                return str(lits[0].value).strip()
        return None

    def texts(self, subject: str, predicate: str) -> list[str]:
        lits = [o for o in self.objects(subject, predicate) if isinstance(o, ox.Literal)]
        english = [lit for lit in lits if (lit.language or "en").startswith("en")] or lits
        # sorted: the store's order is not fixed, and a retried publication must send the same payload
        return sorted(dict.fromkeys(str(lit.value).strip() for lit in english if str(lit.value).strip()))


def zenodo_metadata(
    record: Record,
    related: Mapping[str, Record],
    *,
    labels: Mapping[str, str] | None = None,
    communities: Sequence[str] = (),
    grants: Sequence[str] = (GENOMED4ALL_GRANT,),
    today: date | None = None,
) -> dict[str, Any]:
    """The deposit metadata for `record`. `related` holds the records it references that the caller may
    read (its creators, publisher, training datasets); `labels` names vocabulary concepts (themes)."""
    if record.metadata_visibility == VISIBILITY_CONSORTIUM:
        raise InputError(
            f"{record.iri}: its metadata is for the consortium only and cannot be published openly",
            hint="publish records whose metadata is public (fg:metadataVisibility fg:PublicMetadata)",
        )
    upload_type = UPLOAD_TYPES.get(record.kind)
    if upload_type is None:
        raise InputError(
            f"{record.iri} is a {record.kind.value}; only models, datasets, terminologies and catalogues "
            "are published to Zenodo",
        )
    g = Graph.of(record, related)
    iri = record.iri
    title = g.text(iri, DCT + "title", SKOS + "prefLabel", RDFS + "label")
    if not title:
        raise InputError(f"{iri} has no title (dct:title); Zenodo needs one")
    meta: dict[str, Any] = {
        "upload_type": upload_type,
        "title": title,
        "description": description_html(g, iri),
        "creators": creators(g, iri),
        "publication_date": publication_date(g, iri, today or date.today()),
        "version": version(record, g),
        "license": licence_id(g, iri, record.kind),
        **access(record),
    }
    if kw := keywords(g, iri, labels or {}):
        meta["keywords"] = kw
    if subj := subjects(g, iri, labels or {}):
        meta["subjects"] = subj
    meta["related_identifiers"] = related_identifiers(record, g, related)
    if grants:
        meta["grants"] = [{"id": gid} for gid in grants]
    if communities:
        meta["communities"] = [{"identifier": c} for c in communities]
    return meta


def description_html(g: Graph, iri: str) -> str:
    """The record's description as Zenodo's HTML: every value escaped, paragraphs kept."""
    text = g.text(iri, DCT + "description", RDFS + "comment") or g.text(iri, DCT + "title") or iri
    paras = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    body = "".join(f"<p>{escape(p)}</p>" for p in paras)
    return body + f'<p>Registry record: <a href="{escape(iri)}">{escape(iri)}</a></p>'


def _agent_name(g: Graph, agent: ox.NamedNode | ox.BlankNode) -> str | None:
    family = g.text(agent, FOAF + "familyName", FOAF + "lastName")
    given = g.text(agent, FOAF + "givenName", FOAF + "firstName")
    if family and given:
        return f"{family}, {given}"  # Zenodo's "Family name, Given names"
    return g.text(agent, FOAF + "name", SKOS + "prefLabel", RDFS + "label")


def _orcid(g: Graph, agent: ox.NamedNode | ox.BlankNode) -> str | None:
    candidates: list[str] = []
    if isinstance(agent, ox.NamedNode):
        candidates.append(agent.value)
    for p in (FOAF + "account", DCT + "identifier", "https://schema.org/identifier"):
        candidates += [str(o.value) for o in g.objects(agent, p) if isinstance(o, ox.NamedNode | ox.Literal)]
    for ident in g.objects(agent, ADMS + "identifier"):
        if isinstance(ident, ox.NamedNode | ox.BlankNode):
            candidates += [str(o.value) for o in g.objects(ident, SKOS + "notation")]
    for c in candidates:
        if m := ORCID.match(c.strip()):
            return m.group(1)
    return None


def creators(g: Graph, iri: str) -> list[dict[str, str]]:
    """dct:creator agents (dct:publisher when there is none, else the agents of the run that generated
    the record), with ORCID and affiliation when known."""
    agents = [a for a in g.objects(iri, DCT + "creator") if not isinstance(a, ox.Literal)]
    if not agents:
        agents = [a for a in g.objects(iri, DCT + "publisher") if not isinstance(a, ox.Literal)]
    if not agents:
        # a model a training run registered names no creator: the sites that trained it are its makers
        runs = [r for r in g.objects(iri, PROV + "wasGeneratedBy") if not isinstance(r, ox.Literal)]
        for node in [ox.NamedNode(iri), *runs]:
            agents += [
                a for a in g.objects(node, PROV + "wasAssociatedWith") if not isinstance(a, ox.Literal)
            ]
    out: list[dict[str, str]] = []
    for a in agents:
        name = _agent_name(g, a)
        if not name:
            continue  # an agent whose record the caller may not read: not guessed from its IRI
        entry = {"name": name}
        for p in (ORG_MEMBER_OF, SCHEMA_AFFILIATION):
            orgs = [o for o in g.objects(a, p) if not isinstance(o, ox.Literal)]
            lits = [str(o.value) for o in g.objects(a, p) if isinstance(o, ox.Literal)]
            names = [n for n in (_agent_name(g, o) for o in orgs) if n] + lits
            if names:
                entry["affiliation"] = names[0]
                break
        if orcid := _orcid(g, a):
            entry["orcid"] = orcid
        out.append(entry)
    out.sort(key=lambda c: (c["name"], c.get("orcid", "")))  # RDF gives no order; retries need one
    if not out:
        raise InputError(
            f"{iri} names no creator or publisher with a name (dct:creator / dct:publisher with foaf:name)",
            hint="Zenodo needs at least one creator: add dct:creator to the record",
        )
    return out


def publication_date(g: Graph, iri: str, today: date) -> str:
    for p in (DCT + "issued", DCT + "created"):
        for o in g.objects(iri, p):
            if isinstance(o, ox.Literal) and re.match(r"^\d{4}-\d{2}-\d{2}", o.value):
                return o.value[:10]
    return today.isoformat()


def version(record: Record, g: Graph) -> str:
    found = g.text(record.iri, DCAT + "version", OWL_VERSION_INFO, ADMS + "version")
    if found:
        return found
    return f"r{record.revision.number}" if record.revision is not None else "1"


def licence_id(g: Graph, iri: str, kind: Kind) -> str:
    iris = [o.value for o in g.objects(iri, DCT + "license") if isinstance(o, ox.NamedNode)]
    for dist in g.objects(iri, DCAT + "distribution"):  # a dataset's licence is often per distribution
        iris += [o.value for o in g.objects(dist, DCT + "license") if isinstance(o, ox.NamedNode)]
    for value in iris:
        if value.startswith(LICENCE_NAL) and value[len(LICENCE_NAL) :] in LICENCE_IDS:
            return LICENCE_IDS[value[len(LICENCE_NAL) :]]
        for prefix in SPDX:
            if value.startswith(prefix) and re.fullmatch(r"[A-Za-z0-9.+-]+", value[len(prefix) :]):
                return value[len(prefix) :].lower()
    if kind is Kind.DATASET:
        # a dataset's package is its description only (never data): the registry's metadata licence
        return METADATA_LICENCE
    if iris:
        raise InputError(
            f"{iri}: no Zenodo licence id is known for {iris[0]}",
            hint=f"use an EU licence authority IRI ({', '.join(sorted(LICENCE_IDS))}) or an SPDX IRI",
        )
    raise InputError(f"{iri} has no licence (dct:license)", hint="add dct:license before publishing")


def access(record: Record) -> dict[str, str]:
    """What Zenodo lets people download. Metadata is public either way; the data behind a RESTRICTED or
    NON_PUBLIC record is not put on Zenodo openly."""
    rights = record.access_rights
    if rights is None or rights == ACCESS_PUBLIC:
        return {"access_right": "open"}
    if rights == ACCESS_NON_PUBLIC:
        return {"access_right": "closed"}
    return {
        "access_right": "restricted",
        "access_conditions": str(
            escape(f"Access on request through the consortium; see the registry record {record.iri}")
        ),
    }


def keywords(g: Graph, iri: str, labels: Mapping[str, str]) -> list[str]:
    out = g.texts(iri, DCAT + "keyword")
    for theme in g.objects(iri, DCAT + "theme"):
        if isinstance(theme, ox.NamedNode):
            label = g.text(theme, *LABELS) or labels.get(theme.value)
            if label:
                out.append(label)
    seen: set[str] = set()
    return [k for k in out if not (k.casefold() in seen or seen.add(k.casefold()))]  # type: ignore[func-returns-value]


def subjects(g: Graph, iri: str, labels: Mapping[str, str]) -> list[dict[str, str]]:
    """Conditions the record covers (HealthDCAT-AP hasCodeValues) as subjects with their code IRIs."""
    out: list[dict[str, str]] = []
    for code in g.objects(iri, HEALTH + "hasCodeValues"):
        if isinstance(code, ox.NamedNode):
            term = g.text(code, *LABELS) or labels.get(code.value) or code.value.rstrip("/").split("/")[-1]
            out.append({"term": term, "identifier": code.value, "scheme": "url"})
    return out


def doi_of(record: Record) -> str | None:
    """The record's DOI (10.x/...) from dct:identifier or an adms:identifier's skos:notation."""
    g = Graph(record.triples)
    values = [str(o.value) for o in g.objects(record.iri, DCT + "identifier")]
    for ident in g.objects(record.iri, ADMS + "identifier"):
        if not isinstance(ident, ox.Literal):
            values += [str(o.value) for o in g.objects(ident, SKOS + "notation")]
    for v in values:
        if m := DOI_IRI.match(v.strip()):
            return m.group(1)
        if DOI.match(v.strip()):
            return v.strip()
    return None


def _url(identifier: str, relation: str, resource_type: str | None = None) -> dict[str, str]:
    out = {"identifier": identifier, "relation": relation, "scheme": "url"}
    if resource_type:
        out["resource_type"] = resource_type
    return out


def related_identifiers(record: Record, g: Graph, related: Mapping[str, Record]) -> list[dict[str, str]]:
    iri = record.iri
    out: list[dict[str, str]] = []
    sources: list[str] = []
    for p in (MLDCAT + "trainedOn", PROV + "wasDerivedFrom", DCT + "source"):
        sources += [o.value for o in g.objects(iri, p) if isinstance(o, ox.NamedNode)]
    for src in sorted(set(sources)):
        rec = related.get(src)
        doi = doi_of(rec) if rec is not None else None
        rtype = "dataset" if rec is None or rec.kind in (Kind.DATASET, Kind.DISTRIBUTION) else None
        if doi:
            out.append({"identifier": doi, "relation": "isDerivedFrom", "scheme": "doi",
                        **({"resource_type": rtype} if rtype else {})})  # fmt: skip
        else:
            out.append(_url(src, "isDerivedFrom", rtype))
    docs: list[str] = []
    for p in (FOAF + "page", DCAT + "landingPage", MLDCAT + "documentation"):
        docs += [o.value for o in g.objects(iri, p) if isinstance(o, ox.NamedNode)]
    for doc in sorted(set(docs)):
        if doc.startswith(("http://", "https://")):
            out.append(_url(doc, "isDocumentedBy"))
    out.append(_url(iri, "isSupplementTo"))
    return out
