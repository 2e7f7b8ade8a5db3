"""A record using a real value from a bundled controlled vocabulary is accepted by fairgrid's validator;
a value that is in no bundled list is still refused (tests/test_bundled_data.py checks the same with pySHACL).
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from registry.io.split import Draft
from registry.validation.validator import CompiledValidator
from registry.vocab import DCAT, DCT
from tests.registry.validation.corpus import _context

NAL = "http://publications.europa.eu/resource/authority/"
IANA = "http://www.iana.org/assignments/media-types/"
DATASET = "https://w3id.org/fairgrid/dataset/consortium-aggregate-statistics"
DISTRIBUTION = "https://w3id.org/fairgrid/distribution/consortium-aggregate-statistics-csv"
ADMS_STATUS = "http://www.w3.org/ns/adms#status"
LEGISLATION = "http://data.europa.eu/r5r/applicableLegislation"
HEALTH_CATEGORY = "http://healthdataportal.eu/ns/health#healthCategory"
HDEU = "https://hdeu-dcat.data.health.europa.eu/resource/authority/"

# (record, property, value): each value comes from a bundled list and was refused by the subsets
REAL = [
    (DISTRIBUTION, DCT + "license", NAL + "licence/CC_BYNC_4_0"),
    (DISTRIBUTION, DCT + "license", NAL + "licence/CC_BYNCND_4_0"),
    (DISTRIBUTION, DCT + "license", NAL + "licence/ODC_BL"),
    (DISTRIBUTION, DCT + "format", NAL + "file-type/XLSX"),
    (DISTRIBUTION, DCAT + "mediaType", IANA + "application/vnd.ms-excel"),
    (DISTRIBUTION, DCAT + "mediaType", "https://www.iana.org/assignments/media-types/text/csv"),
    (DISTRIBUTION, DCT + "language", NAL + "language/GSW"),
    (DISTRIBUTION, ADMS_STATUS, NAL + "distribution-status/COMPLETED"),
    (DATASET, DCT + "spatial", NAL + "country/DEU"),
    (DATASET, DCT + "spatial", NAL + "country/BRA"),
    (DATASET, DCT + "spatial", NAL + "country/1A0"),
    (DATASET, DCT + "language", NAL + "language/YID"),
    (DATASET, DCT + "accrualPeriodicity", NAL + "frequency/BIWEEKLY"),
    (DATASET, DCT + "spatial", NAL + "continent/EUROPE"),
    (DISTRIBUTION, LEGISLATION, "http://data.europa.eu/eli/reg/2023/2854/oj"),
    (DATASET, LEGISLATION, "http://data.europa.eu/eli/reg_impl/2023/138/oj"),
    (DATASET, DCT + "type", NAL + "dataset-type/SYNTHETIC_DATA"),
    # complete tables (generate.py --hdh-vocab / --geonames)
    (DISTRIBUTION, DCT + "format", NAL + "file-type/GPKG"),
    (DISTRIBUTION, DCT + "format", NAL + "file-type/DOCX"),
    (DATASET, DCT + "spatial", NAL + "country/DDR"),  # NAL-only: a historical entity
    (DATASET, DCT + "spatial", NAL + "country/EUR"),
    (DATASET, DCT + "type", NAL + "dataset-type/PERSONAL_DATA"),
    # the official shapes expect https://sws.geonames.org (http:// is bundled too, and only warned about)
    (DATASET, DCT + "spatial", "https://sws.geonames.org/2921044/"),  # Germany
    (DATASET, DCT + "spatial", "https://sws.geonames.org/2750405"),  # the Netherlands
    (DATASET, DCT + "spatial", "https://sws.geonames.org/6255148/"),  # Europe
    # not bundled: any GeoNames feature IRI is a place (registry/validation/entailed.py)
    (DATASET, DCT + "spatial", "https://sws.geonames.org/2950159/"),  # Berlin
    (DATASET, DCT + "spatial", "https://sws.geonames.org/734077"),  # Thessaloniki (DCAT-AP examples)
    (DATASET, HEALTH_CATEGORY, HDEU + "healthcategories/EHRS"),
    (DATASET, HEALTH_CATEGORY, "http://healthdataportal.eu/resource/authority/healthcategories/MRMR"),
    (DATASET, HEALTH_CATEGORY, "http://13.81.34.152:1101/resource/authority/healthcategories/RQSH"),
]
UNKNOWN = [
    # not in the NAL's code form (an unbundled code in it is accepted with a warning: test_entailed.py)
    (DISTRIBUTION, DCT + "license", NAL + "licence/not-a-licence"),
    (DISTRIBUTION, DCT + "format", NAL + "file-type/NOT_A_FORMAT"),
    (DISTRIBUTION, DCAT + "mediaType", IANA + "application/x-not-registered"),
    (DISTRIBUTION, DCT + "language", NAL + "language/QQQ"),
    (DISTRIBUTION, ADMS_STATUS, NAL + "distribution-status/NOT_A_STATUS"),
    (DATASET, DCT + "spatial", NAL + "country/XXX"),
    (DATASET, DCT + "language", NAL + "language/ZZZZ"),
    (DATASET, DCT + "accrualPeriodicity", NAL + "frequency/NOT_A_FREQUENCY"),
    (DISTRIBUTION, LEGISLATION, "http://data.europa.eu/eli/reg/2099/1/oj"),
    (DATASET, DCT + "type", NAL + "dataset-type/NOT_A_TYPE"),
    (DATASET, DCT + "spatial", "http://sws.geonames.org/1/"),
    (DATASET, DCT + "spatial", "https://www.geonames.org/390903"),  # a GeoNames web page, not a feature IRI
    (DATASET, HEALTH_CATEGORY, HDEU + "healthcategories/NOT_A_CATEGORY"),
]


def _with(d: Draft, prop: str, value: str) -> list[ox.Triple]:
    # the value replaces the record's own ones, so only the value under test is judged
    p = ox.NamedNode(prop)
    kept = [t for t in d.triples if not (t.subject == ox.NamedNode(d.iri) and t.predicate == p)]
    return [*kept, ox.Triple(ox.NamedNode(d.iri), p, ox.NamedNode(value))]


def _problems(
    fast: CompiledValidator, drafts: dict[str, Draft], iri: str, prop: str, value: str
) -> list[str]:
    d = drafts[iri]
    report = fast.validate(_with(d, prop, value), _context(d, drafts), d.kind)
    # warnings count too: DCAT-AP checks dct:spatial with a warning, the record is not refused for it
    # but a value that is in no list should still be flagged
    return [r.message for r in [*report.violations, *report.warnings] if r.path == prop]


@pytest.mark.parametrize(
    ("iri", "prop", "value"), REAL, ids=[v.rsplit("/", 2)[-2] + "/" + v.rsplit("/")[-1] for *_, v in REAL]
)
def test_a_real_value_is_accepted(
    fast: CompiledValidator, drafts: dict[str, Draft], iri: str, prop: str, value: str
) -> None:
    assert _problems(fast, drafts, iri, prop, value) == []


@pytest.mark.parametrize(
    ("iri", "prop", "value"),
    UNKNOWN,
    ids=[v.rsplit("/", 2)[-2] + "/" + v.rsplit("/")[-1] for *_, v in UNKNOWN],
)
def test_an_unknown_value_is_still_refused(
    fast: CompiledValidator, drafts: dict[str, Draft], iri: str, prop: str, value: str
) -> None:
    assert _problems(fast, drafts, iri, prop, value) != []


def test_the_http_form_of_a_geonames_place_is_warned_about_not_refused(
    fast: CompiledValidator, drafts: dict[str, Draft]
) -> None:
    d = drafts[DATASET]
    report = fast.validate(
        _with(d, DCT + "spatial", "http://sws.geonames.org/2921044/"), _context(d, drafts), d.kind
    )
    assert [v for v in report.violations if v.path == DCT + "spatial"] == []
    assert [w for w in report.warnings if w.path == DCT + "spatial"] != []  # mdr: ^https://sws.geonames.org


def _codes(file: str, scheme: str) -> set[str]:
    path = Path(__file__).resolve().parents[3] / "ontologies" / "vocabularies" / file
    in_scheme = ox.NamedNode("http://www.w3.org/2004/02/skos/core#inScheme")
    return {
        q.subject.value
        for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)
        if q.predicate == in_scheme and q.object == ox.NamedNode(scheme)
    }


def test_generated_tables_are_complete_as_their_sources_have_them() -> None:
    # figures of the sources generate.py read (dh-healthdcat 0.2.0, pycountry 26.2.16): see ontologies/README.md
    assert len(_codes("file-type.ttl", NAL + "file-type")) == 214
    assert len(_codes("country.ttl", NAL + "country")) == 337  # 249 ISO 3166-1 + 1A0 + 87 more NAL codes
    assert len(_codes("eu-dataset-type.ttl", NAL + "dataset-type")) == 26
    categories = _codes("health-category-ehds.ttl", HDEU + "healthcategories")
    assert len(categories) == 17 * 3  # the EHDS Art. 51 categories, under each of the three hosts
    assert len(_codes("health-theme.ttl", HDEU + "health-theme")) == 20 * 3
