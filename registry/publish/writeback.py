"""What a Zenodo publication adds to the record it published: the DOIs and a distribution on Zenodo.

- `dct:identifier "https://doi.org/<doi>"` (not on a model: MLDCAT-AP allows one dct:identifier there, the
  model's own; its DOI is in adms:identifier);
- `adms:identifier [ a adms:Identifier ; skos:notation "<doi>" ; adms:schemaAgency "DataCite" ]`, once
  for this version's DOI and once for the concept DOI (all versions), told apart by their rdfs:label;
- `dcat:distribution [ a dcat:Distribution ; dcat:downloadURL <file on Zenodo> ; dcat:accessURL <record page>
  ; ... ]` with what DCAT-AP, HealthDCAT-AP and MLDCAT-AP require of a distribution (format, applicable
  legislation copied from the record, a quality measurement: the model's final metric, or the registry's
  metadata quality score for other records).

A later publication replaces the identifiers, and the distribution an earlier one to the same Zenodo added,
so the record names its latest version; the concept DOI stays the same across versions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import pyoxigraph as ox

from registry.errors import Unavailable
from registry.model import Record
from registry.publish.publisher import Published
from registry.rdf import is_iri
from registry.vocab import ADMS, DCAT, DCATAP, DCT, MLDCAT, RDF_TYPE, RDFS, SKOS, XSD, Kind

DQV = "http://www.w3.org/ns/dqv#"
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
AVAILABILITY = "http://publications.europa.eu/resource/authority/planned-availability/"
VERSION_LABEL = "Zenodo DOI of this version"
CONCEPT_LABEL = "Zenodo concept DOI (all versions)"
DIST_TITLE = "Published on Zenodo"
FORMATS = {".safetensors": "BIN", ".ttl": "RDF_TURTLE", ".jsonld": "JSON_LD", ".json": "JSON", ".md": "TXT"}
# the file a distribution points at first: the weights of a model, the Turtle of anything else
MAIN_FILES = ("model.safetensors",)


@dataclass(frozen=True)
class Measurement:
    """One honest number about what was published (MLDCAT-AP requires one on every distribution)."""

    name: str  # e.g. "auc"
    title: str
    value: float


N = ox.NamedNode


def _lit(v: str, lang: str | None = None) -> ox.Literal:
    return ox.Literal(v, language=lang) if lang else ox.Literal(v)


def _reachable(triples: Iterable[ox.Triple], start: ox.BlankNode) -> set[ox.BlankNode]:
    by_s: dict[object, list[ox.Triple]] = {}
    for t in triples:
        by_s.setdefault(t.subject, []).append(t)
    seen, todo = {start}, [start]
    while todo:
        for t in by_s.get(todo.pop(), []):
            if isinstance(t.object, ox.BlankNode) and t.object not in seen:
                seen.add(t.object)
                todo.append(t.object)
    return seen


def _origin(url: str) -> str:
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}"


def _values(triples: Iterable[ox.Triple], subject: object, predicate: str) -> list[str]:
    return [
        str(t.object.value)
        for t in triples
        if t.subject == subject and t.predicate.value == predicate and not isinstance(t.object, ox.Triple)
    ]


def earlier_writeback(record: Record, zenodo_url: str) -> tuple[set[ox.Triple], Published | None]:
    """The triples earlier publications wrote back that a new one replaces, and the earlier publication on
    this Zenodo as far as the record tells (enough to make a new version of it: deposition id, DOIs, page).

    The identifiers name the latest publication wherever it went: always replaced. A distribution only by
    one on the same Zenodo (a sandbox deposit leaves the real one's in place)."""
    s = record.subject
    triples = record.triples
    drop: set[ox.Triple] = set()
    doi = concept = page = None
    dois: set[str] = set()
    nodes: set[ox.BlankNode] = set()
    for t in triples:
        node = t.object
        if t.subject != s or not isinstance(node, ox.BlankNode):
            continue
        if t.predicate.value == ADMS + "identifier":
            label = set(_values(triples, node, RDFS + "label"))
            if not label & {VERSION_LABEL, CONCEPT_LABEL}:
                continue
            notation = _values(triples, node, SKOS + "notation")
            nodes |= _reachable(triples, node)
            drop.add(t)
            dois |= set(notation)
            if VERSION_LABEL in label and notation:
                doi = notation[0]
            elif notation:
                concept = notation[0]
        elif t.predicate.value == DCAT + "distribution":
            if DIST_TITLE not in _values(triples, node, DCT + "title"):
                continue
            urls = _values(triples, node, DCAT + "accessURL")
            if not urls or _origin(urls[0]) != _origin(zenodo_url):
                continue  # another Zenodo's (the sandbox's, say): left as it is
            page = urls[0]
            nodes |= _reachable(triples, node)
            drop.add(t)
    drop |= {t for t in triples if t.subject in nodes}
    old_ids = {f"https://doi.org/{d}" for d in dois}
    drop |= {t for t in triples if t.subject == s and t.predicate.value == DCT + "identifier"
             and isinstance(t.object, ox.Literal) and t.object.value in old_ids}  # fmt: skip
    # the URLs typed dcat:Resource for MLDCAT-AP go with the distribution
    links = (DCAT + "accessURL", DCAT + "downloadURL")
    resources = {
        t.object.value for t in drop if t.predicate.value in links and isinstance(t.object, ox.NamedNode)
    }
    drop |= {t for t in triples if isinstance(t.subject, ox.NamedNode) and t.subject.value in resources
             and t.predicate.value == RDF_TYPE}  # fmt: skip
    if page is None:
        return drop, None  # nothing on this Zenodo yet: no earlier version to follow
    match = re.search(r"/(\d+)/?$", page) or (re.search(r"zenodo\.(\d+)$", doi) if doi else None)
    if match is None or doi is None or concept is None:
        return drop, None
    return drop, Published(int(match.group(1)), doi, concept, page, {}, "")


def writeback(
    record: Record, published: Published, zenodo_url: str, measurement: Measurement
) -> list[ox.Triple]:
    """The record's triples with this publication's DOIs and distribution (an earlier one's replaced)."""
    # what an earlier publication to the same Zenodo wrote (known by its record page's origin)
    drop, _ = earlier_writeback(record, published.record_url or zenodo_url)
    keep = [t for t in record.triples if t not in drop]
    s = record.subject
    add: list[ox.Triple] = []
    if record.kind is not Kind.MODEL:
        add.append(ox.Triple(s, N(DCT + "identifier"), _lit(f"https://doi.org/{published.doi}")))
    for doi, label in ((published.doi, VERSION_LABEL), (published.concept_doi, CONCEPT_LABEL)):
        node = ox.BlankNode()
        add += [
            ox.Triple(s, N(ADMS + "identifier"), node),
            ox.Triple(node, N(RDF_TYPE), N(ADMS + "Identifier")),
            ox.Triple(node, N(SKOS + "notation"), _lit(doi)),
            ox.Triple(node, N(ADMS + "schemaAgency"), _lit("DataCite")),
            ox.Triple(node, N(RDFS + "label"), _lit(label, "en")),
        ]
    if not is_iri(published.record_url) or not published.record_url.startswith(("http://", "https://")):
        raise Unavailable("Zenodo's answer has no usable record URL", hint="check the deposition on Zenodo")
    main = _main_file(published)
    dist = ox.BlankNode()
    about = f"Zenodo record {published.doi}" + (f", version {published.version}" if published.version else "")
    add += [
        ox.Triple(s, N(DCAT + "distribution"), dist),
        ox.Triple(dist, N(RDF_TYPE), N(DCAT + "Distribution")),
        ox.Triple(dist, N(DCT + "title"), _lit(DIST_TITLE, "en")),
        ox.Triple(dist, N(DCT + "description"), _lit(about, "en")),
        # a Zenodo record is kept for the lifetime of the repository (Zenodo's policy): "stable"
        ox.Triple(dist, N(DCATAP + "availability"), N(AVAILABILITY + "STABLE")),
        ox.Triple(dist, N(DCAT + "accessURL"), N(published.record_url)),
        ox.Triple(N(published.record_url), N(RDF_TYPE), N(DCAT + "Resource")),
    ]  # fmt: skip
    if main is not None:
        name, url = main
        ext = "." + name.rsplit(".", 1)[-1] if "." in name else ""
        add += [
            ox.Triple(dist, N(DCAT + "downloadURL"), N(url)),
            ox.Triple(N(url), N(RDF_TYPE), N(DCAT + "Resource")),
            ox.Triple(dist, N(DCT + "format"), N(FILE_TYPE + FORMATS.get(ext, "BIN"))),
        ]
    for p in (DCT + "license", DCATAP + "applicableLegislation"):
        add += [
            ox.Triple(dist, t.predicate, t.object) for t in keep if t.subject == s and t.predicate.value == p
        ]
    m, kind = ox.BlankNode(), ox.BlankNode()
    add += [
        ox.Triple(dist, N(DQV + "hasQualityMeasurement"), m),
        ox.Triple(m, N(RDF_TYPE), N(DQV + "QualityMeasurement")),
        ox.Triple(m, N(DQV + "computedOn"), dist),
        ox.Triple(
            m, N(DQV + "value"), ox.Literal(repr(float(measurement.value)), datatype=N(XSD + "double"))
        ),
        ox.Triple(m, N(DCT + "type"), kind),
        ox.Triple(kind, N(RDF_TYPE), N(MLDCAT + "DataQuality")),
        ox.Triple(kind, N(DCT + "identifier"), _lit(measurement.name)),
        ox.Triple(kind, N(DCT + "title"), _lit(measurement.title, "en")),
    ]
    return keep + add


def _main_file(published: Published) -> tuple[str, str] | None:
    files = sorted(published.files.items())
    files = [(n, u) for n, u in files if is_iri(u) and u.startswith(("http://", "https://"))]
    for name, url in files:
        if name in MAIN_FILES or name.endswith(".ttl"):
            return name, url
    return files[0] if files else None


@dataclass(frozen=True)
class ZenodoLinks:
    """What a record says of its Zenodo publication, for its landing page."""

    doi: str | None
    concept_doi: str | None
    record_url: str | None
    download_url: str | None


def zenodo_links(record: Record) -> ZenodoLinks | None:
    """The DOIs and Zenodo links a publication wrote back into `record`, if any."""
    triples = record.triples
    doi = concept = page = download = None
    for t in triples:
        node = t.object
        if t.subject != record.subject or not isinstance(node, ox.BlankNode):
            continue
        if t.predicate.value == ADMS + "identifier":
            label = set(_values(triples, node, RDFS + "label"))
            notation = _values(triples, node, SKOS + "notation")
            if notation and VERSION_LABEL in label:
                doi = notation[0]
            elif notation and CONCEPT_LABEL in label:
                concept = notation[0]
        elif t.predicate.value == DCAT + "distribution":
            if DIST_TITLE not in _values(triples, node, DCT + "title"):
                continue
            page = next(iter(_values(triples, node, DCAT + "accessURL")), None)
            download = next(iter(_values(triples, node, DCAT + "downloadURL")), None)
    if doi is None and concept is None:
        return None
    return ZenodoLinks(doi, concept, page, download)
