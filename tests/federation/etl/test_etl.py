from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from federation.etl.etl import load_mapping, run_etl
from federation.etl.pseudo import Pseudonymiser, age_band
from federation.site.home import SiteHome
from federation.site.store import SiteStore
from federation.synth.run import synthesize
from registry.errors import UnreadableInput

MAPPING = Path(__file__).resolve().parents[3] / "federation" / "etl" / "mappings" / "synthetic.yaml"


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("etl")
    synthesize("mm", 2, 25, 3, root)
    return root / "site-2" / "csv"  # the SI-unit site: g/L converted by the ETL


def _csvs(d: Path) -> list[Path]:
    return [d / "patients.csv", d / "events.csv"]


def test_etl_loads_and_leaks_no_identifier(
    home: SiteHome, store: SiteStore, export: Path, tmp_path: Path
) -> None:
    report = run_etl(home, store, load_mapping(MAPPING), _csvs(export), out=tmp_path / "out")
    assert not report.rejected and report.loaded == report.rows
    out_text = "".join(p.read_text() for p in sorted((tmp_path / "out").glob("*.ndjson")))
    stored = "".join(r[0] for r in store.con.execute("SELECT json FROM resource").fetchall())
    stored += " ".join(str(r) for r in store.con.execute("SELECT * FROM fact").fetchall())
    quarantine = "".join(p.read_text() for p in home.quarantine_dir.glob("*"))
    with (export / "patients.csv").open() as fh:
        patients = list(csv.DictReader(fh))
    for row in patients:
        for col in ("mrn", "first_name", "last_name", "postcode", "phone", "birth_date"):
            for blob in (out_text, stored, quarantine):
                assert row[col] not in blob, (col, row[col])
        if row["death_date"]:
            assert f'"deceasedDateTime":"{row["death_date"]}"' not in out_text  # shifted
    # unit conversion: hemoglobin arrives in g/l and is stored in g/dL
    units = {r[0] for r in store.con.execute("SELECT unit FROM fact WHERE code = '718-7'").fetchall()}
    assert units == {"g/dL"}


def test_pseudonyms_stable_and_reload_idempotent(home: SiteHome, store: SiteStore, export: Path) -> None:
    m = load_mapping(MAPPING)
    first = run_etl(home, store, m, _csvs(export))
    ids = store.patient_ids()
    again = run_etl(home, store, m, _csvs(export))
    assert again.loaded == 0 and again.unchanged == first.loaded
    assert store.patient_ids() == ids


def test_bad_rows_quarantined_good_rows_load(
    home: SiteHome, store: SiteStore, export: Path, tmp_path: Path
) -> None:
    pat = (export / "patients.csv").read_text().splitlines()
    ev = (export / "events.csv").read_text().splitlines()
    mrn = pat[1].split(",")[0]
    pat.append("X1,Ann,Bad,2000-01-01,F,1234,+3 1,1990-01-01")  # death before birth -> line len(pat)
    bad_events = [
        f"{mrn},2020-01-01,,LAB,NOPE,1,g/dl",  # unknown local code
        f"{mrn},2020-13-01,,LAB,HGB,9,g/dl",  # impossible date
        f"{mrn},2020-01-01,,LAB,PLT,-3,10^9/l",  # negative count
        f"{mrn},2020-01-01,,LAB,HGB,9,mmol/mol",  # unit mismatch
        "X1,2020-01-01,,DIAG,MM-IGG,,",  # patient was quarantined
        ev[1],  # duplicate of line 2
    ]
    (tmp_path / "patients.csv").write_text("\n".join(pat) + "\n")
    (tmp_path / "events.csv").write_text("\n".join(ev + bad_events) + "\n")
    report = run_etl(home, store, load_mapping(MAPPING), _csvs(tmp_path))
    where = {w: r for w, r in report.rejected}
    n = len(ev)
    expected = {
        f"{tmp_path / 'patients.csv'}:{len(pat)}": "before birth",
        f"{tmp_path / 'events.csv'}:{n + 1}": "unknown local lab code 'NOPE'",
        f"{tmp_path / 'events.csv'}:{n + 2}": "not a date",
        f"{tmp_path / 'events.csv'}:{n + 3}": "negative value",
        f"{tmp_path / 'events.csv'}:{n + 4}": "not convertible",
        f"{tmp_path / 'events.csv'}:{n + 5}": "neither in this load nor in the store",
        f"{tmp_path / 'events.csv'}:{n + 6}": "duplicate id",
    }
    assert set(where) == set(expected)
    for w, reason in expected.items():
        assert reason in where[w], (w, where[w])
    assert report.loaded == report.rows - len(expected)
    q = (home.quarantine_dir / "events.csv.rejected.csv").read_text()
    assert f",{n + 1}," in q and mrn not in q


def test_pseudonymiser_policy() -> None:
    p = Pseudonymiser("k", date(2024, 12, 31))
    assert p.patient_id("A1") == Pseudonymiser("k", date(2000, 1, 1)).patient_id("A1") != p.patient_id("A2")
    assert p.patient_id("A1") != Pseudonymiser("other", date(2024, 12, 31)).patient_id("A1")
    assert all(1 <= abs(p.shift_days(str(i))) <= 30 for i in range(200))
    assert p.birth(date(1960, 5, 17)) == "1960-05"
    assert p.birth(date(1930, 5, 17)) == "1934"  # 90+ top-coded
    assert age_band(67.4) == (65, 69)


def _as_excel_writes_it(src: Path, dst: Path) -> None:
    """The export as Excel saves "CSV" in German, French or Italian settings: semicolons between the
    cells, decimal commas, day/month/year dates."""
    import re

    with src.open(newline="") as fh:
        rows = list(csv.reader(fh))
    for row in rows:
        for i, cell in enumerate(row):
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", cell):
                row[i] = f"{cell[8:10]}/{cell[5:7]}/{cell[:4]}"
            elif re.fullmatch(r"-?\d+\.\d+", cell):
                row[i] = cell.replace(".", ",")
    with dst.open("w", newline="") as fh:
        csv.writer(fh, delimiter=";").writerows(rows)


def _facts(store: SiteStore) -> list[tuple[object, ...]]:
    return store.con.execute(
        "SELECT patient_id, kind, system, code, value_num, unit, value_code FROM fact ORDER BY ALL"
    ).fetchall()


def test_an_export_with_semicolons_decimal_commas_and_european_dates_loads_as_the_iso_one(
    home: SiteHome, store: SiteStore, export: Path, tmp_path: Path
) -> None:
    mapping = load_mapping(MAPPING)
    plain = run_etl(home, store, mapping, _csvs(export))
    facts, patients = _facts(store), store.con.execute("SELECT * FROM patient ORDER BY ALL").fetchall()
    assert plain.loaded and not plain.rejected
    assert any(isinstance(v, float) and not v.is_integer() for _, _, _, _, v, _, _ in facts)  # decimals
    store.con.execute("DELETE FROM fact; DELETE FROM patient; DELETE FROM resource")

    excel = tmp_path / "excel"
    excel.mkdir()
    for f in _csvs(export):
        _as_excel_writes_it(f, excel / f.name)
    refused = run_etl(home, store, mapping, _csvs(excel))  # semicolons found; the rest needs saying
    reasons = " ".join(r for _, r in refused.rejected)
    assert refused.loaded == 0 and "csv.date_format" in reasons
    european = {**mapping, "csv": {"decimal": ",", "date_format": "%d/%m/%Y"}}
    report = run_etl(home, store, european, _csvs(excel))
    assert not report.rejected and report.loaded == plain.loaded
    assert _facts(store) == facts
    assert store.con.execute("SELECT * FROM patient ORDER BY ALL").fetchall() == patients


@pytest.mark.parametrize(
    ("value", "decimal", "reason"),
    [
        ("9,1", ".", "needs csv.decimal: ','"),
        ("1.005,5", ",", "not a number with a decimal comma"),  # thousands mark or decimal point?
        ("1_000", ".", "not a number"),
        ("nan", ".", "not a number"),
        ("1e999", ".", "not a number"),
    ],
)
def test_a_number_is_read_only_as_the_mapping_says(value: str, decimal: str, reason: str) -> None:
    from federation.etl.cells import Cells
    from federation.site.elements import RecordError

    with pytest.raises(RecordError, match=reason):
        Cells(decimal=decimal).number(value, "hemoglobin")
    assert Cells(decimal=",").number("9,1", "x") == 9.1 and Cells().number(" 12 ", "x") == 12


@pytest.mark.parametrize(
    ("block", "reason"),
    [
        ({"separator": ":"}, "csv.separator"),
        ({"decimal": "'"}, "csv.decimal"),
        ({"separator": ",", "decimal": ","}, "both ','"),
        ({"date_format": "%d/%m"}, "does not write a day, a month and a year"),
        ({"date_format": 5}, "csv.date_format"),
        ({"delimiter": ";"}, "unknown `csv` key"),
        ({"encoding": "klingon"}, "csv.encoding"),
        ({"encoding": "rot13"}, "csv.encoding"),  # a codec, but not a text encoding
        ({"separator": [";"]}, "csv.separator"),
        ({1: 2, "x": 3}, "unknown `csv` key"),
        ("semicolon", "`csv` must be a mapping"),
    ],
)
def test_a_wrong_csv_block_is_refused_before_any_row_is_read(
    tmp_path: Path, block: object, reason: str
) -> None:
    import yaml

    from registry.errors import InputError

    mapping = yaml.safe_load(MAPPING.read_text())
    (tmp_path / "m.yaml").write_text(yaml.safe_dump({**mapping, "csv": block}))
    with pytest.raises(InputError, match=reason):
        load_mapping(tmp_path / "m.yaml")


@pytest.mark.parametrize(
    ("encoding", "block"),
    [
        ("utf-16", None),  # Excel's "Unicode Text": told by its byte order mark
        ("cp1252", {"encoding": "cp1252"}),  # older Excel's "CSV" on Windows: the mapping says so
    ],
)
def test_an_export_in_another_encoding_loads_as_the_utf8_one(
    home: SiteHome, store: SiteStore, export: Path, tmp_path: Path, encoding: str, block: object
) -> None:
    mapping = load_mapping(MAPPING)
    plain = run_etl(home, store, mapping, _csvs(export))
    facts = _facts(store)
    store.con.execute("DELETE FROM fact; DELETE FROM patient; DELETE FROM resource")
    other = tmp_path / encoding
    other.mkdir()
    for f in _csvs(export):
        text = f.read_text("utf-8")
        if f.name == "patients.csv":  # a name with an accent, in a column the ETL drops
            lines = text.splitlines()
            first = lines[1].split(",")
            lines[1] = ",".join([first[0], "Hélène", *first[2:]])
            text = "\n".join(lines) + "\n"
        (other / f.name).write_bytes(text.encode(encoding))
    report = run_etl(home, store, {**mapping, **({"csv": block} if block else {})}, _csvs(other))
    assert not report.rejected and report.loaded == plain.loaded and _facts(store) == facts


def test_an_export_that_is_not_utf8_is_refused_saying_how_to_name_its_encoding(
    home: SiteHome, store: SiteStore, export: Path, tmp_path: Path
) -> None:
    from registry.errors import UnreadableInput

    text = (export / "patients.csv").read_text("utf-8").replace("\n", ",Hélène\n", 1)
    (tmp_path / "patients.csv").write_bytes(text.encode("cp1252"))
    with pytest.raises(UnreadableInput, match="not UTF-8") as caught:
        run_etl(home, store, load_mapping(MAPPING), [tmp_path / "patients.csv"])
    assert "encoding: cp1252" in (caught.value.hint or "")
    assert store.con.execute("SELECT count(*) FROM resource").fetchone() == (0,)


def test_platelets_in_giga_per_litre_load_through_the_etl(
    home: SiteHome, store: SiteStore, export: Path, tmp_path: Path
) -> None:
    """ "G/L" is how French and German laboratories write 10^9/L; the ETL wrote it as UCUM g/L (grams per
    litre), and the row was refused as not convertible."""
    pat = (export / "patients.csv").read_text().splitlines()
    mrn = pat[1].split(",")[0]
    (tmp_path / "patients.csv").write_text("\n".join(pat) + "\n")
    rows = [f"{mrn},2020-01-01,,LAB,PLT,150,G/L", f"{mrn},2020-02-01,,LAB,PLT,90000,/uL"]
    header = (export / "events.csv").read_text().splitlines()[0]
    (tmp_path / "events.csv").write_text("\n".join([header, *rows]) + "\n")
    report = run_etl(home, store, load_mapping(MAPPING), _csvs(tmp_path))
    assert not report.rejected
    stored = store.con.execute("SELECT value_num, unit FROM fact WHERE code = '777-3' ORDER BY 1").fetchall()
    assert stored == [(90.0, "10*9/L"), (150.0, "10*9/L")]


def test_a_lab_value_reported_as_a_bound_loads_as_one(
    home: SiteHome, store: SiteStore, export: Path, tmp_path: Path
) -> None:
    """ "<10" in a value column (below what the analyser counts) was quarantined as "not a number"."""
    pat = (export / "patients.csv").read_text().splitlines()
    mrn = pat[1].split(",")[0]
    (tmp_path / "patients.csv").write_text("\n".join(pat) + "\n")
    rows = [f"{mrn},2020-01-01,,LAB,PLT,<10,10^9/l", f"{mrn},2020-02-01,,LAB,PLT,\u2265 1000,10^9/l"]
    header = (export / "events.csv").read_text().splitlines()[0]
    (tmp_path / "events.csv").write_text(
        "\n".join([header, *rows, f"{mrn},2020-03-01,,LAB,PLT,<<3,10^9/l"]) + "\n"
    )
    report = run_etl(home, store, load_mapping(MAPPING), _csvs(tmp_path))
    assert [why for _, why in report.rejected] == ["platelets: '<<3' is not a number"]
    stored = store.con.execute(
        "SELECT value_num, value_code FROM fact WHERE code = '777-3' ORDER BY 1"
    ).fetchall()
    assert stored == [(10.0, "<"), (1000.0, ">=")]


def test_local_codes_that_yaml_would_read_as_numbers_or_booleans_are_codes(
    home: SiteHome, store: SiteStore, export: Path, tmp_path: Path
) -> None:
    """Sex coded 1 and 2 (as many national registries code it) was "unknown local sex code '1'", though the
    mapping listed it: YAML 1.1 had read the key 1 as a number (010 as octal 8, NO and ON as booleans)."""
    text = MAPPING.read_text()
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        text.replace(
            "sex: {M: male, F: female, X: other, U: unknown}",
            "sex: {1: male, 2: female, X: other, U: unknown}",
        )
        .replace("  result: {POS: true, NEG: false}", "  result: {YES: true, NO: false}")
        .replace("    HGB: hemoglobin", "    010: hemoglobin")
    )
    rows = {name: (export / name).read_text().splitlines() for name in ("patients.csv", "events.csv")}
    patients = [rows["patients.csv"][0]] + [
        ",".join({"M": "1", "F": "2"}.get(cell, cell) for cell in line.split(","))
        for line in rows["patients.csv"][1:]
    ]
    events = [
        line.replace(",LAB,HGB,", ",LAB,010,").replace(",POS,", ",YES,").replace(",NEG,", ",NO,")
        for line in rows["events.csv"]
    ]
    written = "\n".join(events)
    assert (
        ",LAB,010," in written and ",YES," in written and ",NO," in written and ",1," in "\n".join(patients)
    )
    (tmp_path / "patients.csv").write_text("\n".join(patients) + "\n")
    (tmp_path / "events.csv").write_text(written + "\n")
    report = run_etl(home, store, load_mapping(mapping), _csvs(tmp_path))
    assert report.rejected == [] and report.loaded > 0
    reference = SiteStore(tmp_path / "reference.duckdb", terminology=store.terms)
    run_etl(home, reference, load_mapping(MAPPING), _csvs(export))
    facts = "SELECT kind, system, code, value_num, value_code FROM fact ORDER BY ALL"
    assert store.con.execute(facts).fetchall() == reference.con.execute(facts).fetchall()
    sexes = "SELECT sex, count(*) FROM patient GROUP BY 1 ORDER BY 1"
    assert store.con.execute(sexes).fetchall() == reference.con.execute(sexes).fetchall()


def test_a_local_code_given_twice_in_the_mapping_is_refused(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING.read_text().replace("    PLT: platelets", "    PLT: platelets\n    PLT: anc"))
    with pytest.raises(UnreadableInput, match="the key 'PLT' is given twice"):
        load_mapping(mapping)


def test_a_patient_row_without_a_birth_date_loads(
    home: SiteHome, store: SiteStore, export: Path, tmp_path: Path
) -> None:
    """An export de-identified by leaving birth dates out was quarantined row by row as "not a date"."""
    pat = (export / "patients.csv").read_text().splitlines()
    column = pat[0].split(",").index("birth_date")
    blanked = [pat[0]] + [
        ",".join("" if i == column else c for i, c in enumerate(line.split(","))) for line in pat[1:]
    ]
    (tmp_path / "patients.csv").write_text("\n".join(blanked) + "\n")
    (tmp_path / "events.csv").write_text((export / "events.csv").read_text())
    report = run_etl(home, store, load_mapping(MAPPING), _csvs(tmp_path))
    assert report.rejected == [] and report.loaded > 0
    assert store.con.execute("SELECT count(*), count(birth_date) FROM patient").fetchone() == (
        len(pat) - 1,
        0,
    )


def test_a_merged_code_table_may_be_overridden(tmp_path: Path) -> None:
    """YAML's merge key (<<: *anchor) lets one table reuse another; overriding a merged key is no repeat."""
    mapping = tmp_path / "mapping.yaml"
    text = MAPPING.read_text().replace("  lab:\n", "  lab: &labs\n", 1)
    mapping.write_text(text.replace("\nunits:\n", "\n  other_labs:\n    <<: *labs\n    PLT: anc\nunits:\n"))
    loaded = load_mapping(mapping)
    assert (
        loaded["codes"]["other_labs"]["PLT"] == "anc" and loaded["codes"]["other_labs"]["HGB"] == "hemoglobin"
    )
