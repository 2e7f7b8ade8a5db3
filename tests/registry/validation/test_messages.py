"""Reports people read: each problem once, generated messages as sentences that name the value."""

from __future__ import annotations

from collections import Counter

import pyoxigraph as ox
import pytest

from registry.io.split import Draft
from registry.validation.validator import CompiledValidator
from registry.vocab import DCAT, DCT, HEALTH, XSD
from tests.registry.validation.corpus import _context, example_drafts

DATASET = "https://w3id.org/fairgrid/dataset/mds-ngs-milan"


@pytest.fixture(scope="module")
def messages() -> tuple[list[str], Counter[tuple[str | None, str]], int]:
    drafts = example_drafts()
    d: Draft = drafts[DATASET]
    s = ox.NamedNode(DATASET)
    records = ox.NamedNode(HEALTH + "numberOfRecords")
    triples = [t for t in d.triples if t.predicate not in (ox.NamedNode(DCT + "description"), records)]
    triples += [
        ox.Triple(s, ox.NamedNode(DCAT + "theme"), ox.Literal("health")),
        ox.Triple(s, records, ox.Literal("many")),
        ox.Triple(s, records, ox.Literal("12", datatype=ox.NamedNode(XSD + "nonNegativeInteger"))),
    ]
    report = CompiledValidator().validate(triples, _context(d, drafts), d.kind)
    shown = [*report.violations, *report.warnings, *report.infos]
    return (
        [v.message for v in report.violations],
        Counter((v.path, v.constraint) for v in shown),
        len(report.results),
    )


def test_each_problem_is_reported_once(
    messages: tuple[list[str], Counter[tuple[str | None, str]], int],
) -> None:
    _, shown, raw = messages
    # DCAT-AP states "a dataset has a description" in two shapes, fairgrid's health profile repeats the
    # release's count rules: SHACL's results hold those twice, the report once
    assert shown[(DCT + "description", "http://www.w3.org/ns/shacl#MinCountConstraintComponent")] == 1
    assert shown[(HEALTH + "numberOfRecords", "http://www.w3.org/ns/shacl#MaxCountConstraintComponent")] == 1
    assert raw > sum(shown.values())


def test_generated_messages_are_sentences_naming_the_value(
    messages: tuple[list[str], Counter[tuple[str | None, str]], int],
) -> None:
    violations, _, _ = messages
    assert "dct:description must have at least one value" in violations
    assert 'dcat:theme "health" is not an IRI' in violations
    assert 'dcat:theme "health" is not an instance of skos:Concept' in violations
    assert 'healthdcatap:numberOfRecords "many" is not a single xsd:nonNegativeInteger.' in violations
    # a count has no value to name: the placeholder goes, the sentence stays
    assert "healthdcatap:numberOfRecords is not a single xsd:nonNegativeInteger." in violations
    assert not [m for m in violations if "(s)" in m or "{?value}" in m or "must have conform" in m]
