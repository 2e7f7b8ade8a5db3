"""The loader's structural check: any shape of input is accepted or refused with a RecordError, never a crash."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from federation.cdm import build
from federation.cdm.codes import LAB_BY_KEY
from federation.site.elements import RecordError
from federation.site.flatten import flatten
from federation.site.store import drop_narrative
from federation.site.terminology import Terminology

HB = LAB_BY_KEY["hemoglobin"]
RESOURCES = [
    build.patient("p1", "female", "1950-03", "2020-05-01"),
    build.diagnosis("dx", "p1", "mds", "MDS-EB", "2018-01-10"),
    build.outcome("aml", "p1", "aml-transformation", "2020-06-01"),
    build.lab("hb", "p1", HB, 9.1, "g/dL", "2018-01-10"),
    build.region_studied("ngs", "p1", ["TP53"], "2018-01-12"),
    build.variant("tp53", "p1", "TP53", "2018-01-12", 30.0),
    build.genotype("hbb", "p1", "HbSS", "2005-07-01"),
    build.cytogenetics("del5q", "p1", "del5q", True, "2019-05-07"),
    build.score("ipss", "p1", "ipss-r", 3.5, "low", "2018-01-10"),
    build.medication("aza", "p1", "azacitidine", "2018-02-01", "2018-12-31"),
    build.procedure("sct", "p1", "allo-hsct", "2019-03-01"),
    build.encounter("voc", "p1", "2020-01-01", "2020-01-05"),
    {  # as EHRs record a drug given, and one prescribed
        "resourceType": "MedicationAdministration",
        "id": "adm",
        "status": "completed",
        "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01BC07"}]},
        "subject": {"reference": "Patient/p1"},
        "effectivePeriod": {"start": "2018-02-01T09:00:00Z", "end": "2018-02-01T10:00:00Z"},
    },
    {
        "resourceType": "MedicationRequest",
        "id": "rx",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01BC07"}]},
        "subject": {"reference": "Patient/p1"},
        "authoredOn": "2018-01-30",
    },
    {  # as German hospitals send it: ICD-10-GM with its certainty, and a recordedDate
        "resourceType": "Condition",
        "id": "gm",
        "verificationStatus": {"coding": [{"code": "confirmed"}]},
        "code": {
            "coding": [
                {
                    "system": "http://fhir.de/CodeSystem/bfarm/icd-10-gm",
                    "code": "C90.00",
                    "extension": [
                        {
                            "url": "http://fhir.de/StructureDefinition/icd-10-gm-diagnosesicherheit",
                            "valueCoding": {"code": "G"},
                        }
                    ],
                }
            ]
        },
        "subject": {"reference": "Patient/p1"},
        "recordedDate": "2019-04-02",
    },
]
# JSON values of every kind, and the near misses of FHIR shapes (an object where an array belongs ...)
VALUES: list[Any] = [
    None,
    1,
    -1,
    1.5,
    True,
    "x",
    "",
    [],
    {},
    [1],
    [{}],
    [None],
    ["x"],
    {"a": 1},
    {"coding": {}},
    float("nan"),
    float("inf"),
    10**400,  # beyond a float's range: float() raised OverflowError
]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if prefix:
        yield prefix
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, value in items:
        yield from _paths(value, (*prefix, key))


def _mutants() -> Iterator[tuple[str, dict[str, Any]]]:
    for res in RESOURCES:
        for path in _paths(res):
            for value in VALUES:
                mutant = copy.deepcopy(res)
                target = mutant
                for key in path[:-1]:
                    target = target[key]
                target[path[-1]] = value
                yield f"{res['resourceType']}/{res['id']}{list(path)}={value!r}", mutant


def test_every_element_replaced_by_any_json_value_is_accepted_or_refused_cleanly() -> None:
    known = Terminology.fallback().known
    crashes = []
    for name, mutant in _mutants():
        try:
            flatten(mutant, known)
        except RecordError:
            continue
        except Exception as e:  # the bug this test is about: a crash instead of a rejected record
            crashes.append(f"{name}: {type(e).__name__}: {e}")
    assert crashes == []


def test_category_as_an_object_is_refused_by_name() -> None:
    res = {**RESOURCES[1], "category": {"coding": [{"system": "x", "code": "encounter-diagnosis"}]}}
    with pytest.raises(RecordError, match="category: must be a JSON array"):
        flatten(res, Terminology.fallback().known)


@pytest.mark.parametrize(("field", "value"), [("birthDate", "2999-01"), ("deceasedDateTime", "2999-01-01")])
def test_dates_in_the_future_are_refused(field: str, value: str) -> None:
    with pytest.raises(RecordError, match="is in the future"):
        flatten({**RESOURCES[0], field: value}, Terminology.fallback().known)


def test_narrative_is_dropped_also_from_contained_resources() -> None:
    div = '<div xmlns="http://www.w3.org/1999/xhtml">Jane Doe, MRN 1234</div>'
    res = {
        **RESOURCES[0],
        "text": {"status": "generated", "div": div},
        "contained": [
            {"resourceType": "Observation", "id": "c", "text": {"status": "generated", "div": div}}
        ],
    }
    assert drop_narrative(res) is True
    assert "Jane Doe" not in repr(res) and "text" not in res and "text" not in res["contained"][0]
    assert drop_narrative(res) is False


def test_every_resource_above_gives_facts() -> None:
    """The mutants start from records that load: each of them gives its facts."""
    known = Terminology.fallback().known
    assert all(flatten(res, known)[3] or res["resourceType"] == "Patient" for res in RESOURCES)
