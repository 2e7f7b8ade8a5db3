"""Open ranges entailed as RDFS does (registry/validation/entailed.py): an untyped IRI as a landing page,
homepage, page or dct:conformsTo value is a foaf:Document / dct:Standard; a literal or an untyped blank node
there is still refused, and controlled-vocabulary ranges (licences) are still checked against the bundled
lists. Both validators are asked, so the fast path and plain pySHACL stay the same."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from registry.io.split import Draft
from registry.validation.entailed import entailed_types
from registry.validation.reference import PyshaclValidator
from registry.validation.validator import CompiledValidator
from registry.vocab import DCAT, DCT, FOAF, RDFS
from tests.registry.validation.corpus import EXAMPLE, _context, _drafts

ALLOWED = (
    "https://w3id.org/fairgrid/",
    "http://id.who.int/",
    "http://www.orpha.net/",
    "http://purl.obolibrary.org/",
)
DATASET = "https://w3id.org/fairgrid/dataset/consortium-aggregate-statistics"
DISTRIBUTION = "https://w3id.org/fairgrid/distribution/consortium-aggregate-statistics-csv"
PAGE = ox.NamedNode("https://hospital.example.org/studies/mds-registry")  # typed nowhere
SPEC = ox.NamedNode("https://hospital.example.org/specs/export-format-v2")
Value = ox.NamedNode | ox.Literal | ox.BlankNode

ACCEPTED = [
    (DATASET, DCAT + "landingPage", PAGE),
    (DATASET, FOAF + "page", PAGE),
    (DATASET, DCT + "conformsTo", SPEC),
    (DISTRIBUTION, FOAF + "page", PAGE),  # DCAT-AP's "documentation"
    (DISTRIBUTION, DCT + "conformsTo", SPEC),
    # a bundled licence as dct:rights: dct:LicenseDocument rdfs:subClassOf dct:RightsStatement (DCMI)
    (
        DISTRIBUTION,
        DCT + "rights",
        ox.NamedNode("http://publications.europa.eu/resource/authority/licence/CC_BY_4_0"),
    ),
]
REFUSED = [
    (DATASET, DCAT + "landingPage", ox.Literal(PAGE.value)),  # a string, not a resource
    (DATASET, DCT + "conformsTo", ox.Literal("DCAT-AP 3")),
    (DATASET, DCAT + "landingPage", ox.BlankNode("page")),  # blank nodes keep needing their own type
    (DISTRIBUTION, DCT + "license", ox.NamedNode("http://dcat-ap.de/def/licenses/cc-zero")),  # in no list
    (DISTRIBUTION, DCT + "license", ox.NamedNode("https://hospital.example.org/our-licence")),
]


@pytest.fixture(scope="module")
def drafts() -> dict[str, Draft]:
    return {d.iri: d for d in _drafts(EXAMPLE, ALLOWED)}


@pytest.fixture(scope="module")
def validators() -> tuple[CompiledValidator, PyshaclValidator]:
    return CompiledValidator(), PyshaclValidator()


def _with(d: Draft, prop: str, value: Value) -> list[ox.Triple]:
    # the value replaces the record's own ones, so only the value under test is judged
    s, p = ox.NamedNode(d.iri), ox.NamedNode(prop)
    kept = [t for t in d.triples if not (t.subject == s and t.predicate == p)]
    out = [*kept, ox.Triple(s, p, value)]
    if isinstance(value, ox.BlankNode):  # described, but not typed
        out.append(ox.Triple(value, ox.NamedNode(RDFS + "label"), ox.Literal("the study's page")))
    return out


def _problems(
    validators: tuple[CompiledValidator, PyshaclValidator],
    d: Draft,
    drafts: dict[str, Draft],
    prop: str,
    value: Value,
) -> set[tuple[str, str]]:
    """(path, constraint) of every violation on `prop`, the same from both validators."""
    triples, ctx = _with(d, prop, value), _context(d, drafts)
    found: list[set[tuple[str, str]]] = []
    for v in validators:
        report = v.validate(triples, ctx, d.kind)
        found.append({(prop, r.constraint.rsplit("#", 1)[-1]) for r in report.violations if r.path == prop})
    assert found[0] == found[1]
    return found[0]


@pytest.mark.parametrize(
    ("iri", "prop", "value"), ACCEPTED, ids=[p.rsplit("/", 1)[-1] for _, p, _ in ACCEPTED]
)
def test_an_untyped_iri_in_an_open_range_is_accepted(
    validators: tuple[CompiledValidator, PyshaclValidator],
    drafts: dict[str, Draft],
    iri: str,
    prop: str,
    value: Value,
) -> None:
    assert _problems(validators, drafts[iri], drafts, prop, value) == set()


@pytest.mark.parametrize(("iri", "prop", "value"), REFUSED, ids=[str(v) for *_, v in REFUSED])
def test_literals_blank_nodes_and_unlisted_licences_are_still_refused(
    validators: tuple[CompiledValidator, PyshaclValidator],
    drafts: dict[str, Draft],
    iri: str,
    prop: str,
    value: Value,
) -> None:
    assert "ClassConstraintComponent" in {
        c for _, c in _problems(validators, drafts[iri], drafts, prop, value)
    }


def test_only_iri_objects_of_the_listed_properties_are_typed() -> None:
    s = ox.NamedNode("https://w3id.org/fairgrid/dataset/x")
    triples = [
        ox.Triple(s, ox.NamedNode(DCAT + "landingPage"), PAGE),
        ox.Triple(s, ox.NamedNode(DCAT + "landingPage"), ox.Literal("https://example.org/")),
        ox.Triple(s, ox.NamedNode(FOAF + "homepage"), ox.BlankNode("b")),
        ox.Triple(s, ox.NamedNode(DCT + "license"), ox.NamedNode("https://example.org/licence")),
        ox.Triple(s, ox.NamedNode(DCT + "conformsTo"), SPEC),
    ]
    typed = {(str(t.subject), str(t.object)) for t in entailed_types(triples)}
    assert typed == {(str(PAGE), f"<{FOAF}Document>"), (str(SPEC), f"<{DCT}Standard>")}
