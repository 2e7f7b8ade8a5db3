from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from federation.cdm import build
from federation.cdm.codes import LAB_BY_KEY
from federation.site import queries as q
from federation.site.features import feature_table
from federation.site.store import SiteStore
from federation.site.terminology import Terminology

HB = LAB_BY_KEY["hemoglobin"]
D = date.fromisoformat


@pytest.fixture
def loaded(store: SiteStore, tmp_path: Path) -> SiteStore:
    res = [
        build.patient("a", "female", "1950-03"),
        build.diagnosis("a-dx", "a", "mds", "MDS-EB", "2018-01-10"),  # D46.2
        build.lab("a-hb", "a", HB, 85, "g/L", "2018-01-10"),  # 8.5 g/dL
        build.region_studied("a-ngs", "a", ["TP53", "SF3B1"], "2018-01-12"),
        build.variant("a-tp53", "a", "TP53", "2018-01-12", 30.0),
        build.medication("a-aza", "a", "azacitidine", "2018-02-01", "2018-12-31"),
        build.procedure("a-sct", "a", "allo-hsct", "2019-03-01"),
        build.outcome("a-aml", "a", "aml-transformation", "2020-06-01"),
        build.patient("b", "male", "1980-07", "2021-01-01"),
        build.diagnosis("b-dx", "b", "mds", "MDS-del5q", "2019-05-05"),  # D46.6
        build.lab("b-hb", "b", HB, 11.0, "g/dL", "2019-05-05"),
        build.region_studied("b-ngs", "b", ["TP53", "SF3B1"], "2019-05-07"),
        build.cytogenetics("b-5q", "b", "del5q", True, "2019-05-07"),
        build.patient("c", "female", "2005-01"),
        build.diagnosis("c-dx", "c", "scd", "HbSS", "2005-07-01"),
        build.genotype("c-hbb", "c", "HbSS", "2005-07-01"),
        build.medication("c-hu", "c", "hydroxyurea", "2015-01-01", None),
        build.encounter("c-e1", "c", "2020-01-01", "2020-01-05"),
        build.encounter("c-e2", "c", "2021-03-01", "2021-03-04"),
        build.patient("d", "male", "1955-01"),
        build.diagnosis("d-dx", "d", "mm", "IgG", "2017-01-01"),
    ]
    (tmp_path / "q.ndjson").write_text("\n".join(json.dumps(r) for r in res) + "\n")
    store.load([tmp_path / "q.ndjson"])
    return store


def test_codes_with_descendants(loaded: SiteStore) -> None:
    assert q.cohort(loaded, q.HasCondition(["D46"])) == ["a", "b"]
    assert q.cohort(loaded, q.HasCondition(["D46.6"])) == ["b"]
    assert q.cohort(loaded, q.HasCondition(["D46"], descendants=False)) == []
    assert q.cohort(loaded, q.HasCondition(["52688"], system="orpha")) == ["a", "b"]
    assert q.cohort(loaded, q.HasCondition(["C92.0"], kind="outcome")) == ["a"]


def test_terminology_hierarchy(loaded: SiteStore) -> None:
    loaded.terminology = Terminology(
        {("icd10", "D46"): {("icd10", "D37-D48")}, ("icd10", "C90"): {("icd10", "C81-C96")}}
    )
    assert q.cohort(loaded, q.HasCondition(["D37-D48"])) == ["a", "b"]
    assert q.cohort(loaded, q.AnyOf([q.HasCondition(["D37-D48"]), q.HasCondition(["C81-C96"])])) == [
        "a",
        "b",
        "d",
    ]


def test_age_and_sex(loaded: SiteStore) -> None:
    at = D("2024-12-31")
    assert q.cohort(loaded, q.AgeBetween(69, 80, at=at)) == ["a", "d"]
    assert q.cohort(loaded, q.AgeBetween(max_age=18, at=at)) == []
    assert q.cohort(loaded, q.AgeBetween(min_age=19, max_age=19, at=at)) == ["c"]
    assert q.cohort(loaded, q.Sex("female"), q.AgeBetween(69, at=at)) == ["a"]
    assert q.cohort(loaded, q.Deceased()) == ["b"]
    assert q.cohort(loaded, q.Not(q.Sex("male"))) == ["a", "c"]


def test_lab_range_with_units(loaded: SiteStore) -> None:
    assert q.cohort(loaded, q.LabRange("718-7", high=9.0, unit="g/dL")) == ["a"]
    assert q.cohort(loaded, q.LabRange("hemoglobin", high=90, unit="g/L")) == ["a"]
    assert q.cohort(loaded, q.LabRange("hemoglobin", low=85, high=110, unit="g/l")) == ["a", "b"]
    assert q.cohort(loaded, q.LabRange("hemoglobin", low=9, window=q.Window(D("2019-01-01")))) == ["b"]


def test_variants(loaded: SiteStore) -> None:
    assert q.cohort(loaded, q.HasVariant("TP53")) == ["a"]
    assert q.cohort(loaded, q.HasVariant("TP53", present=False)) == ["b"]  # tested, wild type
    assert q.cohort(loaded, q.HasVariant("SF3B1")) == []
    assert q.cohort(loaded, q.HasFinding("del5q")) == ["b"]
    assert q.cohort(loaded, q.HasGenotype(["HbSS", "HbSbeta0"])) == ["c"]


def test_medications_procedures_windows(loaded: SiteStore) -> None:
    assert q.cohort(loaded, q.OnMedication("azacitidine")) == ["a"]
    assert q.cohort(loaded, q.OnMedication("L01BC07", q.Window(D("2018-06-01"), D("2018-07-01")))) == ["a"]
    assert q.cohort(loaded, q.OnMedication("azacitidine", q.Window(D("2019-01-01")))) == []
    assert q.cohort(loaded, q.OnMedication("hydroxyurea", q.Window(D("2024-01-01")))) == ["c"]  # still active
    assert q.cohort(loaded, q.HadProcedure()) == ["a"]
    assert q.cohort(loaded, q.HadProcedure("allo-hsct", q.Window(end=D("2019-01-01")))) == []
    assert q.cohort(loaded, q.Admissions(min_count=2)) == ["c"]
    assert q.cohort(loaded, q.Admissions(window=q.Window(D("2021-01-01")))) == ["c"]
    assert q.cohort(
        loaded, q.HasOutcome("aml-transformation", q.Window(D("2020-01-01"), D("2020-12-31")))
    ) == ["a"]
    assert q.count(loaded, q.HasCondition(["D46"]), q.OnMedication("azacitidine")) == 1


def test_feature_table(loaded: SiteStore) -> None:
    t = feature_table(loaded, "mds")
    assert t.column("patient_id") == ["a", "b"]
    assert t.column("hemoglobin_g_dl") == [8.5, 11.0]
    assert t.column("mut_tp53") == [1, 0]
    assert t.column("mut_asxl1") == [None, None]  # not on the panel: unknown, not wild type
    assert t.column("del5q") == [None, 1]
    assert t.column("rx_azacitidine") == [1, 0]
    assert t.column("aml_transformation_event") == [1, 0]
    assert t.column("death_event") == [0, 1]
    assert t.column("hsct") == [1, 0]
    scd = feature_table(loaded, "scd")
    assert scd.column("voc_count") == [2]


def test_feature_table_on_synthetic_site(store: SiteStore, cohorts: dict[str, Path]) -> None:
    store.load([cohorts["mm"] / "site-2" / "fhir"])
    t = feature_table(store, "mm")
    assert len(t.rows) == 60
    assert all(v is not None for v in t.column("r_iss"))


def test_criteria_that_cannot_match_are_refused(loaded: SiteStore) -> None:
    from registry.errors import InputError

    for criterion, message in (
        (q.HasCondition(["XYZ"]), "unknown icd10 code(s): 'XYZ'"),
        (q.Sex("M"), "sex 'M' is not one of"),
        (q.HasVariant("NOPE1"), "not on the CDM's panels"),
        (q.OnMedication("aspirin"), "medication 'aspirin' is not in the CDM"),
        (q.AgeBetween(-1), "no age can be between -1 and any age"),
        (q.AgeBetween(70, 18), "no age can be between 70 and 18"),
    ):
        with pytest.raises(InputError, match=re.escape(message)):
            q.count(loaded, criterion)
    assert q.cohort(loaded, q.Sex("Female")) == q.cohort(loaded, q.Sex("female")) == ["a", "c"]
