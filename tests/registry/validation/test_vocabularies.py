"""A record using a real value from a bundled controlled vocabulary is accepted by fairgrid's validator;
a value that is in no bundled list is still refused (tests/test_bundled_data.py checks the same with pySHACL).
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from registry.io.split import Draft
from registry.validation.validator import CompiledValidator
from registry.vocab import DCAT, DCT
from tests.registry.validation.corpus import EXAMPLE, _context, _drafts

ALLOWED = (
    "https://w3id.org/fairgrid/",
    "http://id.who.int/",
    "http://www.orpha.net/",
    "http://purl.obolibrary.org/",
)
NAL = "http://publications.europa.eu/resource/authority/"
IANA = "http://www.iana.org/assignments/media-types/"
DATASET = "https://w3id.org/fairgrid/dataset/consortium-aggregate-statistics"
DISTRIBUTION = "https://w3id.org/fairgrid/distribution/consortium-aggregate-statistics-csv"
ADMS_STATUS = "http://www.w3.org/ns/adms#status"
LEGISLATION = "http://data.europa.eu/r5r/applicableLegislation"

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
]
UNKNOWN = [
    (DISTRIBUTION, DCT + "license", NAL + "licence/NOT_A_LICENCE"),
    (DISTRIBUTION, DCT + "format", NAL + "file-type/NOT_A_FORMAT"),
    (DISTRIBUTION, DCAT + "mediaType", IANA + "application/x-not-registered"),
    (DISTRIBUTION, DCT + "language", NAL + "language/QQQ"),
    (DISTRIBUTION, ADMS_STATUS, NAL + "distribution-status/NOT_A_STATUS"),
    (DATASET, DCT + "spatial", NAL + "country/XXX"),
    (DATASET, DCT + "language", NAL + "language/ZZZZ"),
    (DATASET, DCT + "accrualPeriodicity", NAL + "frequency/NOT_A_FREQUENCY"),
    (DISTRIBUTION, LEGISLATION, "http://data.europa.eu/eli/reg/2099/1/oj"),
    (DATASET, DCT + "type", NAL + "dataset-type/NOT_A_TYPE"),
]


@pytest.fixture(scope="module")
def fast() -> CompiledValidator:
    return CompiledValidator()


@pytest.fixture(scope="module")
def drafts() -> dict[str, Draft]:
    return {d.iri: d for d in _drafts(EXAMPLE, ALLOWED)}


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
