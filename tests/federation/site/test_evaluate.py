"""Criteria documents evaluated on a real DuckDB site store, checked against patients built by hand."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from federation.cdm import build
from federation.cdm import codes as cdm
from federation.cdm.codes import LAB_BY_KEY
from federation.criteria import parse_criteria
from federation.site import evaluate, queries
from federation.site.cohort_index import CohortIndex
from federation.site.home import SiteHome
from federation.site.store import LoadFailed, SiteStore
from federation.site.terminology import Terminology

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


def _load(store: SiteStore, tmp_path: Path, res: list[dict[str, Any]], name: str = "in.ndjson") -> Any:
    (tmp_path / name).write_text("\n".join(json.dumps(r) for r in res) + "\n")
    return store.load([tmp_path / name])


def test_records_that_say_they_did_not_happen_are_not_counted(store: SiteStore, tmp_path: Path) -> None:
    """A refuted diagnosis, a cancelled lab, a medication not taken and a transplant not done counted as
    if they had happened: the patient was found by each."""
    refuted = build.diagnosis("r-dx", "r", "mm", "IgG", "2017-01-01")
    refuted["verificationStatus"]["coding"][0]["code"] = "refuted"
    report = _load(store, tmp_path, [
        build.patient("r", "male", "1955-01"),
        refuted,
        {**build.lab("r-hb", "r", HB, 7.0, "g/dL", "2017-01-01"), "status": "entered-in-error"},
        {**build.medication("r-aza", "r", "azacitidine", "2018-02-01", "2018-12-31"), "status": "not-taken"},
        {**build.procedure("r-sct", "r", "allo-hsct", "2019-03-01"), "status": "not-done"},
    ])  # fmt: skip
    assert report.loaded == 5 and not report.rejected
    assert report.not_counted == {
        "status entered-in-error": 1, "status not-done": 1, "status not-taken": 1, "verificationStatus refuted": 1
    }  # fmt: skip
    assert ids(store, {"inclusion": [[dx("C90")]]}) == []
    assert ids(store, {"inclusion": [[{"type": "lab", "loinc": "718-7", "max": 10, "unit": "g/dL"}]]}) == []
    assert ids(store, {"inclusion": [[{"type": "medication", "atc": "L01BC07"}]]}) == []
    assert ids(store, {"inclusion": [[{"type": "procedure", "code": "allo-hsct"}]]}) == []


def test_a_diagnosis_corrected_to_entered_in_error_stops_counting(store: SiteStore, tmp_path: Path) -> None:
    confirmed = build.diagnosis("d-dx", "d", "mm", "IgG", "2017-01-01")
    _load(store, tmp_path, [build.patient("d", "male", "1955-01"), confirmed], "first.ndjson")
    assert ids(store, {"inclusion": [[dx("C90")]]}) == ["d"]
    confirmed["verificationStatus"]["coding"][0]["code"] = "entered-in-error"
    report = _load(store, tmp_path, [confirmed], "correction.ndjson")
    assert report.loaded == 1 and report.not_counted == {"verificationStatus entered-in-error": 1}
    assert ids(store, {"inclusion": [[dx("C90")]]}) == []


GM = "http://fhir.de/CodeSystem/bfarm/icd-10-gm"
CERTAINTY = "http://fhir.de/StructureDefinition/icd-10-gm-diagnosesicherheit"


def _gm_diagnosis(rid: str, pid: str, code: str, certainty: str = "G") -> dict[str, Any]:
    """A Condition as German hospitals send it (MII core data set): ICD-10-GM with its certainty, and
    recordedDate where WHO-style exports put onsetDateTime."""
    sure = {"url": CERTAINTY, "valueCoding": {"code": certainty}}
    return {
        "resourceType": "Condition",
        "id": rid,
        "code": {"coding": [{"system": GM, "version": "2024", "code": code, "extension": [sure]}]},
        "subject": {"reference": f"Patient/{pid}"},
        "recordedDate": "2019-04-02",
    }


def test_icd10_gm_diagnoses_count_under_the_who_code_they_refine(store: SiteStore, tmp_path: Path) -> None:
    """C90.00 (GM: myeloma, not in remission) was refused: its code system was unknown to the CDM."""
    report = _load(store, tmp_path, [
        build.patient("g", "male", "1955-01"),
        _gm_diagnosis("g-dx", "g", "C90.00"),
        build.patient("h", "female", "1960-01"),
        _gm_diagnosis("h-dx", "h", "D57.0"),
        build.patient("x", "male", "1950-01"),
        _gm_diagnosis("x-dx", "x", "C90.00", certainty="A"),  # ausgeschlossen: ruled out
    ])  # fmt: skip
    assert not report.rejected and report.loaded == 6
    assert ids(store, {"inclusion": [[dx("C90.0")]]}) == ["g"]
    assert ids(store, {"inclusion": [[dx("D57")]]}) == ["h"]
    assert ids(
        store, {"inclusion": [[dx("C90")], [{"type": "age", "min": 64, "max": 64, "at": "diagnosis"}]]}
    ) == ["g"]  # recordedDate stands for the onset


def test_an_icd10_gm_code_that_refines_no_who_code_is_refused_by_name(home: SiteHome, tmp_path: Path) -> None:
    """U69.10! exists in ICD-10-GM only: the complete WHO ICD-10 that sites check codes against has no U69.1."""
    patient, diagnosis = build.patient("g", "male", "1955-01"), _gm_diagnosis("g-dx", "g", "U69.10!")
    with (
        SiteStore(home.store_path, terminology=Terminology.load()) as store,
        pytest.raises(LoadFailed) as exc,
    ):
        _load(store, tmp_path, [patient, diagnosis])
    assert "ICD-10-GM code 'U69.10!': WHO ICD-10 has no U69.1" in str(exc.value.details)


def test_a_local_coding_beside_the_standard_one_is_passed_over(store: SiteStore, tmp_path: Path) -> None:
    """Laboratory systems put their own code first and LOINC second; hospitals add a local diagnosis code
    beside ICD-10. Both records were refused."""
    lab = build.lab("l-hb", "l", HB, 8.0, "g/dL", "2020-01-01")
    lab["code"]["coding"].insert(0, {"system": "urn:oid:1.2.276.0.76.3.1.99", "code": "HB"})
    diagnosis = build.diagnosis("l-dx", "l", "mm", "IgG", "2017-01-01")
    diagnosis["code"]["coding"].append({"system": "https://hospital.example/dx", "code": "MM-1"})
    report = _load(store, tmp_path, [build.patient("l", "female", "1955-01"), lab, diagnosis])
    assert not report.rejected
    hb_low = {"type": "lab", "loinc": "718-7", "max": 10, "unit": "g/dL"}
    assert ids(store, {"inclusion": [[dx("C90")], [hb_low]]}) == ["l"]


def test_a_record_with_no_cdm_coding_is_refused_with_what_it_has(store: SiteStore, tmp_path: Path) -> None:
    lab = build.lab("l-hb", "l", HB, 8.0, "g/dL", "2020-01-01")
    lab["code"]["coding"] = [
        {"system": "urn:oid:1.2.3", "code": "HB"},
        {"system": "http://loinc.org", "code": "1-8"},
    ]
    diagnosis = {**build.diagnosis("l-dx", "l", "mm", "IgG", "2017-01-01"), "code": {
        "coding": [{"system": "https://hospital.example/dx", "code": "MM-1"}]}}  # fmt: skip
    (tmp_path / "x.ndjson").write_text(
        "\n".join(json.dumps(r) for r in [build.patient("l", "female", "1955-01"), lab, diagnosis]) + "\n"
    )
    report = store.load([tmp_path / "x.ndjson"], strict=False)
    reasons = [why for _, why in report.rejected]
    assert reasons == [
        "none of the codings is an observation code of the CDM (urn:oid:1.2.3|HB, loinc|1-8)",
        "code: no coding in a code system the CDM uses for conditions (ICD-10, ICD-10-GM, ORPHA, SNOMED CT, "
        "fairgrid subtypes and outcomes); found https://hospital.example/dx",
    ]


def test_dates_in_the_other_fhir_choices_are_read(store: SiteStore, tmp_path: Path) -> None:
    """effectivePeriod, effectiveInstant, onsetPeriod, performedPeriod and a MedicationStatement's
    effectiveDateTime are FHIR's other forms of the same dates; each such record was refused."""
    lab = build.lab("p-hb", "p", HB, 8.0, "g/dL", "2020-01-01")
    del lab["effectiveDateTime"]
    lab["effectivePeriod"] = {"start": "2020-01-01T08:00:00+01:00", "end": "2020-01-01T09:00:00+01:00"}
    lab2 = {**lab, "id": "p-hb2"}
    del lab2["effectivePeriod"]
    lab2["effectiveInstant"] = "2021-03-04T10:00:00Z"
    diagnosis = build.diagnosis("p-dx", "p", "mds", "MDS-EB", "2018-01-10")
    del diagnosis["onsetDateTime"]
    diagnosis["onsetPeriod"] = {"start": "2018-01-10"}
    sct = build.procedure("p-sct", "p", "allo-hsct", "2019-03-01")
    del sct["performedDateTime"]
    sct["performedPeriod"] = {"start": "2019-03-01", "end": "2019-03-02"}
    aza = build.medication("p-aza", "p", "azacitidine", "2018-02-01", None)
    del aza["effectivePeriod"]
    aza["effectiveDateTime"] = "2018-02-01"
    report = _load(store, tmp_path, [build.patient("p", "female", "1950-03"), lab, lab2, diagnosis, sct, aza])
    assert not report.rejected and report.loaded == 6
    within = {"from": "2019-01-01", "to": "2019-12-31"}
    assert ids(store, {"inclusion": [[{"type": "procedure", "code": "allo-hsct", "within": within}]]}) == [
        "p"
    ]
    assert ids(
        store, {"inclusion": [[dx("D46")], [{"type": "age", "min": 67, "max": 67, "at": "diagnosis"}]]}
    ) == ["p"]
    assert ids(store, {"inclusion": [[{"type": "medication", "atc": "L01BC07"}]]}) == ["p"]
    dates = store.con.execute("SELECT start_date::VARCHAR FROM fact WHERE kind = 'lab' ORDER BY 1").fetchall()
    assert dates == [("2020-01-01",), ("2021-03-04",)]


def test_a_result_reported_as_a_bound_counts_only_where_the_bound_settles_it(
    store: SiteStore, tmp_path: Path
) -> None:
    """M-protein "<0.5 g/dL" (below what electrophoresis measures) was read as 0.5: it met "M-protein at
    least 0.5 g/dL", the usual definition of measurable myeloma, though the patient's value is below it."""
    mp = cdm.LAB_BY_KEY["m_protein"]
    below = build.lab("u-mp", "u", mp, 0.5, "g/dL", "2020-01-01")
    below["valueQuantity"]["comparator"] = "<"
    above = build.lab("v-mp", "v", mp, 3.0, "g/dL", "2020-01-01")
    above["valueQuantity"]["comparator"] = ">="
    exact = build.lab("w-mp", "w", mp, 0.5, "g/dL", "2020-01-01")
    patients = [build.patient(pid, "male", "1950-01") for pid in "uvw"]
    _load(store, tmp_path, [*patients, below, above, exact])

    def lab(**bounds: Any) -> list[str]:
        return ids(store, {"inclusion": [[{"type": "lab", "loinc": mp.loinc, "unit": "g/dL", **bounds}]]})

    assert lab(min=0.5) == ["v", "w"]  # measurable disease: not u
    assert lab(max=0.5) == ["u", "w"]
    assert lab(comparator="<", value=0.5) == ["u"]  # "<0.5" is below 0.5; 0.5 itself is not
    assert lab(comparator=">", value=3.0) == []  # ">=3.0" may be 3.0
    assert lab(comparator=">=", value=3.0) == ["v"]
    assert lab(min=0.1, max=5) == ["w"]  # neither bound settles u or v


def test_a_comparator_fhir_does_not_define_is_refused(store: SiteStore, tmp_path: Path) -> None:
    hb = build.lab("u-hb", "u", HB, 5.0, "g/dL", "2020-01-01")
    hb["valueQuantity"]["comparator"] = "~"
    with pytest.raises(LoadFailed) as exc:
        _load(store, tmp_path, [build.patient("u", "male", "1950-01"), hb])
    assert "valueQuantity.comparator '~' is not <, <=, > or >=" in str(exc.value.details)


def test_a_lab_with_a_data_absent_reason_loads_and_is_not_counted(store: SiteStore, tmp_path: Path) -> None:
    """A result the laboratory could not give (dataAbsentReason "error", no value) failed the whole load
    as "needs valueQuantity.value"."""
    hb = build.lab("n-hb", "n", HB, 5.0, "g/dL", "2020-01-01")
    del hb["valueQuantity"]
    hb["dataAbsentReason"] = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                                          "code": "error"}]}  # fmt: skip
    report = _load(store, tmp_path, [build.patient("n", "male", "1950-01"), hb])
    assert report.loaded == 2 and report.not_counted == {"dataAbsentReason (no value)": 1}
    assert ids(store, {"inclusion": [[{"type": "lab", "loinc": HB.loinc, "max": 20, "unit": "g/dL"}]]}) == []


@pytest.mark.parametrize(
    "reference",
    ["Patient/n", "https://fhir.hospital.example/fhir/Patient/n", "Patient/n/_history/3",
     "http://ehr.example/base/R4/Patient/n/_history/1"],
)  # fmt: skip
def test_a_subject_on_the_servers_base_url_or_of_one_version_is_the_patient(
    store: SiteStore, tmp_path: Path, reference: str
) -> None:
    """Server exports write absolute and versioned references; each was refused as no Patient reference."""
    dx_n = {**build.diagnosis("n-dx", "n", "mm", "IgG", "2017-01-01"), "subject": {"reference": reference}}
    assert not _load(store, tmp_path, [build.patient("n", "male", "1950-01"), dx_n]).rejected
    assert ids(store, {"inclusion": [[dx("C90")]]}) == ["n"]


@pytest.mark.parametrize(
    "reference",
    ["Patient/", "Practitioner/n", "urn:uuid:0b5f", "Patient/n/x", "ftp://h/Patient/n", "https://h/Patient/n?x=1",
     "https://h/ /Patient/n", "/" * 5000 + "Patient/n"],
)  # fmt: skip
def test_a_subject_that_is_no_patient_reference_is_refused(
    store: SiteStore, tmp_path: Path, reference: str
) -> None:
    dx_n = {**build.diagnosis("n-dx", "n", "mm", "IgG", "2017-01-01"), "subject": {"reference": reference}}
    with pytest.raises(LoadFailed) as exc:
        _load(store, tmp_path, [build.patient("n", "male", "1950-01"), dx_n])
    assert "subject: needs a reference Patient/<id>" in str(exc.value.details)


def test_an_encounter_without_a_reason_loads_and_every_reason_counts(
    store: SiteStore, tmp_path: Path
) -> None:
    """An outpatient visit without reasonCode failed the whole load (hospital exports hold thousands), and
    only an encounter's first reasonCode was read."""
    visit = build.encounter("e-visit", "e", "2020-01-01", "2020-01-01")
    del visit["reasonCode"]
    crisis = build.encounter("e-voc", "e", "2020-02-01", "2020-02-03")
    crisis["reasonCode"].insert(
        0, {"coding": [{"system": "https://hospital.example/reason", "code": "PAIN"}]}
    )
    report = _load(store, tmp_path, [build.patient("e", "male", "2001-01"), visit, crisis])
    assert report.loaded == 3 and report.not_counted == {"Encounter without reasonCode": 1}
    reasons = store.con.execute(
        "SELECT system, code FROM fact WHERE kind = 'encounter' ORDER BY 1"
    ).fetchall()
    assert reasons == [("https://hospital.example/reason", "PAIN"), ("icd10", "D57.0")]


def test_a_medication_given_as_a_contained_medication_counts(store: SiteStore, tmp_path: Path) -> None:
    """EHR exports name the drug in a contained Medication (medicationReference "#med"): refused before."""
    aza = build.medication("m-aza", "m", "azacitidine", "2018-02-01", "2018-12-31")
    concept = aza.pop("medicationCodeableConcept")
    aza["contained"] = [{"resourceType": "Medication", "id": "med", "code": concept}]
    aza["medicationReference"] = {"reference": "#med"}
    external = {**aza, "id": "m-ext", "medicationReference": {"reference": "Medication/123"}}
    del external["contained"]
    report = _load(store, tmp_path, [build.patient("m", "female", "1950-01"), aza])
    assert not report.rejected
    assert ids(store, {"inclusion": [[{"type": "medication", "atc": "L01BC07"}]]}) == ["m"]
    with pytest.raises(LoadFailed) as exc:
        _load(store, tmp_path, [external], "external.ndjson")
    assert "medicationReference 'Medication/123': the CDM reads the code from" in str(exc.value.details)


def test_a_patient_without_a_birth_date_loads_and_no_age_criterion_takes_them(
    store: SiteStore, tmp_path: Path
) -> None:
    """An export that leaves birth dates out to de-identify failed the whole load ("birthDate: missing")."""
    anonymous = build.patient("x", "female", "1950-01")
    del anonymous["birthDate"]
    res = [anonymous, build.diagnosis("x-dx", "x", "mm", "IgG", "2017-01-01"), build.patient("y", "male", "1950-01"),
           build.diagnosis("y-dx", "y", "mm", "IgG", "2017-01-01")]  # fmt: skip
    assert _load(store, tmp_path, res).loaded == 4
    assert ids(store, {"inclusion": [[dx("C90")]]}) == ["x", "y"]
    assert ids(store, {"inclusion": [[dx("C90")], [{"type": "age", "min": 0, "at": "diagnosis"}]]}) == ["y"]
    assert ids(store, {"exclusion": [{"type": "age", "min": 0, "max": 150}], "inclusion": [[dx("C90")]]}) == [
        "x"
    ]
    assert (
        CohortIndex(store).count(
            parse_criteria({"inclusion": [[dx("C90")], [{"type": "age", "min": 0}]]}), TODAY
        )
        == 1
    )


def test_a_patient_who_died_is_as_old_as_at_death(store: SiteStore, tmp_path: Path) -> None:
    """A patient born in 1950 who died in 1990 was "76 today" and met "aged 70-80"."""
    res = [build.patient("z", "male", "1950-01", "1990-06-01"), build.diagnosis("z-dx", "z", "mm", "IgG", "1989-01-01"),
           build.patient("w", "male", "1950-01"), build.diagnosis("w-dx", "w", "mm", "IgG", "2017-01-01")]  # fmt: skip
    _load(store, tmp_path, res)
    old = {"inclusion": [[dx("C90")], [{"type": "age", "min": 70, "max": 80}]]}
    forty = {"inclusion": [[dx("C90")], [{"type": "age", "min": 40, "max": 40}]]}
    assert ids(store, old) == ["w"] and ids(store, forty) == ["z"]
    index = CohortIndex(store)
    assert index.count(parse_criteria(old), TODAY) == 1 and index.count(parse_criteria(forty), TODAY) == 1
    assert queries.cohort(store, queries.AgeBetween(40, 40, at=TODAY)) == ["z"]


def test_a_gene_panel_with_a_data_absent_reason_still_counts_its_components(
    store: SiteStore, tmp_path: Path
) -> None:
    panel = {
        **build.region_studied("g-ngs", "g", ["TP53"], "2018-01-12"),
        "dataAbsentReason": {"text": "see components"},
    }
    report = _load(store, tmp_path, [build.patient("g", "male", "1950-01"), panel])
    assert report.not_counted == {}
    assert store.con.execute("SELECT code FROM fact WHERE kind = 'gene_tested'").fetchall() == [("TP53",)]


def test_medications_as_ehrs_record_them_count(store: SiteStore, tmp_path: Path) -> None:
    """EHRs record drugs as administrations and prescriptions, not as MedicationStatements: both were passed
    over, so "patients on azacitidine" missed them. A statement at one dateTime is a point, not a course
    that never ends."""
    aza = build.medication("x", "a", "azacitidine", "2018-02-01", None)
    concept = aza["medicationCodeableConcept"]
    given = {
        "resourceType": "MedicationAdministration",
        "id": "a-adm",
        "status": "completed",
        "medicationCodeableConcept": concept,
        "subject": {"reference": "Patient/a"},
        "effectiveDateTime": "2019-03-04T10:00:00+01:00",
    }
    ordered = {
        "resourceType": "MedicationRequest",
        "id": "b-rx",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": concept,
        "subject": {"reference": "Patient/b"},
        "authoredOn": "2019-05-06",
    }
    proposed = {**ordered, "id": "c-rx", "intent": "proposal", "subject": {"reference": "Patient/c"}}
    not_given = {**given, "id": "d-adm", "status": "not-done", "subject": {"reference": "Patient/d"}}
    once = {**aza, "id": "e-once", "subject": {"reference": "Patient/e"}, "effectiveDateTime": "2019-01-10"}
    del once["effectivePeriod"]
    patients = [build.patient(pid, "male", "1950-01") for pid in "abcde"]
    report = _load(store, tmp_path, [*patients, given, ordered, proposed, not_given, once])  # fmt: skip
    assert not report.rejected and report.not_counted == {"intent proposal": 1, "status not-done": 1}
    aza_any = {"type": "medication", "atc": "L01BC07"}
    assert ids(store, {"inclusion": [[aza_any]]}) == ["a", "b", "e"]
    in_2020 = {**aza_any, "within": {"from": "2020-01-01", "to": "2020-12-31"}}
    assert ids(store, {"inclusion": [[in_2020]]}) == []  # none of them is a course still running in 2020


def test_the_other_loinc_codes_of_a_lab_count_as_the_cdms(store: SiteStore, tmp_path: Path) -> None:
    """Haemoglobin reported in mmol/L under 59260-0 (Hemoglobin [Moles/volume] in Blood), as Dutch and Swiss
    laboratories report it, failed the whole load as "unknown observation code loinc|59260-0"."""
    hb = build.lab("h-hb", "h", HB, 5.0, "mmol/L", "2020-01-01")
    hb["code"]["coding"][0]["code"] = "59260-0"
    plt = build.lab("h-plt", "h", cdm.LAB_BY_KEY["platelets"], 30, "10*9/L", "2020-01-01")
    plt["code"]["coding"][0]["code"] = "26515-7"
    assert not _load(store, tmp_path, [build.patient("h", "female", "1950-01"), hb, plt]).rejected
    stored = store.con.execute(
        "SELECT code, value_num, unit FROM fact WHERE kind = 'lab' ORDER BY 1"
    ).fetchall()
    assert stored == [("718-7", 8.055, "g/dL"), ("777-3", 30.0, "10*9/L")]
    low_hb = {"type": "lab", "loinc": "59260-0", "max": 5.5, "unit": "mmol/L"}  # asked either way
    assert ids(store, {"inclusion": [[low_hb]]}) == ["h"]
    assert (
        parse_criteria({"inclusion": [[low_hb]]}).canonical()
        == parse_criteria({"inclusion": [[{**low_hb, "loinc": "718-7"}]]}).canonical()
    )
