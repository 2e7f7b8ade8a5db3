"""A corpus of good and bad records for checking the fast validator against plain pySHACL."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox

from registry.io.split import Draft, split
from registry.vocab import (
    ACCESS_NON_PUBLIC,
    ACCESS_RESTRICTED,
    DCAT,
    DCATAP,
    DCT,
    FG,
    HEALTH,
    METADATA_VISIBILITY,
    RDF_TYPE,
    VCARD,
    VISIBILITY_CONSORTIUM,
    XSD,
)

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "ontologies" / "examples" / "consortium.ttl"
REFERENCE = Path(__file__).resolve().parent / "examples"  # copies of the official examples
# The bases EXAMPLE's records may be under: its own and the terminologies' it cites.
ALLOWED = (
    "https://w3id.org/fairgrid/",
    "http://id.who.int/",
    "http://www.orpha.net/",
    "http://purl.obolibrary.org/",
)

Case = tuple[str, Draft, list[ox.Triple]]


def _drafts(path: Path, allowed: tuple[str, ...]) -> list[Draft]:
    triples = [q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]
    return split(triples, base_iri="https://w3id.org/fairgrid/", allowed=allowed, source=path.name).drafts


def example_drafts() -> dict[str, Draft]:
    """EXAMPLE's records, by IRI."""
    return {d.iri: d for d in _drafts(EXAMPLE, ALLOWED)}


def _context(d: Draft, by_iri: dict[str, Draft]) -> list[ox.Triple]:
    ctx: list[ox.Triple] = []
    for t in d.triples:
        if isinstance(t.object, ox.NamedNode) and t.object.value in by_iri and t.object.value != d.iri:
            ctx += by_iri[t.object.value].triples
    return ctx


def _mutations(d: Draft, rng: random.Random) -> Iterator[tuple[str, list[ox.Triple]]]:
    s = ox.NamedNode(d.iri)
    ts = list(d.triples)

    def drop(pred: str) -> list[ox.Triple]:
        return [t for t in ts if not (t.subject == s and t.predicate.value == pred)]

    def add(pred: str, obj: ox.NamedNode | ox.Literal | ox.BlankNode) -> list[ox.Triple]:
        return [*ts, ox.Triple(s, ox.NamedNode(pred), obj)]

    def replace(pred: str, obj: ox.NamedNode | ox.Literal) -> list[ox.Triple]:
        return (
            add(pred, obj)
            if pred not in {t.predicate.value for t in ts}
            else [*drop(pred), ox.Triple(s, ox.NamedNode(pred), obj)]
        )

    yield "no-title", drop(DCT + "title")
    yield "no-description", drop(DCT + "description")
    yield "theme-literal", add(DCAT + "theme", ox.Literal("health"))
    yield "theme-unknown-iri", add(DCAT + "theme", ox.NamedNode("http://example.org/not-a-concept"))
    yield (
        "two-issued",
        add(DCT + "issued", ox.Literal("2020-01-01", datatype=ox.NamedNode(XSD + "date")))
        + [
            ox.Triple(
                s, ox.NamedNode(DCT + "issued"), ox.Literal("2021-01-01", datatype=ox.NamedNode(XSD + "date"))
            )
        ],
    )
    yield "issued-plain-string", replace(DCT + "issued", ox.Literal("last spring"))
    yield (
        "records-negative",
        replace(HEALTH + "numberOfRecords", ox.Literal("12", datatype=ox.NamedNode(XSD + "integer"))),
    )
    yield "individuals-string", replace(HEALTH + "numberOfUniqueIndividuals", ox.Literal("many"))
    yield "non-public", replace(DCT + "accessRights", ox.NamedNode(ACCESS_NON_PUBLIC))
    yield (
        "restricted-no-contact",
        [
            t
            for t in replace(DCT + "accessRights", ox.NamedNode(ACCESS_RESTRICTED))
            if t.predicate.value != DCAT + "contactPoint"
        ],
    )
    yield "publisher-literal", replace(DCT + "publisher", ox.Literal("Some hospital"))
    yield "keyword-iri", add(DCAT + "keyword", ox.NamedNode("http://example.org/k"))
    yield "consortium-metadata", add(METADATA_VISIBILITY, ox.NamedNode(VISIBILITY_CONSORTIUM))
    yield "visibility-unknown", add(METADATA_VISIBILITY, ox.NamedNode(FG + "Secret"))
    # HealthDCAT-AP Release 5 (applied to health datasets by access right)
    yield "no-legislation", drop(DCATAP + "applicableLegislation")
    yield "no-identifier", drop(DCT + "identifier")
    yield (
        "category-unknown",
        replace(HEALTH + "healthCategory", ox.NamedNode("http://example.org/no-category")),
    )
    yield "two-hdab", add(HEALTH + "hdab", ox.NamedNode("https://w3id.org/fairgrid/organization/consortium"))
    if DCAT + "contactPoint" in {t.predicate.value for t in ts}:
        kind = ox.BlankNode("contact-two-emails")  # an own vcard:Kind node: the release's Kind_Shape
        yield (
            "contact-two-emails",
            [
                *drop(DCAT + "contactPoint"),
                ox.Triple(s, ox.NamedNode(DCAT + "contactPoint"), kind),
                ox.Triple(kind, ox.NamedNode(RDF_TYPE), ox.NamedNode(VCARD + "Kind")),
                ox.Triple(kind, ox.NamedNode(VCARD + "hasEmail"), ox.NamedNode("mailto:a@example.org")),
                ox.Triple(kind, ox.NamedNode(VCARD + "hasEmail"), ox.NamedNode("mailto:b@example.org")),
            ],
        )
    if len(ts) > 3:
        k = rng.randrange(len(ts))
        yield "random-drop", ts[:k] + ts[k + 1 :]


def cases(seed: int = 11) -> list[Case]:
    rng = random.Random(seed)
    out: list[Case] = []
    allowed = (
        "https://w3id.org/fairgrid/",
        "http://id.who.int/",
        "http://www.orpha.net/",
        "http://purl.obolibrary.org/",
    )
    drafts = _drafts(EXAMPLE, allowed)
    by_iri = {d.iri: d for d in drafts}
    for d in drafts:
        out.append((f"{d.iri}#as-is", d, _context(d, by_iri)))
        for name, triples in _mutations(d, rng):
            out.append(
                (f"{d.iri}#{name}", Draft(d.iri, d.kind, triples, source=d.source), _context(d, by_iri))
            )
    # official examples: records from elsewhere, many with violations of their own
    for f in sorted(REFERENCE.glob("*/*.ttl")):
        try:
            ex = _drafts(f, ("http://", "https://"))
        except SyntaxError:
            continue  # some official examples do not parse (see shared/reference/README.md)
        ex_by = {d.iri: d for d in ex}
        out += [(f"{f.name}:{d.iri}", d, _context(d, ex_by)) for d in ex]
    return out
