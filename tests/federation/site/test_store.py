from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from federation.cdm import build
from federation.cdm.codes import LAB_BY_KEY
from federation.site import queries, reader
from federation.site.features import feature_table
from federation.site.home import SiteHome
from federation.site.store import LoadFailed, SiteStore
from federation.site.terminology import Terminology
from registry.errors import UnreadableInput

HB = LAB_BY_KEY["hemoglobin"]
PLT = LAB_BY_KEY["platelets"]


def _ndjson(path: Path, resources: list[Any]) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in resources) + "\n")
    return path


def _good() -> list[dict[str, Any]]:
    return [
        build.patient("p1", "female", "1950-03", "2020-05-01"),
        build.diagnosis("p1-dx", "p1", "mds", "MDS-EB", "2018-01-10"),
        build.lab("p1-hb", "p1", HB, 9.1, "g/dL", "2018-01-10"),
    ]


def _snapshot(store: SiteStore) -> tuple[Any, ...]:
    con = store.con
    return tuple(
        con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in ("resource", "patient", "fact")
    )


def test_load_and_idempotent_reload(store: SiteStore, cohorts: dict[str, Path]) -> None:
    fhir = cohorts["scd"] / "site-1" / "fhir"
    first = store.load([fhir])
    assert first.loaded == first.read > 0 and not first.rejected
    snap = _snapshot(store)
    again = store.load([fhir])
    assert again.loaded == 0 and again.unchanged == first.read
    assert _snapshot(store) == snap
    assert store.stats()["patients"] == 60


def test_bundle_input(store: SiteStore, tmp_path: Path) -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in _good()]}
    (tmp_path / "b.json").write_text(json.dumps(bundle))
    assert store.load([tmp_path / "b.json"]).loaded == 3


def test_a_server_export_with_resources_the_cdm_does_not_use_loads_the_rest(
    store: SiteStore, tmp_path: Path
) -> None:
    """A FHIR server's search answer carries an OperationOutcome entry, and its exports Practitioners and
    Organizations: each failed the whole load as "not part of the CDM"."""
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "information", "code": "informational"}],
    }
    others = [{"resourceType": "Practitioner", "id": "dr1"}, {"resourceType": "Organization", "id": "o1"}]
    entries = [{"resource": r, "search": {"mode": "match"}} for r in [*_good(), *others]]
    entries.append({"resource": outcome, "search": {"mode": "outcome"}})
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": entries}
    (tmp_path / "search.json").write_text(json.dumps(bundle))
    report = store.load([tmp_path / "search.json"])
    assert report.loaded == 3 and not report.rejected
    assert report.passed_over == {"OperationOutcome": 1, "Organization": 1, "Practitioner": 1}
    assert store.stats()["resources"] == {"Condition": 1, "Observation": 1, "Patient": 1}


def _lab_line(rid: str, number: str) -> str:
    """An NDJSON line of a haemoglobin result whose value is `number`, written as is."""
    line = json.dumps(build.lab(rid, "p1", HB, 9.25, "g/dL", "2020-01-01"))
    assert line.count("9.25") == 1
    return line.replace("9.25", number)


BAD_CASES = {
    "malformed_json": ('{"resourceType": "Patient", "id": ', "malformed JSON"),
    "wrong_type": ({"resourceType": "Medicaton", "id": "m1"}, "neither FHIR R4B nor used by the CDM"),
    "bundle_line": ({"resourceType": "Bundle", "id": "b1", "type": "collection"}, "load it as a file of its own"),
    "not_a_resource": ("[1, 2]", "not a JSON object"),
    "unknown_loinc": (
        {**build.lab("x1", "p1", HB, 9.0, "g/dL", "2020-01-01"), "code": {"coding": [
            {"system": "http://loinc.org", "code": "9999-9"}]}},
        "unknown observation code",
    ),
    "unknown_icd10": (
        {**build.diagnosis("x2", "p1", "mds", "MDS-EB", "2020-01-01"), "code": {"coding": [
            {"system": "http://hl7.org/fhir/sid/icd-10", "code": "D46-X"}]}},
        "unknown icd10 code",
    ),
    "birth_after_death": (build.patient("p9", "male", "1990-05", "1980-01-01"), "before birthDate"),
    "negative_count": (build.lab("x3", "p1", PLT, -5, "10*9/L", "2020-01-01"), "negative value"),
    "unit_mismatch": (build.lab("x4", "p1", HB, 9.0, "U/L", "2020-01-01"), "not convertible"),
    "duplicate_id": (build.lab("p1-hb", "p1", HB, 9.9, "g/dL", "2018-01-10"), "duplicate id Observation/"),
    "unknown_patient": (build.lab("x5", "nobody", HB, 9.0, "g/dL", "2020-01-01"), "Patient/nobody"),
    "bad_date": (build.lab("x6", "p1", HB, 9.0, "g/dL", "2020-02-31"), "not a valid date"),
    "identifier": ({**build.patient("p8", "male", "1960"), "name": [{"family": "X"}]}, "direct identifier"),
    "category_object": (
        {**build.diagnosis("x7", "p1", "mds", "MDS-EB", "2020-01-01"), "category": {"coding": []}},
        "category: must be a JSON array",
    ),
    "future_birth": (build.patient("p7", "male", "2999-01"), "birthDate 2999-01 is in the future"),
    # Python's JSON reader takes these; NaN passed every range check and was stored, the others crashed
    "nan": (_lab_line("x8", "NaN"), "NaN is not a JSON number"),
    "infinity": (_lab_line("x9", "-Infinity"), "-Infinity is not a JSON number"),
    "huge_integer": (_lab_line("x10", "1" + "0" * 400), "the number is too large"),
    "thousands_of_digits": (_lab_line("x11", "9" * 5000), "a number has too many digits"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_record_fails_whole_load(store: SiteStore, tmp_path: Path, case: str) -> None:
    store.load([_ndjson(tmp_path / "base.ndjson", [build.patient("p0", "male", "1940-01")])])
    before = _snapshot(store)
    bad, reason = BAD_CASES[case]
    path = _ndjson(tmp_path / "in.ndjson", [*_good(), bad])
    with pytest.raises(LoadFailed) as exc:
        store.load([path])
    errors = exc.value.details["errors"]
    assert len(errors) == 1
    assert errors[0]["where"] == f"{path}:4"
    assert reason in errors[0]["reason"]
    assert _snapshot(store) == before  # nothing half-loaded


def test_skip_invalid_loads_the_good_ones(store: SiteStore, tmp_path: Path) -> None:
    path = _ndjson(
        tmp_path / "in.ndjson", [*_good(), "{oops", build.lab("x", "ghost", HB, 9, "g/dL", "2020-01-01")]
    )
    report = store.load([path], strict=False)
    assert report.loaded == 3 and [w for w, _ in report.rejected] == [f"{path}:4", f"{path}:5"]


def test_failed_write_rolls_back(store: SiteStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store.load([_ndjson(tmp_path / "a.ndjson", _good())])
    before = _snapshot(store)
    changed = [
        build.patient("p1", "female", "1950-03"),
        build.lab("p1-hb", "p1", HB, 12.0, "g/dL", "2019-01-01"),
    ]
    original = SiteStore._replace

    def boom(self: SiteStore) -> None:
        original(self)  # rows deleted and inserted ... then the load fails
        raise RuntimeError("disk full")

    monkeypatch.setattr(SiteStore, "_replace", boom)
    with pytest.raises(RuntimeError):
        store.load([_ndjson(tmp_path / "b.ndjson", changed)])
    assert _snapshot(store) == before


def test_unit_conversion_on_load(store: SiteStore, tmp_path: Path) -> None:
    store.load(
        [
            _ndjson(
                tmp_path / "a.ndjson", [*_good()[:1], build.lab("p1-hb2", "p1", HB, 91, "g/L", "2019-01-01")]
            )
        ]
    )
    row = store.con.execute("SELECT value_num, unit FROM fact WHERE rid = 'Observation/p1-hb2'").fetchone()
    assert row == (9.1, "g/dL")


@pytest.mark.parametrize(
    ("lab", "value", "unit", "stored"),
    [
        (HB, 91, "g/l", 9.1),  # UCUM has both l and L for the litre
        (HB, 9.1, "g/dl", 9.1),  # a Quantity's display unit, as many exports write it
        (PLT, 150, "G/L", 150),  # giga per litre, as French and German laboratories write counts
        (PLT, 150, "Gpt/l", 150),
        (PLT, 150, "Tsd/\u00b5l", 150),
        (PLT, 150000, "/uL", 150),  # per microlitre: 150,000 /uL is 150 x 10^9/L
        (PLT, 150000, "/mm3", 150),
        (PLT, 150, "10^9/L", 150),
        (LAB_BY_KEY["ldh"], 5, "ukat/l", 300),
        (LAB_BY_KEY["ldh"], 5000, "nkat/L", 300),  # a UCUM unit no table lists: converted by UCUM's grammar
    ],
)
def test_lab_units_as_laboratories_write_them_are_converted(
    store: SiteStore, tmp_path: Path, lab: Any, value: float, unit: str, stored: float
) -> None:
    """Each of these was refused as "not convertible", though ETL loads and criteria read the same units."""
    obs = build.lab("p1-x", "p1", lab, value, unit, "2019-01-01")
    report = store.load([_ndjson(tmp_path / "a.ndjson", [*_good()[:1], obs])])
    assert not report.rejected
    row = store.con.execute("SELECT value_num, unit FROM fact WHERE rid = 'Observation/p1-x'").fetchone()
    assert row == (stored, lab.unit)


@pytest.mark.parametrize(("lab", "unit"), [(PLT, "g/L"), (HB, "10*9/L"), (PLT, "%"), (HB, "furlong")])
def test_a_lab_unit_of_another_kind_is_refused(store: SiteStore, tmp_path: Path, lab: Any, unit: str) -> None:
    obs = build.lab("p1-x", "p1", lab, 1, unit, "2019-01-01")
    with pytest.raises(LoadFailed) as exc:
        store.load([_ndjson(tmp_path / "a.ndjson", [*_good()[:1], obs])])
    assert f"unit {unit!r} is not convertible to {lab.unit}" in str(exc.value.details)


def test_skip_invalid_survives_a_category_object(store: SiteStore, tmp_path: Path) -> None:
    odd = {**build.diagnosis("odd", "p1", "mds", "MDS-EB", "2020-01-01"), "category": {"coding": []}}
    report = store.load([_ndjson(tmp_path / "in.ndjson", [*_good(), odd])], strict=False)
    assert report.loaded == 3 and report.rejected == [(f"{tmp_path / 'in.ndjson'}:4", ANY_ARRAY)]


ANY_ARRAY = "category: must be a JSON array (a repeating FHIR element), not an object"


def test_narrative_is_never_stored(store: SiteStore, tmp_path: Path) -> None:
    div = '<div xmlns="http://www.w3.org/1999/xhtml">Jane Doe, born 1950-03-14, MRN 0042</div>'
    patient, dx, hb = _good()
    with_text = [{**r, "text": {"status": "generated", "div": div}} for r in (patient, dx)]
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": hb | {"text": {"div": div}}}],
    }
    (tmp_path / "b.json").write_text(json.dumps(bundle))
    report = store.load([_ndjson(tmp_path / "a.ndjson", with_text), tmp_path / "b.json"])
    assert report.loaded == 3 and report.narratives_dropped == 3
    stored = [j for (j,) in store.con.execute("SELECT json FROM resource").fetchall()]
    assert len(stored) == 3 and not any("Jane" in j or '"text"' in j for j in stored)
    again = store.load([tmp_path / "a.ndjson", tmp_path / "b.json"])  # still idempotent
    assert again.unchanged == 3 and again.loaded == 0


def test_skip_invalid_run_that_loads_nothing_is_not_a_load(store: SiteStore, tmp_path: Path) -> None:
    bad = [build.patient("p9", "male", "2999-01"), "{oops"]
    report = store.load([_ndjson(tmp_path / "bad.ndjson", bad)], strict=False)
    assert report.loaded == report.unchanged == 0 and len(report.rejected) == 2
    assert store.stats()["loads"] == 0 and store.stats()["patients"] == 0


def test_a_byte_order_mark_before_the_first_line_is_not_a_bad_record(
    store: SiteStore, tmp_path: Path
) -> None:
    plain = _ndjson(tmp_path / "plain.ndjson", _good())
    assert store.load([plain]).loaded == 3
    marked = tmp_path / "marked.ndjson"  # the same file as Notepad saves it
    marked.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    report = store.load([marked])
    assert not report.rejected and report.unchanged == 3  # read as the same resources, not changed ones


def test_an_icd10_code_without_its_dot_counts_as_the_code(store: SiteStore, tmp_path: Path) -> None:
    """Hospital systems often store D46.9 as "D469": the diagnosis counts under D46 as the dotted one."""
    patient, dx, _ = _good()
    coding = dx["code"]["coding"]
    icd = next(c for c in coding if "icd" in c["system"])
    undotted = {
        **dx,
        "id": "p1-dx2",
        "code": {**dx["code"], "coding": [{**icd, "code": icd["code"].replace(".", "")}]},
    }
    report = store.load([_ndjson(tmp_path / "in.ndjson", [patient, undotted])])
    assert report.loaded == 2 and not report.rejected
    codes = store.con.execute(
        "SELECT code FROM fact WHERE rid = 'Condition/p1-dx2' AND system = 'icd10'"
    ).fetchall()
    assert codes == [(icd["code"],)] and "." in icd["code"]


def _deaths(store: SiteStore) -> dict[str, tuple[int, float]]:
    table = feature_table(store, "mds")
    rows = zip(
        table.column("patient_id"), table.column("death_event"), table.column("death_years"), strict=True
    )
    return {pid: (event, years) for pid, event, years in rows}


def test_a_death_of_unknown_date_is_a_death(store: SiteStore, tmp_path: Path) -> None:
    """`deceasedBoolean: true` (many systems record that, not when, a patient died) was read as alive: the
    training labels said no death, and the deceased query left the patient out."""
    dead = {**build.patient("p2", "male", "1940-01"), "deceasedBoolean": True}
    facts = [
        build.diagnosis("p2-dx", "p2", "mds", "MDS-EB", "2018-01-10"),
        build.lab("p2-hb", "p2", HB, 8.0, "g/dL", "2019-01-10"),
    ]
    store.load([_ndjson(tmp_path / "a.ndjson", [*_good(), dead, *facts])])
    deaths = _deaths(store)
    assert deaths["p2"] == (1, 0.9993)  # an event at the last recorded date: a lower bound on the time
    assert deaths["p1"][0] == 1  # died on 2020-05-01
    assert queries.cohort(store, queries.Deceased()) == ["p1", "p2"]
    in_2020 = queries.Window(date(2020, 1, 1), date(2020, 12, 31))
    assert queries.cohort(store, queries.Deceased(in_2020)) == ["p1"]  # an unknown date is in no window


@pytest.mark.parametrize("value", ["true", 1, None, {}])
def test_a_deceased_flag_that_is_no_boolean_is_refused(store: SiteStore, tmp_path: Path, value: Any) -> None:
    patient = {**build.patient("p2", "male", "1940-01"), "deceasedBoolean": value}
    if value is None:  # JSON null is the element left out
        assert not store.load([_ndjson(tmp_path / "a.ndjson", [patient])]).rejected
        return
    with pytest.raises(LoadFailed) as exc:
        store.load([_ndjson(tmp_path / "a.ndjson", [patient])])
    assert "deceasedBoolean: must be true or false" in str(exc.value.details)


def test_a_store_from_before_the_deceased_column_still_reads_and_is_upgraded(
    home: SiteHome, tmp_path: Path
) -> None:
    SiteStore(home.store_path, terminology=Terminology.fallback()).close()
    con = duckdb.connect(str(home.store_path))  # the patient table as the release before wrote it
    con.execute("DROP TABLE IF EXISTS patient")
    con.execute("CREATE TABLE patient (patient_id VARCHAR, sex VARCHAR, birth_date DATE, deceased_date DATE)")
    con.execute("INSERT INTO patient VALUES ('p1', 'female', '1950-03-01', '2020-05-01')")
    con.execute(
        "INSERT INTO fact VALUES ('Condition/dx', 0, 'p1', 'Condition', 'diagnosis', 'icd10', 'D46.2', NULL, '', "
        "'', '2018-01-10', NULL)"
    )
    con.close()
    with SiteStore(home.store_path, terminology=Terminology.fallback(), read_only=True) as reader:
        assert _deaths(reader)["p1"][0] == 1
    with SiteStore(home.store_path, terminology=Terminology.fallback()) as writer:
        assert writer.con.execute("SELECT deceased FROM patient").fetchall() == [(True,)]
        assert _deaths(writer)["p1"][0] == 1


def test_gzipped_ndjson_loads_as_the_plain_file(store: SiteStore, tmp_path: Path) -> None:
    """Bulk Data exports and transfers compress NDJSON with gzip: a named .ndjson.gz was read as one broken
    JSON document, and a folder skipped it as "not a .ndjson, .jsonl or .json file"."""
    plain = _ndjson(tmp_path / "plain.ndjson", _good())
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "all.ndjson.gz").write_bytes(gzip.compress(plain.read_bytes()))
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in _good()]}
    (tmp_path / "b.json.gz").write_bytes(gzip.compress(json.dumps(bundle).encode()))
    ticks: list[int] = []
    report = store.load([folder], progress=ticks.append)
    assert (
        report.loaded == 3 and not report.skipped and sum(ticks) == (folder / "all.ndjson.gz").stat().st_size
    )
    facts = _snapshot(store)[1:]  # patients and facts (a Bundle's resources keep another JSON text)
    assert not store.load([tmp_path / "b.json.gz"]).rejected and _snapshot(store)[1:] == facts


@pytest.mark.parametrize(
    "data",
    [b"not gzip at all", gzip.compress(b'{"resourceType": "Patient"}\n' * 50)[:-30]],
    ids=["corrupt", "cut-short"],
)
def test_a_broken_gzip_file_is_refused_by_name_and_nothing_is_stored(
    store: SiteStore, tmp_path: Path, data: bytes
) -> None:
    store.load([_ndjson(tmp_path / "first.ndjson", _good())])
    before = _snapshot(store)
    (tmp_path / "x.ndjson.gz").write_bytes(data)
    with pytest.raises(UnreadableInput, match=r"x\.ndjson\.gz: cannot read .*nothing was stored"):
        store.load([tmp_path / "x.ndjson.gz"])
    assert _snapshot(store) == before


def test_a_line_that_inflates_past_the_limit_is_a_bad_record_not_a_memory_blowup(
    store: SiteStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "MAX_LINE_BYTES", 1000)
    lines = [json.dumps(r) for r in _good()]
    lines.insert(1, '{"resourceType": "Patient", "id": "big", "x": "' + "a" * 5000 + '"}')
    (tmp_path / "bomb.ndjson.gz").write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    report = store.load([tmp_path / "bomb.ndjson.gz"], strict=False)
    assert report.loaded == 3
    assert report.rejected == [(f"{tmp_path / 'bomb.ndjson.gz'}:2", "a line of more than 1,000 bytes")]


def test_only_crisis_admissions_count_as_vaso_occlusive_crises(store: SiteStore, tmp_path: Path) -> None:
    """The training feature voc_count counted every encounter with a reason: a hospital exporting its
    other admissions (here a fracture) gave the patient crises they never had."""
    res = [
        build.patient("s", "female", "2005-01"),
        build.diagnosis("s-dx", "s", "scd", "HbSS", "2006-01-01"),
        build.encounter("s-voc", "s", "2020-01-01", "2020-01-04"),
        {**build.encounter("s-other", "s", "2021-01-01", "2021-01-02"),
         "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "S52.5"}]}]},
    ]  # fmt: skip
    store.load([_ndjson(tmp_path / "a.ndjson", res)])
    table = feature_table(store, "scd")
    assert table.column("voc_count") == [1]
