from __future__ import annotations

from pathlib import Path

from click.testing import Result

from federation.site.demo import build_demo_sites
from tests.api.cli.conftest import runner, site_only_app

app = site_only_app()


def synth(out: Path, use_case: str, sites: int, patients: int) -> None:
    args = ["--use-case", use_case, "--sites", str(sites), "--patients", str(patients), "--out", str(out)]
    r = runner.invoke(app, ["synth", *args])
    assert r.exit_code == 0, r.output


def site_init(tmp_path: Path, site_id: str, *options: str) -> tuple[str, Result]:
    """`site init` of tmp_path/h: the home and what the command gave."""
    home = str(tmp_path / "h")
    return home, runner.invoke(app, ["site", "init", "--site-id", site_id, "--home", home, *options])


def test_synth_init_load_describe(tmp_path: Path) -> None:
    synth(tmp_path / "s", "mm", sites=2, patients=30)
    home, r = site_init(tmp_path, "site-b", "--threshold", "5")
    assert r.exit_code == 0
    r = runner.invoke(app, ["site", "load", str(tmp_path / "s" / "site-1" / "fhir"), "--home", home])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["site", "describe", "--home", home, "--out", str(tmp_path / "d.ttl")])
    assert r.exit_code == 0, r.output
    assert "healthdcatap:numberOfUniqueIndividuals" in (tmp_path / "d.ttl").read_text()
    r = runner.invoke(app, ["site", "count", "--home", home, "--code", "C90"])
    assert r.exit_code == 0 and r.output.strip() == "30"
    dotted, undotted = (
        runner.invoke(app, ["site", "count", "--home", home, "--code", c]) for c in ("C90.0", "c900")
    )
    assert (
        undotted.exit_code == 0 and undotted.output == dotted.output and int(dotted.output) > 0
    )  # as exports write it
    r = runner.invoke(
        app, ["site", "features", "--home", home, "--use-case", "mm", "--out", str(tmp_path / "f.csv")]
    )
    assert r.exit_code == 0 and len((tmp_path / "f.csv").read_text().splitlines()) == 31


def test_exit_codes(tmp_path: Path) -> None:
    home, _ = site_init(tmp_path, "site-c")
    r = runner.invoke(app, ["site", "load", str(tmp_path / "missing.ndjson"), "--home", home])
    assert r.exit_code == 2
    (tmp_path / "bad.ndjson").write_text(
        '{"resourceType": "Patient", "id": "p", "birthDate": "1990", "deceasedDateTime": "1980"}\n'
    )
    r = runner.invoke(app, ["site", "load", str(tmp_path / "bad.ndjson"), "--home", home])
    assert r.exit_code == 1 and "bad.ndjson:1" in r.output
    r = runner.invoke(app, ["site", "describe", "--home", str(tmp_path / "nohome")])
    assert r.exit_code == 2
    r = runner.invoke(app, ["site", "describe", "--home", home, "--hub", "http://127.0.0.1:9"])
    assert r.exit_code == 3 and "unreachable" in r.output  # backend unavailable, as in every command


def test_site_commands_exit_like_every_other_command(tmp_path: Path) -> None:
    from api.cli.main import app as fairgrid

    missing = tmp_path / "missing.ttl"
    assert runner.invoke(fairgrid, ["validate", str(missing)]).exit_code == 2  # unreadable input
    r = runner.invoke(fairgrid, ["site", "load", str(tmp_path / "missing.ndjson"), "--home", str(tmp_path)])
    assert r.exit_code == 2 and "is not a site home" in r.output
    r = runner.invoke(fairgrid, ["site", "init", "--site-id", "Bad Id", "--home", str(tmp_path / "h")])
    assert r.exit_code == 1 and "is not valid" in r.output
    assert (
        runner.invoke(
            fairgrid, ["site", "init", "--site-id", "site-h", "--home", str(tmp_path / "h")]
        ).exit_code
        == 0
    )
    (tmp_path / "h" / "store.duckdb").unlink()
    r = runner.invoke(fairgrid, ["site", "stats", "--home", str(tmp_path / "h")])
    assert r.exit_code == 2 and "no site store here" in r.output  # not "backend unavailable"


def test_count_refuses_what_cannot_match(tmp_path: Path) -> None:
    synth(tmp_path, "scd", sites=1, patients=20)
    home, _ = site_init(tmp_path, "site-d")
    assert (
        runner.invoke(app, ["site", "load", str(tmp_path / "site-1" / "fhir"), "--home", home]).exit_code == 0
    )
    r = runner.invoke(app, ["site", "count", "--home", home, "--code", "XYZ"])
    assert r.exit_code == 1 and "unknown icd10 code(s): 'XYZ'" in r.output
    r = runner.invoke(app, ["site", "count", "--home", home, "--sex", "M"])
    assert r.exit_code == 1 and "sex 'M' is not one of male, female, other, unknown" in r.output
    males = runner.invoke(app, ["site", "count", "--home", home, "--sex", "male"])
    assert males.exit_code == 0 and int(males.output) > 0
    assert runner.invoke(app, ["site", "count", "--home", home, "--sex", "Male"]).output == males.output
    r = runner.invoke(app, ["site", "count", "--home", home, "--variant", "NOPE1"])
    assert r.exit_code == 1 and "not on the CDM's panels" in r.output
    r = runner.invoke(app, ["site", "count", "--home", home, "--min-age", "60", "--max-age", "20"])
    assert r.exit_code == 1 and "no age can be between 60 and 20" in r.output


def test_load_a_site_folder_as_synth_writes_it(tmp_path: Path) -> None:
    synth(tmp_path, "mds", sites=1, patients=10)
    home, _ = site_init(tmp_path, "site-e")
    r = runner.invoke(app, ["site", "load", str(tmp_path / "site-1"), "--home", home])
    assert r.exit_code == 0, r.output
    assert f"skipped {tmp_path / 'site-1' / 'profile.json'} (no resourceType" in r.output
    assert "csv/patients.csv (not a .ndjson, .jsonl or .json file, nor one gzipped (.gz))" in r.output
    stats = runner.invoke(app, ["site", "stats", "--home", home])
    assert '"patients": 10' in stats.output


def test_skip_invalid_that_loads_nothing_fails(tmp_path: Path) -> None:
    home, _ = site_init(tmp_path, "site-f")
    (tmp_path / "bad.ndjson").write_text(
        '{"resourceType": "Patient", "id": "p", "birthDate": "2999-01"}\n{oops\n'
    )
    r = runner.invoke(app, ["site", "load", str(tmp_path / "bad.ndjson"), "--home", home, "--skip-invalid"])
    assert r.exit_code == 1 and "none of the 2 records could be loaded" in r.output
    assert "bad.ndjson:1: birthDate 2999-01 is in the future" in r.output
    assert '"loads": 0' in runner.invoke(app, ["site", "stats", "--home", home]).output
    (tmp_path / "empty").mkdir()
    r = runner.invoke(app, ["site", "load", str(tmp_path / "empty"), "--home", home])
    assert r.exit_code == 1 and "no FHIR resources found" in r.output


def test_demo_sites(tmp_path: Path) -> None:
    files = build_demo_sites(tmp_path, patients=40)
    assert [f.name for f in files] == ["demo-mds.ttl", "demo-scd.ttl", "demo-mm.ttl"]
    assert all("dcat:Dataset" in f.read_text() for f in files)


def test_etl_unreadable_input_exits_2(tmp_path: Path) -> None:
    home = str(tmp_path / "h")
    runner.invoke(app, ["site", "init", "--site-id", "site-g", "--home", home])
    mapping = Path(__file__).resolve().parents[3] / "federation" / "etl" / "mappings" / "synthetic.yaml"
    (tmp_path / "latin1.csv").write_bytes("patient_id,sex\n\xe9\xe9,f\n".encode("latin-1"))
    for args, message in (
        (["--mapping", str(tmp_path / "nope.yaml"), str(tmp_path / "latin1.csv")], "cannot read the mapping"),
        (["--mapping", str(tmp_path / "latin1.csv"), str(tmp_path / "latin1.csv")], "mapping is not UTF-8"),
        (["--mapping", str(mapping), str(tmp_path / "missing.csv")], "missing.csv: cannot read"),
        (["--mapping", str(mapping), str(tmp_path / "latin1.csv")], "latin1.csv: the text is not UTF-8"),
    ):
        r = runner.invoke(app, ["etl", "--site", home, *args])
        assert r.exit_code == 2 and message in r.output, r.output
