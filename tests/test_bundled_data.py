"""The bundled shapes, vocabularies, terminologies and example catalogue parse, agree and validate.

Validation here uses pySHACL directly (inference none, advanced), independent of fairgrid's own
validator, so a mistake in the data cannot hide behind a mistake in the code. The background
vocabularies and terminologies are validated along with the example (official shapes target every
skos:Concept and skos:ConceptScheme).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pyoxigraph as ox
import pytest
from pyshacl import validate
from rdflib import RDF, Graph, Literal, Namespace, URIRef

from registry.validation.entailed import entailed_types

ROOT = Path(__file__).resolve().parents[1]
SHAPES = ROOT / "shapes"
ONTOLOGIES = ROOT / "ontologies"
EXAMPLE = ONTOLOGIES / "examples" / "consortium.ttl"

SH = Namespace("http://www.w3.org/ns/shacl#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
FGSHAPE = Namespace("https://w3id.org/fairgrid/shapes#")
ACCESS = "http://publications.europa.eu/resource/authority/access-right/"
ACCESS_PROFILES = {
    URIRef(ACCESS + "PUBLIC"): FGSHAPE.PublicDataset,
    URIRef(ACCESS + "RESTRICTED"): FGSHAPE.RestrictedDataset,
    URIRef(ACCESS + "NON_PUBLIC"): FGSHAPE.NonPublicDataset,
}
SHAPE_FILES = [
    SHAPES / "official" / "shapes.ttl",
    SHAPES / "official" / "range.ttl",
    SHAPES / "official" / "mdr-vocabularies.shape.ttl",
    SHAPES / "official" / "mldcat-ap-SHACL.ttl",
    SHAPES / "health.ttl",
    SHAPES / "fairgrid.ttl",
    SHAPES / "access.ttl",
]
RECOMMENDED = SHAPES / "official" / "shapes_recommended.ttl"


def _parse(*files: Path) -> Graph:
    g = Graph()
    for f in files:
        g.parse(f, format="turtle")
    return g


@cache
def _shapes(recommended: bool = False) -> Graph:
    return _parse(*SHAPE_FILES, *([RECOMMENDED] if recommended else []))


@cache
def _background() -> Graph:
    files = [ONTOLOGIES / "fairgrid.ttl"]
    for sub in ("vocabularies", "terminologies"):
        files += sorted((ONTOLOGIES / sub).glob("*.ttl"))
    return _parse(*files)


_S = ox.NamedNode("urn:fairgrid:any")  # entailment reads only predicate and object


def _validate(data: Graph, recommended: bool = False) -> list[tuple[str, str, str, str, str]]:
    """Validate, each dataset also against its access profile; give (severity, focus, path, shape, msg)."""
    shapes = Graph()
    shapes += _shapes(recommended)
    for dataset in data.subjects(RDF.type, DCAT.Dataset):
        for right in data.objects(dataset, DCT.accessRights):
            if right in ACCESS_PROFILES:
                shapes.add((ACCESS_PROFILES[right], SH.targetNode, dataset))
    # The background goes into the data graph, not pySHACL's ont_graph: pySHACL copies only RDFS/OWL
    # axioms from ont_graph ("inoculation"), so SKOS concepts there would be invisible to sh:class.
    merged = Graph()
    merged += data
    merged += _background()
    # the types fairgrid states before validating, as both its validators do (open ranges, GeoNames places)
    iris = (
        ox.Triple(_S, ox.NamedNode(str(p)), ox.NamedNode(str(o))) for _, p, o in data if isinstance(o, URIRef)
    )
    for t in entailed_types(iris):
        merged.add((URIRef(t.subject.value), URIRef(t.predicate.value), URIRef(t.object.value)))  # type: ignore[union-attr]
    _, report, _ = validate(merged, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True)
    out = []
    # only top-level results: pySHACL also types the nested sh:detail results of sh:node failures
    # as sh:ValidationResult, with the nested shape's default severity
    for result in report.objects(None, SH.result):
        out.append(
            tuple(
                str(report.value(result, p, default=""))
                for p in (SH.resultSeverity, SH.focusNode, SH.resultPath, SH.sourceShape, SH.resultMessage)
            )
        )
    return out  # type: ignore[return-value]


def _violations(results: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    return [r for r in results if r[0] == str(SH.Violation)]


# terminologies/complete/ (11 MB; rdflib needs 16 s CPU for it) is parsed and checked with pyoxigraph by
# tests/registry/test_terminology_files.py
@pytest.mark.parametrize(
    "path",
    sorted([*SHAPES.rglob("*.ttl"), *(p for p in ONTOLOGIES.rglob("*.ttl") if p.parent.name != "complete")]),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_every_bundled_turtle_file_parses(path: Path) -> None:
    assert len(_parse(path)) > 0


def test_example_catalogue_has_no_violations() -> None:
    results = _validate(_parse(EXAMPLE))
    violations = _violations(results)
    for v in violations:
        print(*v, sep=" | ")
    assert violations == []


def test_example_catalogue_recommended_shapes_add_only_warnings() -> None:
    example = _parse(EXAMPLE)
    results = _validate(example, recommended=True)
    assert _violations(results) == []
    # the bundled countries are dct:Location (range.ttl asks it of dct:spatial values), so the recommended
    # Location_Shape warns on each for lack of a bounding box: those are about the background, not the example
    own = {str(s) for s in example.subjects()}
    results = [r for r in results if r[1] in own]
    for r in results:
        print(*r, sep=" | ")
    # expected: publishers that are not EU corporate bodies, no dct:spatial, no licence on
    # distributions of restricted data; keep the number small
    assert len(results) < 30


def test_example_catalogue_covers_every_access_profile() -> None:
    data = _parse(EXAMPLE)
    rights = set(data.objects(None, DCT.accessRights))
    assert set(ACCESS_PROFILES) <= rights


def test_terminology_broader_targets_are_in_the_same_scheme() -> None:
    for path in sorted((ONTOLOGIES / "terminologies").glob("*.ttl")):
        g = _parse(path)
        for concept, broader in g.subject_objects(SKOS.broader):
            schemes = set(g.objects(concept, SKOS.inScheme))
            assert schemes, f"{path.name}: {concept} is in no scheme"
            assert (broader, RDF.type, SKOS.Concept) in g, (
                f"{path.name}: broader {broader} of {concept} missing"
            )
            assert schemes & set(g.objects(broader, SKOS.inScheme)), (
                f"{path.name}: {broader} not in {schemes}"
            )


def test_each_broken_value_reports_its_own_violations_and_nothing_else() -> None:
    """Four records broken at once, in independent ways, validated in one plain-pySHACL run (each run
    re-validates the whole background): each is reported where expected, and nothing else is."""
    data = _parse(EXAMPLE)
    # a dataset without a description, with a theme that is no concept, and restricted data without a
    # count of individuals (fairgrid's access profile)
    dataset = URIRef("https://w3id.org/fairgrid/dataset/mds-registry-hub-a")
    data.remove((dataset, DCT.description, None))
    data.add((dataset, DCAT.theme, URIRef("https://w3id.org/fairgrid/theme/not-a-concept")))
    data.remove((dataset, URIRef("http://healthdataportal.eu/ns/health#numberOfUniqueIndividuals"), None))
    # a download URL on non-public data
    non_public = URIRef("https://w3id.org/fairgrid/distribution/mds-ngs-milan-federated-parquet")
    url = URIRef("https://w3id.org/fairgrid/download/mds-ngs-milan.parquet")
    data.add((non_public, DCAT.downloadURL, url))
    data.add((url, RDF.type, DCAT.Resource))
    # a public distribution without a licence
    public = URIRef("https://w3id.org/fairgrid/distribution/consortium-aggregate-statistics-csv")
    data.remove((public, DCT.license, None))
    # an age beyond any human's: counts and their datatypes are the HealthDCAT-AP release's
    # (tests/registry/validation/test_healthdcat.py); fairgrid's own health profile adds the upper bound
    aged = URIRef("https://w3id.org/fairgrid/dataset/scd-cohort-paris")
    age = URIRef("http://healthdataportal.eu/ns/health#maxTypicalAge")
    data.remove((aged, age, None))
    data.add(
        (aged, age, Literal("680", datatype=URIRef("http://www.w3.org/2001/XMLSchema#nonNegativeInteger")))
    )

    violations = _violations(_validate(data))
    found = {(focus, path) for _, focus, path, _, _ in violations}
    assert (str(dataset), str(DCT.description)) in found
    assert (str(dataset), str(DCAT.theme)) in found
    assert (str(dataset), "http://healthdataportal.eu/ns/health#numberOfUniqueIndividuals") in found
    assert (str(dataset), str(FGSHAPE.Controlled_numberOfUniqueIndividuals)) in {
        (f, sh) for _, f, _, sh, _ in violations
    }
    # the distribution rules are checked from their dataset (the focus node); only these, nowhere else
    others = {(f, sh) for _, f, _, sh, _ in violations if f != str(dataset)}
    assert others == {
        ("https://w3id.org/fairgrid/dataset/mds-ngs-milan", str(FGSHAPE.NonPublic_noDownloadURL)),
        (
            "https://w3id.org/fairgrid/dataset/consortium-aggregate-statistics",
            str(FGSHAPE.Public_distributionLicence),
        ),
        (str(aged), str(FGSHAPE.Health_maxTypicalAge)),
    }, violations


def _add_values(values: list[tuple[str, str, str]]) -> tuple[Graph, set[tuple[str, str]]]:
    # one value per single-valued property (sh:maxCount 1 on licence, format, media type, status), each in
    # place of the example's own; every value of the repeatable ones (dct:spatial, dct:language)
    data = _parse(EXAMPLE)
    seen: set[tuple[str, str]] = set()
    for s, p, o in values:
        if (s, p) not in seen:
            data.remove((URIRef(s), URIRef(p), None))
        elif p not in (str(DCT.spatial), str(DCT.language)):
            continue
        seen.add((s, p))
        data.add((URIRef(s), URIRef(p), URIRef(o)))
    return data, seen


def test_real_values_from_the_bundled_lists_validate() -> None:
    # the same values as fairgrid's validator is tested with; here plain pySHACL judges them
    from tests.registry.validation.test_vocabularies import REAL

    data, asked = _add_values(REAL)
    found = [r for r in _validate(data) if (r[1], r[2]) in asked]
    assert found == []


def test_values_in_no_bundled_list_are_still_reported() -> None:
    from tests.registry.validation.test_vocabularies import UNKNOWN

    data, asked = _add_values(UNKNOWN)
    found = {(r[1], r[2]) for r in _validate(data)}
    assert asked <= found, asked - found
