"""Real HealthDCAT-AP and FAIR Data Point files published by others (tests/fixtures/third_party/health/,
sources in SOURCES.md, findings in RESULTS.md), split and validated as `fairgrid validate` does, with
their hosts allowed. Each file's outcome is pinned: the records that conform, and for each refused record
the exact (focus, path) pairs judged genuine violations. A vocabulary entry lost, a change in how a
document is cut into records or a property dropped on reading turns this red."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import pytest

from registry.config import Settings
from registry.errors import RdfSyntaxError
from registry.identity import local_operator
from registry.rdf import format_for_path
from registry.services.importer import Importer
from registry.services.records import Checked
from registry.store.oxigraph import OxigraphStore
from registry.wiring import Registry

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "third_party" / "health"
FILE = "<file>"  # stands for the file's own URI (a document describing itself as <>)
ALLOWED = (
    "http://example.healthdata.nl/",
    "http://example.com/",
    "internalURI:",
    "https://health-ri.sandbox.semlab-leiden.nl/",
    "https://fair.healthinformationportal.eu/",
    "https://zenodo.org/",
    "https://healthdcat-ap.example.org/",
    "http://piveau.io/",
    HERE.as_uri() + "/",
)
PREFIXES = {
    "http://purl.org/dc/terms/": "dct:",
    "http://www.w3.org/ns/dcat#": "dcat:",
    "http://healthdataportal.eu/ns/health#": "healthdcatap:",
    "http://data.europa.eu/r5r/": "dcatap:",
    "http://xmlns.com/foaf/0.1/": "foaf:",
    "http://www.w3.org/2006/vcard/ns#": "vcard:",
    "http://www.w3.org/ns/csvw#": "csvw:",
    "http://www.w3.org/ns/adms#": "adms:",
}
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
EX = "https://healthdcat-ap.example.org/release-7/example/"
GDI = "https://health-ri.sandbox.semlab-leiden.nl/dataset/"

Pairs = frozenset[tuple[str, str]]


@dataclass(frozen=True)
class Outcome:
    conform: frozenset[str] = frozenset()
    refused: dict[str, Pairs] = field(default_factory=dict)
    # named nodes the file describes but no record points at (reported, never silently dropped)
    unowned: frozenset[str] = frozenset()


def pairs(*items: str) -> Pairs:
    """'focus | path' strings: focus is `record` or the focus node's type."""
    return frozenset((a.strip(), b.strip()) for a, b in (i.split("|") for i in items))


EXPECTED: dict[str, Outcome] = {
    "ckanext-dcat-dataset-health.ttl": Outcome(
        conform=frozenset(
            {"http://example.com/analytics", "http://example.com/sample", "internalURI:creator0"}
        ),
        refused={
            "http://example.healthdata.nl/set/dataset": pairs(
                # (its dct:conformsTo, a Wikidata item IRI, is a dct:Standard by rdfs:range)
                "record | dcat:distribution",  # the one distribution is commented out
                "record | dct:publisher",  # no contact point (HealthDCAT-AP)
                "record | healthdcatap:hdab",  # no contact point (HealthDCAT-AP)
                "record | healthdcatap:healthCategory",  # the codes on http://example.com/...
                "dcat:Relationship | dct:relation",  # untyped dataset IRI
                "dcat:Relationship | dcat:hadRole",  # an IANA relation, not a dcat:Role
            )
        },
        unowned=frozenset(
            {
                "http://piveau.io/set/record/16e16149-bf41-42f6-8741-225e8c97a35e",  # its topic is not here
                "internalURI:sampleTable0",
                "internalURI:variables0",
                "internalURI:hasCodeValues0",
                "internalURI:hasCodeValues1",
            }
        ),
    ),
    "fdp-gda-lumc.ttl": Outcome(
        refused={
            FILE: pairs(
                "record | dct:hasVersion",  # "1.0": a literal
                "record | dct:language",  # id.loc.gov ISO 639-1, not the EU language table
                "record | dcat:theme",  # SIO and DBpedia IRIs, untyped
            )
        }
    ),
    "gdi-fdp-catalog-slovenia.ttl": Outcome(
        refused={
            "https://fair.healthinformationportal.eu/catalog/1c75c2c9-d2cc-44cb-aaa8-cf8c11515c8d": pairs(
                "record | dct:description",
                "record | dct:language",
                "record | dct:license",
                "record | dct:isPartOf",  # the FDP root, not described here
                "record | dcat:themeTaxonomy",
                "record | dcat:dataset",  # on another FDP page
            )
        }
    ),
    "gdi-fdp-dataset-cbioportal.ttl": Outcome(
        refused={
            GDI + "d9956191-1aff-4181-ac8b-16b829135ed5": pairs(
                "record | dcat:distribution",  # described without rdf:type
                "record | dct:language",
                "record | dct:publisher",  # untyped IRI
            )
        }
    ),
    "gdi-fdp-dataset-example.ttl": Outcome(
        refused={
            GDI + "d7129d28-b72a-437f-8db0-4f0258dd3c25": pairs(
                "record | dct:accessRights",  # <#accessRights>, not described
                "record | dcat:distribution",  # on another FDP page
                "record | dct:language",
            )
        }
    ),
    "healthdcat-ap-de-fdz-gesundheit.ttl": Outcome(
        refused={
            "https://zenodo.org/records/11472236": pairs(
                "record | dcatap:applicableLegislation",  # a German statute page, not an ELI resource
                "record | dct:publisher",  # typed foaf:agent (lower case)
                "record | dcat:distribution",
                # the file's healthdcatap: prefix is http://data.europa.eu/r5r/healthdcatap#, not HealthDCAT-AP's
                "record | healthdcatap:hdab",
                "record | healthdcatap:healthCategory",
                "record | healthdcatap:numberOfUniqueIndividuals",  # fairgrid's restricted-data profile
                "vcard:Organization | vcard:hasEmail",  # a literal, not a mailto: IRI
            )
        }
    ),
    "healthdcat-ap-de-zfkd-krebsregister.ttl": Outcome(
        refused={
            # placeholders ("n/a") everywhere and most prefixes bound to web pages, not namespaces
            "https://zenodo.org/record/10022040": pairs(
                "record | adms:identifier",
                "record | adms:sample",
                "record | dcat:distribution",
                "record | dcat:qualifiedRelation",
                "record | dcat:spatialResolutionInMeters",
                "record | dcat:temporalResolution",
                "record | dcatap:applicableLegislation",
                "record | dct:accessRights",
                "record | dct:accrualPeriodicity",
                "record | dct:conformsTo",
                "record | dct:identifier",
                "record | dct:provenance",
                "record | dct:publisher",
                "record | dct:temporal",
                "record | healthdcatap:hdab",
                "record | healthdcatap:healthCategory",
                "dcat:Distribution | dcat:accessService",
                "dcat:Distribution | dcat:accessURL",
                "dcat:Distribution | dcatap:applicableLegislation",
                "dcat:Distribution | dct:conformsTo",
                "dcat:Distribution | dct:issued",
                "dcat:Distribution | dct:license",
                "dcat:Distribution | dct:rights",
                "vcard:Organization | vcard:hasEmail",
            )
        }
    ),
    "healthdcat-ap-example-dataset.ttl": Outcome(
        conform=frozenset(
            {
                EX + "distribution-main-csv",
                EX + "distribution-fhir-package",
                EX + "distribution-sample-csv",
                EX + "distribution-analytics-report",
                # dct:type on the HealthData@EU publisher-type list (ontologies/vocabularies/health-publisher-type.ttl)
                EX + "creator-agent",
                EX + "publisher-agent",
                EX + "hdab-agent",
                EX + "hdab-coordinator-agent",
                EX + "custodian-agent",
            }
        ),
        refused={
            EX + "dataset-oncology-ehrs-2024": pairs(
                # Release 8 ways that Release 5 (applied here) does not allow
                "record | dct:publisher",  # cv:contactPoint, Release 5 asks dcat:contactPoint
                "record | healthdcatap:hdab",  # same
                "record | healthdcatap:hasCodeValues",  # "U07.1": a literal
                "csvw:Table | csvw:column",
                "csvw:Column | csvw:titles",  # csvw:title is not a CSVW term
                "record | dcat:distribution/dcat:downloadURL",  # fairgrid's non-public profile
            )
        },
        unowned=frozenset({"https://www.snomed.org/snomed-ct", "https://ohdsi.github.io/CommonDataModel/"}),
    ),
}


def _short(iri: str) -> str:
    for ns, prefix in PREFIXES.items():
        iri = iri.replace(ns, prefix)
    return iri


@pytest.fixture(scope="module")
def reg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    home = tmp_path_factory.mktemp("third-party") / "home"
    r = Registry(Settings(home=home, allowed_bases=ALLOWED), OxigraphStore())
    yield r
    r.close()


def _outcome(reg: Registry, path: Path) -> Outcome:
    drafts, errors = reg.records.parse_drafts(
        path.read_bytes(), format_for_path(path), path.name, document_iri=path.as_uri()
    )
    unowned = {where for where, e in errors if not where.startswith("_:")}
    assert all(e.code == "no_typed_subject" for _, e in errors), [e.message for _, e in errors]
    conform: set[str] = set()
    refused: dict[str, Pairs] = {}
    for item in reg.records.check(local_operator(), drafts):
        if isinstance(item, Checked):
            conform.add(item.draft.iri)
            continue
        draft, err = item
        types: dict[str, list[str]] = {}
        for t in draft.triples:
            s, o = t.subject, t.object
            if t.predicate.value == RDF_TYPE and isinstance(s, ox.NamedNode | ox.BlankNode):
                node = str(s) if isinstance(s, ox.BlankNode) else s.value
                types.setdefault(node, []).append(_short(o.value if isinstance(o, ox.NamedNode) else str(o)))
        found = set()
        for v in getattr(err, "violations", []):
            focus = "record" if v.focus_node == draft.iri else min(types.get(v.focus_node, ["untyped"]))
            found.add((focus, _short(v.path or "-")))
        assert found, f"{draft.iri}: refused without a violation: {err.message}"
        refused[draft.iri] = frozenset(found)
    rename = {path.as_uri(): FILE}
    return Outcome(
        conform=frozenset(rename.get(i, i) for i in conform),
        refused={rename.get(i, i): p for i, p in refused.items()},
        unowned=frozenset(unowned),
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_what_fairgrid_says_of_each_file(reg: Registry, name: str) -> None:
    got, want = _outcome(reg, HERE / name), EXPECTED[name]
    assert got.conform == want.conform
    assert got.refused.keys() == want.refused.keys()
    for iri, expected in want.refused.items():
        assert got.refused[iri] == expected, iri
    assert got.unowned == want.unowned


def test_every_file_here_is_pinned() -> None:
    unreadable = {"healthdcat-ap-de-rki-sars-cov-2-infektionen.ttl"}
    assert {p.name for p in HERE.glob("*.ttl")} == set(EXPECTED) | unreadable


def test_a_file_that_does_not_parse_is_reported_with_its_line(reg: Registry) -> None:
    # the RKI example uses geodcatap: without declaring it
    path = HERE / "healthdcat-ap-de-rki-sars-cov-2-infektionen.ttl"
    with pytest.raises(RdfSyntaxError) as caught:
        reg.records.parse_drafts(
            path.read_bytes(), format_for_path(path), str(path), document_iri=path.as_uri()
        )
    assert caught.value.line == 11 and "geodcatap" in caught.value.message


@pytest.mark.parametrize("streamed", [False, True])
def test_a_document_describing_itself_as_relative_iri_keeps_the_file_uri(
    reg: Registry, streamed: bool
) -> None:
    # FAIR Data Point metadata says <> for itself; imported from a file that is the file, not the hub's base
    path = HERE / "fdp-gda-lumc.ttl"
    importer = Importer(reg.records, stream_threshold=0) if streamed else reg.importer
    summary = importer.run(local_operator(), [path], dry_run=True, keep_items=True)
    iris = {i.iri for i in summary.items}
    assert path.as_uri() in iris
    assert reg.settings.base_iri not in iris


def test_healthdcat_ap_publisher_types_are_known_and_others_are_not(reg: Registry) -> None:
    agent = """@prefix foaf: <http://xmlns.com/foaf/0.1/> . @prefix dct: <http://purl.org/dc/terms/> .
    <https://healthdcat-ap.example.org/agent/a> a foaf:Agent ; foaf:name "A" ;
        dct:type <https://hdeu-dcat.data.health.europa.eu/resource/authority/publisher-type/%s> ."""
    for code, known in (("public-health-registry", True), ("no-such-type", False)):
        drafts, _ = reg.records.parse_drafts(agent % code, ox.RdfFormat.TURTLE)
        (item,) = reg.records.check(local_operator(), drafts)
        assert isinstance(item, Checked) is known, code
        if not isinstance(item, Checked):
            messages = [v.message for v in getattr(item[1], "violations", [])]
            assert any("no-such-type> is not an instance of skos:Concept" in m for m in messages), messages
