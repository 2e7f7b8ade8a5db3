"""The criteria language: schema, pointers in errors, normal form."""

from __future__ import annotations

from typing import Any

import pytest

from federation.criteria import CriteriaError, parse_criteria, schema

ISSUE_EXAMPLE: dict[str, Any] = {
    "inclusion": [
        [{"type": "diagnosis", "system": "icd10", "code": "D46"}],
        [{"type": "age", "min": 60, "at": "diagnosis"}],
        [{"type": "lab", "loinc": "718-7", "max": 10, "unit": "g/dL"}],
    ],
    "exclusion": [{"type": "variant", "gene": "TP53"}],
}


def known(system: str, code: str) -> bool:
    return (system, code) in {("icd10", "D46"), ("icd10", "C90"), ("orpha", "232")}


def test_the_documented_example_parses() -> None:
    q = parse_criteria(ISSUE_EXAMPLE, known=known)
    assert len(q.inclusion) == 3 and len(q.exclusion) == 1
    assert parse_criteria(q.to_json(), known=known) == q  # the canonical form is itself valid input


def test_two_spellings_of_one_question_are_one_query() -> None:
    respelled = {
        "exclusion": [{"type": "variant", "gene": "tp53"}],
        "inclusion": [
            [{"type": "lab", "loinc": "718-7", "comparator": "<=", "value": 100, "unit": "g/L"}],
            [
                {"type": "diagnosis", "system": "ICD10", "code": "d46"},
                {"type": "diagnosis", "system": "icd10", "code": "D46", "descendants": True},
            ],
            [{"type": "age", "at": "diagnosis", "min": 60}],
        ],
    }
    assert parse_criteria(respelled, known=known).key == parse_criteria(ISSUE_EXAMPLE, known=known).key


def test_strict_and_inclusive_bounds_differ() -> None:
    le = {"inclusion": [[{"type": "lab", "loinc": "718-7", "comparator": "<=", "value": 10, "unit": "g/dL"}]]}
    lt = {"inclusion": [[{"type": "lab", "loinc": "718-7", "comparator": "<", "value": 10, "unit": "g/dL"}]]}
    assert parse_criteria(le).key != parse_criteria(lt).key


def test_orpha_code_spellings_are_one_code() -> None:
    a = parse_criteria(
        {"inclusion": [[{"type": "diagnosis", "system": "orpha", "code": "ORPHA:232"}]]}, known=known
    )
    b = parse_criteria(
        {"inclusion": [[{"type": "diagnosis", "system": "ORPHA", "code": "232"}]]}, known=known
    )
    assert a.key == b.key


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            {
                "inclusion": [
                    [{"type": "sex", "value": "female"}],
                    [{"type": "lab", "loinc": "718-7", "max": 10, "unit": "mg/dl/x"}],
                ]
            },
            '/inclusion/1/0/unit: unknown UCUM unit "mg/dl/x"',
        ),
        (
            {"inclusion": [[{"type": "lab", "loinc": "718-7", "max": 10, "unit": "kg"}]]},
            '/inclusion/0/0/unit: unit "kg" cannot be converted to g/dL',
        ),
        (
            {"inclusion": [[{"type": "lab", "loinc": "718-7", "max": 10}]]},
            "/inclusion/0/0/unit: a bound needs its UCUM unit",
        ),
        (
            {"inclusion": [[{"type": "lab", "loinc": "9999-9", "max": 1, "unit": "g/L"}]]},
            "/inclusion/0/0/loinc: LOINC 9999-9 is not a lab",
        ),
        (
            {"inclusion": [[{"type": "diagnosis", "system": "icd10", "code": "XYZ"}]]},
            "/inclusion/0/0/code: unknown icd10 code 'XYZ'",
        ),
        (
            {"inclusion": [[{"type": "diagnosis", "system": "orpha", "code": "ORPHA:abc"}]]},
            "/inclusion/0/0/code: ORPHA codes are numbers",
        ),
        (
            {"inclusion": [[{"type": "age", "min": 70, "max": 60}]]},
            "/inclusion/0/0/min: min 70 is above max 60",
        ),
        (
            {"inclusion": [[{"type": "age", "min": 60, "foo": 1}]]},
            "/inclusion/0/0/foo: unknown property 'foo'",
        ),
        ({"inclusion": [[{"type": "sex", "value": "Male"}]]}, "/inclusion/0/0/value: 'Male' is not one of"),
        (
            {"inclusion": [[{"type": "variant", "gene": "NOTAGENE"}]]},
            "/inclusion/0/0/gene: gene 'NOTAGENE' is not on",
        ),
        (
            {"inclusion": [[{"type": "medication", "atc": "L01XX99"}]]},
            "/inclusion/0/0/atc: ATC code 'L01XX99'",
        ),
        (
            {"inclusion": [[{"type": "outcome", "code": "death-by-boredom"}]]},
            "/inclusion/0/0/code: unknown outcome",
        ),
        (
            {"inclusion": [[{"type": "procedure", "code": "12345"}]]},
            "/inclusion/0/0/code: unknown procedure code",
        ),
        (
            {
                "inclusion": [
                    [
                        {
                            "type": "medication",
                            "atc": "L01BC07",
                            "within": {"from": "2021-01-01", "to": "2020-01-01"},
                        }
                    ]
                ]
            },
            "/inclusion/0/0/within: 'from' 2021-01-01 is after 'to' 2020-01-01",
        ),
        (
            {"inclusion": [[{"type": "outcome", "code": "progression", "within": {"from": "2020-02-30"}}]]},
            "/inclusion/0/0/within/from",
        ),
        ({"inclusion": [[{"type": "bogus"}]]}, "/inclusion/0/0/type"),
        ({"inclusion": []}, "/inclusion: at least one inclusion group"),
        ({"inclusion": [[]]}, "/inclusion/0:"),
        ({"inclusion": [[{"type": "sex", "value": "male"}]], "extra": 1}, "/extra: unknown property 'extra'"),
        ([], "/: [] is not of type 'object'"),
        ("{not json", "/: not JSON"),
    ],
)
def test_one_error_names_the_offending_part(doc: Any, message: str) -> None:
    with pytest.raises(CriteriaError) as err:
        parse_criteria(doc, known=known)
    assert err.value.message.startswith(message), err.value.message
    assert err.value.details["pointer"] == message.split(":")[0]


def test_the_schema_is_published_as_json_schema() -> None:
    s = schema()
    assert s["$schema"].startswith("https://json-schema.org/draft/2020-12")
    types = s["$defs"]["criterion"]["properties"]["type"]["enum"]
    assert types == ["diagnosis", "age", "sex", "lab", "variant", "medication", "procedure", "outcome"]


def _lab(bound: Any, unit: str = "g/dL", key: str = "min") -> dict[str, Any]:
    return {"inclusion": [[{"type": "lab", "loinc": "718-7", key: bound, "unit": unit}]]}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (_lab(10**400), "/inclusion/0/0/min: the number is too large"),  # JSON allows any integer
        (_lab(float("nan")), "/inclusion/0/0/min: nan is not a finite number"),  # json.loads reads NaN
        (_lab(float("inf"), key="max"), "/inclusion/0/0/max: inf is not a finite number"),
        (_lab(1e308, "kg/dL"), "/inclusion/0/0/min: 1e+308 kg/dL is out of range in g/dL"),
        (_lab(5, "{cells}"), '/inclusion/0/0/unit: unit "{cells}" cannot be converted to g/dL'),
        (
            {
                "inclusion": [
                    [{"type": "lab", "loinc": "718-7", "comparator": "=", "value": 10**400, "unit": "g/L"}]
                ]
            },
            "/inclusion/0/0/value: the number is too large",
        ),
    ],
)
def test_lab_bounds_must_be_finite_numbers_and_units_numbers(doc: Any, message: str) -> None:
    # these ended in an OverflowError or TypeError (a 500), or passed NaN/Infinity on to every site
    with pytest.raises(CriteriaError) as err:
        parse_criteria(doc)
    assert err.value.message == message


def test_an_icd10_code_without_its_dot_is_the_code() -> None:
    """Hospital systems often store D46.9 as "D469": one question, not an unknown code."""

    def dotted(system: str, code: str) -> bool:
        return (system, code) in {("icd10", "D46.9"), ("orpha", "232")}

    def ask(system: str, code: str) -> str:
        doc = {"inclusion": [[{"type": "diagnosis", "system": system, "code": code}]]}
        return parse_criteria(doc, known=dotted).key

    assert ask("icd10", "D469") == ask("icd10", "d46.9") == ask("ICD10", "D46.9")
    assert ask("orpha", "ORPHA_232") == ask("orpha", "orpha232") == ask("orpha", "232")


def test_an_icd10_gm_code_is_refused_with_the_who_code_to_ask_for() -> None:
    """German researchers write C90.00 (ICD-10-GM); the registry's terminology is WHO ICD-10."""
    doc = {"inclusion": [[{"type": "diagnosis", "system": "icd10", "code": "C90.00"}]]}
    with pytest.raises(
        CriteriaError, match=r"unknown icd10 code 'C90.00' .*ICD-10-GM it refines WHO's C90.0: ask"
    ):
        parse_criteria(doc, known=lambda system, code: code == "C90.0")
    doc["inclusion"][0][0]["code"] = "Q99.99"  # nothing to suggest where the WHO code is unknown too
    with pytest.raises(CriteriaError, match=r"terminologies$"):
        parse_criteria(doc, known=lambda system, code: code == "C90.0")
