"""The official DCAT-AP 3.0.1 examples imported into one fresh home: which records are refused, for
exactly which violations, and that DCAT-AP's own shapes report every one of them too (so each is the
example's, not fairgrid's). The per-file table is in examples/README.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import Graph
from rdflib.namespace import SH

from registry.config import Settings
from registry.errors import RdfSyntaxError, ValidationFailed
from registry.identity import local_operator
from registry.store.oxigraph import OxigraphStore
from registry.validation.bundle import SHAPES_DIR
from registry.wiring import Registry
from tests.registry.validation.corpus import REFERENCE

EXAMPLES = REFERENCE / "dcat-ap-3.0.1"
ALLOWED = ("https://data.gov.gr/", "http://data.gov.gr/", "example-api:")
Key = tuple[str, str, str]  # focus node's local name, path's local name, value ("" for a missing one)

SERIES_API = "example-bee-population-dataset-series-api.ttl"
SERIES_COMBINED = "example-bee-population-dataset-series-combined.ttl"
# `example-dist:BeePopulation2023/csv a ...`: a '/' in a prefixed name is not Turtle (rdflib agrees)
UNPARSEABLE = {SERIES_API, SERIES_COMBINED}
IMPORTED = {"example-api:EA-API-Platform"}  # the DataService of the life-count example, with warnings
AGENCY = "https://agencies.gov.gr/id/GreekEnvironmentAgency"  # described in none of the files
GREECE_PAGE = "https://www.geonames.org/390903"  # GeoNames' web page for Greece, not its feature IRI
SERIES = "https://data.gov.gr/id/datasetseries/BeePopulation"


def _no_text(*focus: str) -> set[Key]:
    return {(f, p, "") for f in focus for p in ("title", "description")}


def _no_description(*focus: str) -> set[Key]:
    return {(f, "description", "") for f in focus}


# What each file's refused records violate. Nothing else is refused.
REFUSED: dict[str, set[Key]] = {
    "example-bee-population.ttl": {("BeePopulation", "publisher", AGENCY)},
    "example-bee-population-2022-2023.ttl": {
        ("BeePopulation2022", "publisher", AGENCY),
        ("BeePopulation2023", "publisher", AGENCY),
    },
    "example-bee-populaton-2022-2023.ttl": {
        ("BeePopulation2022", "publisher", "http://www.example.org/rdf#GreekEnvironmentAgency"),
        ("BeePopulation2023", "publisher", "http://www.example.org/rdf#GreekEnvironmentAgency"),
    },
    "example-bee-population-dataset-frequency.ttl": _no_text("BeePopulation"),
    "example-bee-population-dataset-series.ttl": _no_text("BeePopulation2022", "BeePopulation2023")
    | _no_description("BeePopulation"),
    "example-bee-population-dataset-series-ordered.ttl": _no_text("BeePopulation2022", "BeePopulation2023")
    | _no_description("BeePopulation"),
    "example-bee-population-dataset-series-frequency.ttl": _no_text("BeePopulation2022", "BeePopulation2023")
    | _no_description("BeePopulation"),
    "example-bee-population-dataset-series-issued.ttl": _no_description(
        "BeePopulation", "BeePopulation2022", "BeePopulation2023"
    ),
    "example-bee-population-dataset-series-spatial-thessaloniki-athens.ttl": _no_description(
        "BeePopulation", "BeePopulation2022", "BeePopulation2023"
    ),
    "example-bee-population-dataset-series-spatial-thessaloniki.ttl": _no_description(
        "BeePopulation", "BeePopulation2022"
    )
    | {("BeePopulation", "spatial", "https://www.geonames.org/734077")},
    "example-bee-population-dataset-series-gea-nha.ttl": _no_description(
        "BeePopulation", "BeePopulation2000", "BeePopulation2022", "BeePopulation2023"
    )
    | {("BeePopulation", "spatial", GREECE_PAGE), ("BeePopulation2000", "spatial", GREECE_PAGE)},
    "example-bee-population-dataset-series-modified.ttl": _no_description(
        "BeePopulation", "BeePopulation2000", "BeePopulation2022", "BeePopulation2023"
    )
    | {("BeePopulation", "spatial", GREECE_PAGE), ("BeePopulation2000", "spatial", GREECE_PAGE)},
    # the series is described only in other files, each time without its mandatory description
    "example-bee-population-dataset-series-life-count.ttl": _no_description("BeePopulationLive")
    | {("BeePopulationLive", "spatial", GREECE_PAGE), ("BeePopulationLive", "inSeries", SERIES)},
}


def _local(iri: str) -> str:
    return re.split(r"[/#]", iri)[-1]


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, set[Key]], set[str], set[str]]:
    """(violations by file, unparseable files, imported records) after importing every example."""
    home = tmp_path_factory.mktemp("home")
    reg = Registry(Settings(home=home, allowed_bases=ALLOWED), OxigraphStore())
    refused: dict[str, set[Key]] = {}
    unparseable: set[str] = set()
    done: set[str] = set()
    # One import per file, in name order, into the same home: the files are variants of one example
    # (the same datasets, described differently), and one import refuses a record described twice.
    for f in sorted(EXAMPLES.glob("*.ttl")):
        summary = reg.importer.run(local_operator(), [f], keep_items=True)
        done |= {i.iri for i in summary.items if i.status == "imported" and i.iri}
        for r in summary.rejections:
            if isinstance(r.error, RdfSyntaxError):
                unparseable.add(f.name)
                continue
            assert isinstance(r.error, ValidationFailed), r.error
            refused.setdefault(f.name, set()).update(
                (_local(v.focus_node), _local(v.path or ""), v.value or "") for v in r.error.violations
            )
    reg.close()
    return refused, unparseable, done


def test_each_example_is_refused_for_exactly_its_own_violations(
    imported: tuple[dict[str, set[Key]], set[str], set[str]],
) -> None:
    refused, unparseable, done = imported
    assert unparseable == UNPARSEABLE
    assert done == IMPORTED
    assert refused == REFUSED


def _official(file: Path, shapes: Graph) -> set[Key]:
    _ok, report, _text = validate(Graph().parse(file), shacl_graph=shapes, inference="none")
    assert isinstance(report, Graph)
    out: set[Key] = set()
    for r in report.subjects(SH.resultSeverity, SH.Violation):
        value = report.value(r, SH.value)
        focus, path = report.value(r, SH.focusNode), report.value(r, SH.resultPath)
        out.add((_local(str(focus)), _local(str(path)), "" if value is None else str(value)))
    return out


def test_dcat_ap_own_shapes_report_every_refusal(
    imported: tuple[dict[str, set[Key]], set[str], set[str]],
) -> None:
    """Plain pySHACL, the file alone, DCAT-AP 3.0.1's shapes.ttl and range.ttl (no vocabularies)."""
    shapes = Graph()
    for name in ("shapes.ttl", "range.ttl"):
        shapes.parse(SHAPES_DIR / "official" / name)
    refused = imported[0]
    for f in sorted(EXAMPLES.glob("*.ttl")):
        if f.name in UNPARSEABLE:
            continue
        theirs, ours = _official(f, shapes), refused.get(f.name, set())
        assert ours <= theirs, f.name
        # what DCAT-AP's shapes add is only what fairgrid knows from its vocabularies: the EU
        # frequency list, and GeoNames feature IRIs as places
        for _focus, path, value in theirs - ours:
            assert (path, value.rsplit("/", 1)[0]) in {
                ("accrualPeriodicity", "http://publications.europa.eu/resource/authority/frequency"),
                ("spatial", "https://sws.geonames.org"),
            }, (f.name, path, value)
