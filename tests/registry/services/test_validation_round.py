"""One round shows every problem: literal problems and SHACL results come back together (a malformed
literal used to stop validation before SHACL ran, so a curator needed a second round)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from registry.errors import DatatypeError
from registry.services.checks import WELL_FORMED
from registry.wiring import Registry
from tests.conftest import CURATOR
from tests.registry.services.test_records import BASE, dataset

TTL = ox.RdfFormat.TURTLE
DCT = "http://purl.org/dc/terms/"


@pytest.fixture
def r(reg: Registry) -> Registry:
    return reg


def test_bad_literals_and_shacl_violations_in_one_error(r: Registry) -> None:
    doc = dataset(extra='; dct:issued "31/12/2024"^^xsd:date ; dct:modified "2024-02-30"^^xsd:date')
    doc = doc.replace(
        '    dct:description "Adults with sickle cell disease followed at one site."@en ;\n', ""
    )
    with pytest.raises(DatatypeError) as err:
        r.records.create(CURATOR, doc, TTL)
    e = err.value
    literal = [v for v in e.violations if v.constraint == WELL_FORMED]
    shacl = [v for v in e.violations if v.constraint != WELL_FORMED]
    assert {(v.path, v.value) for v in literal} == {
        (DCT + "issued", "31/12/2024"), (DCT + "modified", "2024-02-30")
    }  # fmt: skip
    assert all(v.focus_node == BASE + "dataset/ds1" and "xsd:date" in v.message for v in literal)
    assert DCT + "description" in {v.path for v in shacl}  # the missing description, same round
    assert "2 literal(s)" in e.message and "SHACL violation(s)" in e.message and "31/12/2024" in e.message
    assert len(e.details["violations"]) == len(e.violations) and len(e.details["literals"]) == 2
    assert r.store.count() == 0


def test_a_bad_literal_alone_is_still_reported(r: Registry) -> None:
    with pytest.raises(DatatypeError) as err:
        r.records.create(CURATOR, dataset(extra='; dct:issued "soon"^^xsd:date'), TTL)
    assert [v.value for v in err.value.violations] == ["soon"]
    assert "SHACL" not in err.value.message


def test_a_long_bad_literal_is_not_quoted_whole(r: Registry) -> None:
    # the message quoted it in full: a 100,000-character date made a 100 kB error (and a harvested
    # draft's report kept it twice)
    with pytest.raises(DatatypeError) as err:
        r.records.create(CURATOR, dataset(extra=f'; dct:issued "{"9" * 100_000}"^^xsd:date'), TTL)
    (v,) = err.value.violations
    assert len(v.message) < 200 and "100,000 characters" in v.message and len(err.value.message) < 500
    assert v.value == "9" * 100_000  # the report's value is still the value
