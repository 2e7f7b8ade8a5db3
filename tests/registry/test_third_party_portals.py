"""Real DCAT-AP files published by others (CKAN's DCAT extension, DCAT-AP.de, DCAT-AP-SE): what fairgrid
says of each, record by record (tests/fixtures/third_party/portals/, SOURCES.md and RESULTS.md there).

Each file is validated in-process as `fairgrid validate` does (a dry-run import), with the publishers' own
bases allowed. A record either conforms (None) or is refused with exactly the listed (focus, path, rule)
violations: focus "record" is the record's own IRI, "_:" one of its blank nodes. Every listed violation was
judged genuine (the file breaks DCAT-AP 3.0.1) except those in OPEN: fairgrid-side and left, because the
value is in no list fairgrid can bundle offline (RESULTS.md). Untyped landing pages, homepages and
specifications named by IRI are no longer refused: their type follows from the properties' rdfs:range
(registry/validation/entailed.py). A new vocabulary entry, a splitting change or a parser that drops a
property changes these sets and turns the test red.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib

from registry.config import Settings
from registry.errors import IriNotAllowed, RdfSyntaxError
from registry.identity import local_operator
from registry.io.split import split
from registry.rdf import format_for_path, parse
from registry.services.importer import ImportSummary
from registry.store.oxigraph import OxigraphStore
from registry.validation.report import short
from registry.wiring import Registry

DIR = Path(__file__).parents[1] / "fixtures" / "third_party" / "portals"
BASES = (
    "https://ckan.example.org/", "https://example.org", "https://www.example.org/", "http://example.com/",
    "http://data.london.gov.uk/", "https://datos.gob.es/", "https://www.opendata-hro.de/",
    "http://nobelprize.org/", "https://example.com/",
)  # fmt: skip
SYNTAX_ERROR = "dcat-ap-de-3.0-Dataset-und-Distribution.ttl"  # `publisher _:x` then no `;` (line 31)

Found = set[tuple[str, str | None, str]]

HRO = "https://www.opendata-hro.de/dataset/c1be4007-d811-48fb-8818-2cb358b06a63"
ES = "https://datos.gob.es/catalogo/l01280796-estudio-de-satisfaccion-con-el-programa-de-escuelas-municipales-de-promocion-deportiva-en-centros-escolares"
ML = "https://example.org/dataset/0112cf32-bce0-4071-9504-923375f9f2ad"
CKAN = "https://ckan.example.org/dataset/d4ce4e6e-ab89-44cb-bf5c-33a162c234de"
LOCN, SPDX = "http://www.w3.org/ns/locn#", "http://spdx.org/rdf/terms#"


def on_record(*pairs: tuple[str, str]) -> Found:
    return {("record", path, rule) for path, rule in pairs}


LITERAL_LANGUAGE = on_record(
    ("dct:language", "NodeKind"), ("dct:language", "Class"), ("dct:language", "Node")
)
LITERAL_FORMAT = on_record(("dct:format", "NodeKind"), ("dct:format", "Class"), ("dct:format", "Node"))
# DCAT-AP.de distributions: dct:conformsTo as a literal, the ADMS 1.0 status (DCAT-AP 3 wants the EU
# distribution-status table), DCAT-AP.de's licence IRIs (not bundled) also given as dct:rights
HRO_DIST = on_record(
    ("dct:conformsTo", "NodeKind"), ("dct:conformsTo", "Class"), ("adms:status", "Class"), ("adms:status", "Node"),
    ("dct:license", "Class"), ("dct:rights", "Class"),
)  # fmt: skip
HRO_FILE = HRO_DIST | on_record(("dcat:byteSize", "Datatype")) | {("_:", SPDX + "algorithm", "Node")}
HRO_SERVICE = HRO_DIST | on_record(("dct:format", "Class"), ("dct:format", "Node"))  # file-type/WMS, /WFS

EXPECTED: dict[str, dict[str, Found | None]] = {
    "ckan-catalog_with_at_graph.jsonld": {
        "https://example.org#catalog": None,
        "https://www.example.org/impressum#publisher": None,
        f"{CKAN}#dataset": None,
        f"{CKAN}/resource/a289c289-55c9-410f-b4c7-f88e5f6f4e47#distribution": on_record(("dct:license", "Class")),
    },
    "ckan-dataset_afs.ttl": {
        "http://example.com/data/test-dataset-1": on_record(("dcat:landingPage", "NodeKind"), ("dcat:landingPage", "Class"))
        | {("_:", p, r) for p, r in [
            ("dcat:accessURL", "MinCount"), ("dcat:accessURL", "NodeKind"), ("dcat:downloadURL", "NodeKind"),
            ("dct:license", "NodeKind"), ("dct:license", "Class"),
            ("dct:format", "NodeKind"), ("dct:format", "Class"), ("dct:format", "Node"),
        ]},
    },
    "ckan-dataset_deri.ttl": {
        "http://data.london.gov.uk/dataset/Abandoned_Vehicles": on_record(
            ("dcat:distribution", "Class"), ("dct:spatial", "NodeKind"), ("dct:spatial", "Class"),
            ("dct:accrualPeriodicity", "NodeKind"), ("dct:accrualPeriodicity", "Class"), ("dct:accrualPeriodicity", "Node"),
        ),
    },
    "ckan-dataset_gob_es.ttl": {
        ES: LITERAL_LANGUAGE
        | on_record(("dct:publisher", "Class"), ("dcat:theme", "Class"), ("dct:accrualPeriodicity", "Node")),
        f"{ES}/resource/8d3c2ada-a6dc-4dc5-a0cb-bcda4c1b4935": on_record(
            ("dcat:accessURL", "NodeKind"), ("dcat:byteSize", "Datatype"), ("dct:format", "Class"), ("dct:format", "Node"),
        ),
    },
    "ckan-dataset_gov_de.rdf": {
        HRO: on_record(("dct:conformsTo", "NodeKind"), ("dct:conformsTo", "Class"))
        | {("_:", LOCN + "geometry", "MaxCount")},
        "https://www.opendata-hro.de/organization/b952e781-ab4c-456a-8e7a-2845f7efaf83": None,
        f"{HRO}/resource/8fccc5c3-a9cd-47bc-861d-8d32182c0729": HRO_FILE,
        f"{HRO}/resource/339138d0-3ae9-4e79-8c7e-ab3ce8940bbb": HRO_SERVICE,
        f"{HRO}/resource/16984156-24c6-4cf8-8f62-07b808d6185d": HRO_SERVICE,
        f"{HRO}/resource/4a6f51a2-51a1-40e3-b1cd-92c9dcc8a99c": HRO_DIST,
        f"{HRO}/resource/e13d65b5-cae6-47cb-8432-ea5f5aa7c1c2": HRO_DIST,
        f"{HRO}/resource/1b8abfa3-f8ba-4c16-9e6f-823fb838f439": HRO_FILE,
        f"{HRO}/resource/ee7c9411-f35e-48a7-9129-843baf9e0393": HRO_FILE,
        f"{HRO}/resource/01302e04-baf3-402f-8352-1ac780e46efe": HRO_FILE,
        f"{HRO}/resource/7badf4ff-8698-4bf3-9f82-70dc1458d31c": HRO_FILE,
    },
    "ckan-dataset_multilingual.ttl": {
        ML: LITERAL_LANGUAGE,
        f"{ML}/resource/db416e08-1efd-46ae-8ca6-7bc6aaba9e10": LITERAL_LANGUAGE | LITERAL_FORMAT,
    },
    "ckan-dataset_sweden.rdf": {
        "http://nobelprize.org/datasets/dcat#catalog": on_record(
            ("dct:issued", "Node"), ("dct:modified", "Node"), ("foaf:homepage", "NodeKind"), ("foaf:homepage", "Class"),
            ("dct:language", "Class"), ("dct:language", "Node"), ("dcat:themeTaxonomy", "Class"),
        ),
        "http://nobelprize.org/datasets/dcat#ds1": on_record(
            ("dct:accrualPeriodicity", "Class"), ("dct:accrualPeriodicity", "Node"), ("dcat:theme", "Class"),
        ),
        "http://nobelprize.org/datasets/dcat#dist1": LITERAL_FORMAT | on_record(("dct:format", "MaxCount")),
    },
    "dcat-ap-se-rekommenderat.ttl": {
        "https://example.com/catalog1": None,  # its untyped homepage IRI: a foaf:Document by rdfs:range
        "https://example.com/publisher1": None,
        "https://example.com/dataset1": None,
        "https://example.com/distribution1": LITERAL_FORMAT,
        "https://example.com/distribution2": LITERAL_FORMAT,
        "https://example.com/dataservice1": None,
    },
}  # fmt: skip

# fairgrid-side, left: (file, record, violation); see RESULTS.md
OPEN: list[tuple[str, str, tuple[str, str | None, str]]] = [
    # licence IRIs from lists fairgrid cannot bundle offline (Open Definition, DCAT-AP.de's licences)
    ("ckan-catalog_with_at_graph.jsonld", f"{CKAN}/resource/a289c289-55c9-410f-b4c7-f88e5f6f4e47#distribution",
     ("record", "dct:license", "Class")),
    ("ckan-dataset_gov_de.rdf", f"{HRO}/resource/4a6f51a2-51a1-40e3-b1cd-92c9dcc8a99c", ("record", "dct:license", "Class")),
    # EuroVoc and the Spanish NTI sector list are not bundled
    ("ckan-dataset_sweden.rdf", "http://nobelprize.org/datasets/dcat#ds1", ("record", "dcat:theme", "Class")),
    ("ckan-dataset_sweden.rdf", "http://nobelprize.org/datasets/dcat#catalog", ("record", "dcat:themeTaxonomy", "Class")),
    ("ckan-dataset_gob_es.ttl", ES, ("record", "dcat:theme", "Class")),
]  # fmt: skip


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    settings = Settings(home=tmp_path_factory.mktemp("portals"), allowed_bases=BASES)
    return Registry(settings, OxigraphStore())  # one validator for every file


def validated(registry: Registry, name: str) -> ImportSummary:
    return registry.importer.run(local_operator("tester"), [DIR / name], dry_run=True, keep_items=True)


def outcome(summary: ImportSummary) -> dict[str, Found | None]:
    out: dict[str, Found | None] = {}
    for item in summary.items:
        assert item.iri is not None, item.error
        violations = getattr(item.error, "violations", None) or []
        if item.error is not None:
            assert violations, item.error  # refused for its content, nothing else
        out[item.iri] = None if item.error is None else {
            ("record" if v.focus_node == item.iri else "_:" if v.focus_node.startswith("_:") else v.focus_node,
             short(v.path) if v.path else None,
             v.constraint.rsplit("#", 1)[-1].removesuffix("ConstraintComponent"))
            for v in violations
        }  # fmt: skip
    return out


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_record_conforms_or_is_refused_for_exactly_these_violations(
    registry: Registry, name: str
) -> None:
    assert outcome(validated(registry, name)) == EXPECTED[name]


def test_open_findings_are_among_the_expected() -> None:
    for name, iri, violation in OPEN:
        found = EXPECTED[name][iri]
        assert found is not None and violation in found, (name, iri, violation)


def test_a_syntax_error_is_reported_with_its_line(registry: Registry) -> None:
    (item,) = validated(registry, SYNTAX_ERROR).items
    assert isinstance(item.error, RdfSyntaxError) and ":34:" in item.error.message


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_parsed_as_rdflib_parses_it(name: str) -> None:
    """No property lost on reading: the same triple count as rdflib's own parser (JSON-LD, RDF/XML, Turtle)."""
    path = DIR / name
    fmt = {".ttl": "turtle", ".rdf": "xml", ".jsonld": "json-ld"}[path.suffix]
    theirs = rdflib.Graph().parse(path, format=fmt)
    assert len(set(parse(path.read_bytes(), format_for_path(path), source=name))) == len(theirs)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_outside_the_allowed_bases_each_record_is_refused_once(name: str) -> None:
    """With only fairgrid's own bases each record is refused as foreign, and what it owns (blank nodes,
    described pages) is refused with it, not reported again as belonging to no record."""
    path = DIR / name
    triples = parse(path.read_bytes(), format_for_path(path), source=name)
    s = Settings()
    result = split(triples, base_iri=s.base_iri, allowed=s.all_allowed_bases, source=name)
    assert result.drafts == []
    assert sorted(where for where, _ in result.errors) == sorted(EXPECTED[name])
    assert all(isinstance(e, IriNotAllowed) for _, e in result.errors)
