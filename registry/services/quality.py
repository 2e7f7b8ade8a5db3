"""Metadata quality score after the data.europa.eu Metadata Quality Assessment (MQA).

Points per property follow the published MQA methodology ("Metadata Quality Assessment methodology",
data.europa.eu, https://data.europa.eu/mqa/methodology and the data provider manual's "Metadata quality
dashboard" page, https://dataeuropa.gitlab.io/data-provider-manual/metadata-quality-dashboard/): five
dimensions with maxima findability 100, accessibility 100, interoperability 110, reusability 75 and
contextuality 20, 405 points in all, rated Excellent 351-405, Good 221-350, Sufficient 121-220, Bad 0-120.
(The MQA metrics-cache API description, https://data.europa.eu/api/mqa/cache, gives the same five maxima
but says "450" as the top score; they add up to 405.) The points per property and the rating bands were
checked against the methodology's tables as reproduced in the README of github.com/mjanez/ckan-mqa.

As in the MQA, a distribution property earns its points in proportion to the share of the dataset's
distributions that have it, except interoperability, which the MQA scores on the one distribution with the
most points. Checks that need the network (is the access / download URL reachable, code 200?) cannot run
inside the registry: they are *not assessed*, earn nothing, and are left out of `max_assessed`, so a score
always says both what it earned and what it could have earned here. Pure: no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import pyoxigraph as ox

from registry.vocab import DCAT, DCT

EU = "http://publications.europa.eu/resource/authority/"
FILE_TYPE = EU + "file-type/"
IANA = "http://www.iana.org/assignments/media-types/"
IANA_HTTPS = "https://www.iana.org/assignments/media-types/"
LICENCE = EU + "licence/"
ACCESS_RIGHT = EU + "access-right/"

# EU file-type codes the MQA counts as non-proprietary / machine-readable. This is fairgrid's subset of
# the MQA's lists (it names the formats a health catalogue uses), not the complete published lists. Most
# are on both: open formats for structured data.
_OPEN_STRUCTURED = frozenset(
    {
        "CSV",
        "TSV",
        "JSON",
        "JSON_LD",
        "XML",
        "RDF",
        "RDF_XML",
        "RDF_TURTLE",
        "TURTLE",
        "N3",
        "N_TRIPLES",
        "N_QUADS",
        "TRIG",
        "ODS",
        "PARQUET",
        "GEOJSON",
        "GML",
        "SPARQLQ",
        "SPARQLQRES",
    }
)
# Open, but text for people or a container: documents and archives.
NON_PROPRIETARY = _OPEN_STRUCTURED | {"HTML", "TXT", "ODT", "ZIP", "GZIP", "TAR", "PDF", "PDFA1A", "PDFA1B"}
# Machine-readable, but proprietary: spreadsheets.
MACHINE_READABLE = _OPEN_STRUCTURED | {"XLS", "XLSX"}
DIMENSIONS = ("findability", "accessibility", "interoperability", "reusability", "contextuality")
BANDS = (("excellent", 351), ("good", 221), ("sufficient", 121), ("bad", 0))
MAX_TOTAL = 405
Node = ox.NamedNode | ox.BlankNode
BySubject = dict[Node, dict[str, list[object]]]  # subject -> predicate IRI -> objects


@dataclass(frozen=True)
class Check:
    dimension: str
    name: str
    weight: int
    points: float  # 0 when not assessed
    assessed: bool = True


@dataclass(frozen=True)
class Dimension:
    name: str
    points: float
    max_assessed: int
    max: int


@dataclass(frozen=True)
class QualityScore:
    checks: list[Check] = field(default_factory=list)

    def dimension(self, name: str) -> Dimension:
        mine = [c for c in self.checks if c.dimension == name]
        return Dimension(
            name,
            round(sum(c.points for c in mine), 2),
            sum(c.weight for c in mine if c.assessed),
            sum(c.weight for c in mine),
        )

    @property
    def dimensions(self) -> list[Dimension]:
        return [self.dimension(d) for d in DIMENSIONS]

    @property
    def total(self) -> float:
        return round(sum(c.points for c in self.checks), 2)

    @property
    def max_assessed(self) -> int:
        return sum(c.weight for c in self.checks if c.assessed)

    @property
    def rating(self) -> str:
        """The MQA's band for the points earned (not-assessed checks earn none, so this is a floor)."""
        return band(self.total)

    def summary(self) -> dict[str, object]:
        """Total, maxima, rating and dimensions, for APIs (the checks stay in `checks`)."""
        return {
            "total": self.total, "maxAssessed": self.max_assessed, "max": MAX_TOTAL, "rating": self.rating,
            "dimensions": [{"name": d.name, "points": d.points, "maxAssessed": d.max_assessed, "max": d.max}
                           for d in self.dimensions],
        }  # fmt: skip

    def to_json(self) -> str:
        return _checks_json(tuple(self.checks))

    @staticmethod
    def from_json(text: str) -> QualityScore:
        data = json.loads(text)
        if isinstance(data, list):  # the first stored form: one object per check
            return QualityScore([Check(**c) for c in data])
        return QualityScore(
            [
                Check(dim, name, weight, points or 0.0, assessed=points is not None)
                for dim, checks in data.items()
                for name, weight, points in checks
            ]
        )


@lru_cache(maxsize=256)
def _checks_json(checks: tuple[Check, ...]) -> str:
    """The stored form, one per revision: {dimension: [[name, weight, points or null when not
    assessed], ...]}. Names and weights stay in it, so an old score reads as it was computed even
    after the checks change; the first form (an object per check, ~2.3 KB per record) was the
    largest value an import wrote, bigger than the record's own content. Cached: an import scores
    many records alike (every distribution of a kind, say)."""
    out: dict[str, list[list[object]]] = {}
    for c in checks:
        out.setdefault(c.dimension, []).append([c.name, c.weight, c.points if c.assessed else None])
    return json.dumps(out, separators=(",", ":"))


def _objects(by_subject: BySubject, subject: Node, p: str) -> list[object]:
    return by_subject.get(subject, {}).get(p, [])


def _by_subject(triples: Iterable[ox.Triple]) -> BySubject:
    """One pass over the triples (a terminology record has 100,000s), then lookups per property
    (each predicate's text made once: scanning a subject's triples per property made it again
    for every triple, a quarter of the score's time)."""
    out: BySubject = {}
    for t in triples:
        out.setdefault(t.subject, {}).setdefault(t.predicate.value, []).append(t.object)  # type: ignore[arg-type]
    return out


def _code(value: object, base: str) -> str | None:
    if isinstance(value, ox.NamedNode) and value.value.startswith(base):
        return value.value[len(base) :]
    return None


def assess(
    record_iri: str, triples: Sequence[ox.Triple], context: Sequence[ox.Triple] = (), conforms: bool = True
) -> QualityScore:
    """Score one record; its distributions' statements are looked up in `triples` and `context`.

    `conforms`: whether the record passed the DCAT-AP (SHACL) shapes, the MQA's compliance check.
    """
    s = ox.NamedNode(record_iri)
    own = _by_subject(triples)
    referenced = _by_subject(context)  # indexed apart: the record's own triples are indexed once

    def everywhere(d: Node, p: str) -> list[object]:
        """The record's own statements, then its context's (the order of one index over both)."""
        mine, theirs = _objects(own, d, p), _objects(referenced, d, p)
        return [*mine, *theirs] if theirs else mine

    def has(p: str) -> bool:
        return bool(_objects(own, s, p))

    dists = [d for d in _objects(own, s, DCAT + "distribution") if isinstance(d, Node)]

    def share(test: Callable[[Node], bool]) -> float:
        """Fraction of the distributions passing `test` (0 without distributions)."""
        if not dists:
            return 0.0
        return sum(1 for d in dists if test(d)) / len(dists)

    def dist_has(p: str) -> Callable[[Node], bool]:
        return lambda d: bool(everywhere(d, p))

    def non_proprietary(d: Node) -> bool:
        return bool(set(formats(d)) & NON_PROPRIETARY)

    def machine_readable(d: Node) -> bool:
        return bool(set(formats(d)) & MACHINE_READABLE)

    def formats(d: Node) -> list[str]:
        return [c for c in (_code(v, FILE_TYPE) for v in everywhere(d, DCT + "format")) if c]

    def from_vocabulary(d: Node) -> bool:
        media = everywhere(d, DCAT + "mediaType")
        iana = any(_code(m, IANA) is not None or _code(m, IANA_HTTPS) is not None for m in media)
        return bool(formats(d)) or iana

    dataset_licences = _objects(own, s, DCT + "license")

    def licences(d: Node) -> list[object]:
        # fairgrid's records state the licence on the dataset: it counts for each of its distributions
        return [*dataset_licences, *everywhere(d, DCT + "license")]

    def licensed(d: Node) -> bool:
        return bool(licences(d))

    def licence_from_vocabulary(d: Node) -> bool:
        return any(_code(v, LICENCE) is not None for v in licences(d))

    interop: list[tuple[str, int, Callable[[Node], bool]]] = [
        ("dct:format", 20, dist_has(DCT + "format")),
        ("dcat:mediaType", 10, dist_has(DCAT + "mediaType")),
        ("format or media type from a vocabulary", 10, from_vocabulary),
        ("non-proprietary format", 20, non_proprietary),
        ("machine-readable format", 20, machine_readable),
    ]
    # The MQA scores interoperability on the one distribution with the most points ("identical content
    # with several distributions"), not on the share of distributions.
    best = max(dists, key=lambda d: sum(w for _n, w, test in interop if test(d)), default=None)
    rights = _objects(own, s, DCT + "accessRights")

    def pts(weight: int, fraction: float) -> float:
        return round(weight * fraction, 2)

    def c(dim: str, name: str, weight: int, ok: float | bool) -> Check:
        return Check(dim, name, weight, pts(weight, float(ok)))

    checks = [
        c("findability", "dcat:keyword", 30, has(DCAT + "keyword")),
        c("findability", "dcat:theme", 30, has(DCAT + "theme")),
        c("findability", "dct:spatial", 20, has(DCT + "spatial")),
        c("findability", "dct:temporal", 20, has(DCT + "temporal")),
        Check("accessibility", "dcat:accessURL reachable", 50, 0.0, assessed=False),
        c("accessibility", "dcat:downloadURL", 20, share(dist_has(DCAT + "downloadURL"))),
        Check("accessibility", "dcat:downloadURL reachable", 30, 0.0, assessed=False),
        *(c("interoperability", name, w, best is not None and test(best)) for name, w, test in interop),
        c("interoperability", "DCAT-AP compliance", 30, conforms),
        c("reusability", "dct:license", 20, share(licensed)),
        c("reusability", "licence from a vocabulary", 10, share(licence_from_vocabulary)),
        c("reusability", "dct:accessRights", 10, bool(rights)),
        c(
            "reusability",
            "access rights from a vocabulary",
            5,
            any(_code(v, ACCESS_RIGHT) is not None for v in rights),
        ),
        c("reusability", "dcat:contactPoint", 20, has(DCAT + "contactPoint")),
        c("reusability", "dct:publisher", 10, has(DCT + "publisher")),
        c("contextuality", "dct:rights", 5, share(dist_has(DCT + "rights"))),
        c("contextuality", "dcat:byteSize", 5, share(dist_has(DCAT + "byteSize"))),
        c("contextuality", "dct:issued", 5, has(DCT + "issued")),
        c("contextuality", "dct:modified", 5, has(DCT + "modified")),
    ]
    return QualityScore(checks)


def band(total: float) -> str:
    return next(name for name, floor in BANDS if total >= floor)
