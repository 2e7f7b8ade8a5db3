"""Criteria documents evaluated on a real DuckDB site store, checked against patients built by hand."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from federation.cdm import build
from federation.cdm.codes import LAB_BY_KEY
from federation.criteria import parse_criteria
from federation.site import evaluate
from federation.site.store import LoadFailed, SiteStore

HB = LAB_BY_KEY["hemoglobin"]
TODAY = date(2026, 12, 1)


@pytest.fixture
def loaded(store: SiteStore, tmp_path: Path) -> SiteStore:
    res = [
        # a: MDS at 67, Hb 8.5 g/dL, TP53, azacitidine a month after diagnosis, AML two years later
        build.patient("a", "female", "1950-03"),
        build.diagnosis("a-dx", "a", "mds", "MDS-EB", "2018-01-10"),
        build.lab("a-hb", "a", HB, 85, "g/L", "2018-01-10"),
        build.region_studied("a-ngs", "a", ["TP53", "SF3B1"], "2018-01-12"),
        build.variant("a-tp53", "a", "TP53", "2018-01-12", 30.0),
        build.medication("a-aza", "a", "azacitidine", "2018-02-01", "2018-12-31"),
        build.procedure("a-sct", "a", "allo-hsct", "2019-03-01"),
        build.outcome("a-aml", "a", "aml-transformation", "2020-06-01"),
        # b: MDS at 38, Hb 11 g/dL, no TP53
        build.patient("b", "male", "1980-07", "2021-01-01"),
        build.diagnosis("b-dx", "b", "mds", "MDS-del5q", "2019-05-05"),
        build.lab("b-hb", "b", HB, 11.0, "g/dL", "2019-05-05"),
        build.region_studied("b-ngs", "b", ["TP53", "SF3B1"], "2019-05-07"),
        # e: MDS at 62, Hb 9.0 g/dL, no panel
        build.patient("e", "male", "1956-01"),
        build.diagnosis("e-dx", "e", "mds", "MDS-SLD", "2018-06-01"),
        build.lab("e-hb", "e", HB, 9.0, "g/dL", "2018-06-01"),
        # c: SCD child on hydroxyurea
        build.patient("c", "female", "2005-01"),
        build.diagnosis("c-dx", "c", "scd", "HbSS", "2005-07-01"),
        build.medication("c-hu", "c", "hydroxyurea", "2015-01-01", None),
        # d: myeloma at 62
        build.patient("d", "male", "1955-01"),
        build.diagnosis("d-dx", "d", "mm", "IgG", "2017-01-01"),
    ]
    (tmp_path / "q.ndjson").write_text("\n".join(json.dumps(r) for r in res) + "\n")
    store.load([tmp_path / "q.ndjson"])
    return store


def ids(store: SiteStore, doc: dict[str, Any]) -> list[str]:
    q = parse_criteria(doc)
    found = evaluate.patients(store, q, TODAY)
    assert evaluate.count(store, q, TODAY) == len(found)
    return found


def dx(code: str, system: str = "icd10", **kw: Any) -> dict[str, Any]:
    return {"type": "diagnosis", "system": system, "code": code, **kw}


def test_the_documented_example(loaded: SiteStore) -> None:
    doc = {
        "inclusion": [
            [dx("D46")],
            [{"type": "age", "min": 60, "at": "diagnosis"}],
            [{"type": "lab", "loinc": "718-7", "max": 10, "unit": "g/dL"}],
        ],
        "exclusion": [{"type": "variant", "gene": "TP53"}],
    }
    assert ids(loaded, doc) == ["e"]
    assert ids(loaded, {**doc, "exclusion": []}) == ["a", "e"]


def test_or_groups_and_descendants(loaded: SiteStore) -> None:
    assert ids(loaded, {"inclusion": [[dx("D46"), dx("C90")]]}) == ["a", "b", "d", "e"]
    assert ids(loaded, {"inclusion": [[dx("D46.6")]]}) == ["b"]
    assert ids(loaded, {"inclusion": [[dx("D46", descendants=False)]]}) == []
    assert ids(loaded, {"inclusion": [[dx("ORPHA:52688", "orpha")]]}) == ["a", "b", "e"]


def test_age_today_and_at_diagnosis(loaded: SiteStore) -> None:
    assert ids(loaded, {"inclusion": [[dx("D46")], [{"type": "age", "max": 40, "at": "diagnosis"}]]}) == ["b"]
    assert ids(loaded, {"inclusion": [[{"type": "age", "max": 30}]]}) == ["c"]
    assert ids(
        loaded, {"inclusion": [[{"type": "sex", "value": "female"}], [{"type": "age", "min": 70}]]}
    ) == ["a"]


def test_lab_bounds_in_any_convertible_unit(loaded: SiteStore) -> None:
    lab = {"type": "lab", "loinc": "718-7"}
    assert ids(loaded, {"inclusion": [[{**lab, "max": 90, "unit": "g/L"}]]}) == ["a", "e"]
    assert ids(loaded, {"inclusion": [[{**lab, "comparator": "<", "value": 9, "unit": "g/dL"}]]}) == ["a"]
    assert ids(loaded, {"inclusion": [[{**lab, "comparator": "<=", "value": 9, "unit": "g/dL"}]]}) == [
        "a",
        "e",
    ]
    assert ids(loaded, {"inclusion": [[{**lab, "min": 5.5, "max": 6, "unit": "mmol/L"}]]}) == [
        "e"
    ]  # 8.86-9.67 g/dL


def test_event_windows(loaded: SiteStore) -> None:
    aza = {"type": "medication", "atc": "L01BC07"}
    assert ids(loaded, {"inclusion": [[{**aza, "within": {"months_after_diagnosis": 3}}]]}) == ["a"]
    assert ids(loaded, {"inclusion": [[{**aza, "within": {"from": "2019-01-01"}}]]}) == []
    aml = {"type": "outcome", "code": "aml-transformation"}
    assert ids(loaded, {"inclusion": [[{**aml, "within": {"months_after_diagnosis": 24}}]]}) == []
    assert ids(loaded, {"inclusion": [[{**aml, "within": {"months_after_diagnosis": 36}}]]}) == ["a"]
    hu = {"type": "medication", "atc": "L01XX05", "within": {"from": "2024-01-01", "to": "2024-12-31"}}
    assert ids(loaded, {"inclusion": [[hu]]}) == ["c"]  # still taking it: an open period overlaps
    sct = {"type": "procedure", "code": "allo-hsct", "within": {"from": "2019-01-01", "to": "2019-12-31"}}
    assert ids(loaded, {"inclusion": [[sct]]}) == ["a"]


def test_variant_change_is_not_recorded_here(loaded: SiteStore) -> None:
    with pytest.raises(evaluate.NotRecorded):
        ids(loaded, {"inclusion": [[{"type": "variant", "gene": "TP53", "change": "p.R248Q"}]]})


def test_variant_changes_once_the_site_records_them(store: SiteStore, tmp_path: Path) -> None:
    res = [
        build.patient("x", "female", "1950-03"),
        build.variant("x-tp53", "x", "TP53", "2018-01-12", 30.0, change="p.R248Q"),
        build.patient("y", "male", "1950-03"),
        build.variant("y-tp53", "y", "TP53", "2018-01-12", 25.0, change="p.R175H"),
        build.patient("z", "male", "1950-03"),
        build.variant("z-tp53", "z", "TP53", "2018-01-12", 20.0),  # a change the lab did not report
    ]
    (tmp_path / "v.ndjson").write_text("\n".join(json.dumps(r) for r in res) + "\n")
    store.load([tmp_path / "v.ndjson"])
    assert ids(store, {"inclusion": [[{"type": "variant", "gene": "TP53"}]]}) == ["x", "y", "z"]
    assert ids(store, {"inclusion": [[{"type": "variant", "gene": "TP53", "change": "p.R248Q"}]]}) == ["x"]
    # the three-letter spelling is the same question
    assert ids(store, {"inclusion": [[{"type": "variant", "gene": "tp53", "change": "p.Arg175His"}]]}) == [
        "y"
    ]


def test_a_malformed_change_is_refused_at_load(store: SiteStore, tmp_path: Path) -> None:
    bad = build.variant("b-tp53", "b", "TP53", "2018-01-12", 30.0, change="R248Q; DROP")
    (tmp_path / "b.ndjson").write_text(
        json.dumps(build.patient("b", "male", "1950-03")) + "\n" + json.dumps(bad) + "\n"
    )
    with pytest.raises(LoadFailed) as err:
        store.load([tmp_path / "b.ndjson"])
    assert "is not an HGVS change" in err.value.details["errors"][0]["reason"]
