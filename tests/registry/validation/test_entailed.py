"""Open ranges entailed as RDFS does (registry/validation/entailed.py): an untyped IRI as a landing page,
homepage, page or dct:conformsTo value is a foaf:Document / dct:Standard; a literal or an untyped blank node
there is still refused, and controlled-vocabulary ranges (licences) are still checked against the bundled
lists. EU licence and place codes that are not bundled are accepted with one warning (nal.py). Both validators
are asked, so the fast path and plain pySHACL stay the same."""

from __future__ import annotations

from collections.abc import Callable

import pyoxigraph as ox
import pytest

from registry.io.split import Draft
from registry.validation.entailed import entailed_types
from registry.validation.graph import Graph
from registry.validation.nal import UNCONFIRMED, BundledCodes
from registry.validation.reference import PyshaclValidator
from registry.validation.report import ValidationReport
from registry.validation.validator import CompiledValidator
from registry.vocab import DCAT, DCT, FOAF, RDFS
from tests.registry.validation.corpus import _context

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


# the reports of both validators on one record with `prop` set to the value under test
Judge = Callable[[str, str, Value], list[ValidationReport]]


@pytest.fixture(scope="module")
def judge(drafts: dict[str, Draft]) -> Judge:
    validators = (CompiledValidator(), PyshaclValidator())

    def reports(iri: str, prop: str, value: Value) -> list[ValidationReport]:
        d = drafts[iri]
        triples, ctx = _with(d, prop, value), _context(d, drafts)
        return [v.validate(triples, ctx, d.kind) for v in validators]

    return reports


def _with(d: Draft, prop: str, value: Value) -> list[ox.Triple]:
    # the value replaces the record's own ones, so only the value under test is judged
    s, p = ox.NamedNode(d.iri), ox.NamedNode(prop)
    kept = [t for t in d.triples if not (t.subject == s and t.predicate == p)]
    out = [*kept, ox.Triple(s, p, value)]
    if isinstance(value, ox.BlankNode):  # described, but not typed
        out.append(ox.Triple(value, ox.NamedNode(RDFS + "label"), ox.Literal("the study's page")))
    return out


def _problems(judge: Judge, iri: str, prop: str, value: Value) -> set[tuple[str, str]]:
    """(path, constraint) of every violation on `prop`, the same from both validators."""
    found: list[set[tuple[str, str]]] = []
    for report in judge(iri, prop, value):
        found.append({(prop, r.constraint.rsplit("#", 1)[-1]) for r in report.violations if r.path == prop})
    assert found[0] == found[1]
    return found[0]


@pytest.mark.parametrize(
    ("iri", "prop", "value"), ACCEPTED, ids=[p.rsplit("/", 1)[-1] for _, p, _ in ACCEPTED]
)
def test_an_untyped_iri_in_an_open_range_is_accepted(judge: Judge, iri: str, prop: str, value: Value) -> None:
    assert _problems(judge, iri, prop, value) == set()


@pytest.mark.parametrize(("iri", "prop", "value"), REFUSED, ids=[str(v) for *_, v in REFUSED])
def test_literals_blank_nodes_and_unlisted_licences_are_still_refused(
    judge: Judge, iri: str, prop: str, value: Value
) -> None:
    assert "ClassConstraintComponent" in {c for _, c in _problems(judge, iri, prop, value)}


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


# EU licence and place codes (registry/validation/nal.py): typed from the table's namespace
LICENCE = "http://publications.europa.eu/resource/authority/licence/"
PLACE = "http://publications.europa.eu/resource/authority/place/"
UNBUNDLED = [
    (DISTRIBUTION, DCT + "license", ox.NamedNode(LICENCE + "DL_DE_BY_2_0")),
    (DISTRIBUTION, DCT + "license", ox.NamedNode(LICENCE + "CC_BY_NC_4_0")),  # the NAL has CC_BYNC_4_0
    (DATASET, DCT + "spatial", ox.NamedNode(PLACE + "DEU_BER")),
]
BUNDLED = [
    (DISTRIBUTION, DCT + "license", ox.NamedNode(LICENCE + "CC_BY_4_0")),
    (DISTRIBUTION, DCT + "license", ox.NamedNode(LICENCE + "CC_BYNC_4_0")),
    (DATASET, DCT + "spatial", ox.NamedNode("http://publications.europa.eu/resource/authority/country/DEU")),
]
NOT_CODES = [
    (DISTRIBUTION, DCT + "license", ox.NamedNode("https://example.org/licence/x")),
    (DISTRIBUTION, DCT + "license", ox.Literal(LICENCE + "DL_DE_BY_2_0")),  # a string, not the code
    (DISTRIBUTION, DCT + "license", ox.NamedNode(LICENCE + "dl-de-by-2.0")),  # not the NAL's code form
    (DATASET, DCT + "spatial", ox.Literal("DEU_BER")),
]


def _findings(judge: Judge, iri: str, prop: str, value: Value) -> tuple[set[str], list[tuple[str, str]]]:
    """(violated components, warnings as (component, message)) on `prop`, the same from both validators."""
    found = []
    for report in judge(iri, prop, value):
        violations = {r.constraint.rsplit("#", 1)[-1] for r in report.violations if r.path == prop}
        # messages only of fairgrid's own warnings: pySHACL words the shapes' results its own way
        warnings = [
            (r.constraint, r.message if r.constraint == UNCONFIRMED else "")
            for r in report.warnings
            if r.path == prop
        ]
        found.append((violations, warnings))
    assert found[0] == found[1]
    return found[0]


@pytest.mark.parametrize(("iri", "prop", "value"), UNBUNDLED, ids=[v.value for *_, v in UNBUNDLED])
def test_an_unbundled_eu_code_is_accepted_with_one_warning(
    judge: Judge, iri: str, prop: str, value: ox.NamedNode
) -> None:
    violations, warnings = _findings(judge, iri, prop, value)
    assert violations == set()
    assert [c for c, _ in warnings] == [UNCONFIRMED]
    message = warnings[0][1]
    assert f"<{value.value}> is not in fairgrid's bundled part of the EU" in message
    assert "could not be confirmed offline" in message
    assert ("<" + LICENCE + "CC_BYNC_4_0>" in message) == value.value.endswith("CC_BY_NC_4_0")


@pytest.mark.parametrize(("iri", "prop", "value"), BUNDLED, ids=[v.value for *_, v in BUNDLED])
def test_a_bundled_eu_code_gets_no_warning(judge: Judge, iri: str, prop: str, value: ox.NamedNode) -> None:
    assert _findings(judge, iri, prop, value) == (set(), [])


@pytest.mark.parametrize(("iri", "prop", "value"), NOT_CODES, ids=[str(v) for *_, v in NOT_CODES])
def test_a_value_outside_the_eu_tables_is_still_refused(
    judge: Judge, iri: str, prop: str, value: Value
) -> None:
    violations, warnings = _findings(judge, iri, prop, value)
    assert "ClassConstraintComponent" in violations
    assert UNCONFIRMED not in {c for c, _ in warnings}


def test_an_unbundled_code_is_warned_about_once() -> None:
    code = ox.NamedNode(LICENCE + "DL_DE_BY_2_0")
    license_ = ox.NamedNode(DCT + "license")
    triples = [
        ox.Triple(ox.NamedNode(f"https://w3id.org/fairgrid/distribution/{n}"), license_, code) for n in "ab"
    ]
    assert len(BundledCodes(Graph()).warnings(triples)) == 1
