from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from api.cli.site import register
from federation.site.demo import build_demo_sites

app = typer.Typer()


@app.callback()
def _main() -> None:
    """test entry point"""


register(app)
runner = CliRunner()


def test_synth_init_load_describe(tmp_path: Path) -> None:
    r = runner.invoke(
        app, ["synth", "--use-case", "mm", "--sites", "2", "--patients", "30", "--out", str(tmp_path / "s")]
    )
    assert r.exit_code == 0, r.output
    home = str(tmp_path / "h")
    assert (
        runner.invoke(
            app, ["site", "init", "--site-id", "site-b", "--home", home, "--threshold", "5"]
        ).exit_code
        == 0
    )
    r = runner.invoke(app, ["site", "load", str(tmp_path / "s" / "site-1" / "fhir"), "--home", home])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["site", "describe", "--home", home, "--out", str(tmp_path / "d.ttl")])
    assert r.exit_code == 0, r.output
    assert "healthdcatap:numberOfUniqueIndividuals" in (tmp_path / "d.ttl").read_text()
    r = runner.invoke(app, ["site", "count", "--home", home, "--code", "C90"])
    assert r.exit_code == 0 and r.output.strip() == "30"
    r = runner.invoke(
        app, ["site", "features", "--home", home, "--use-case", "mm", "--out", str(tmp_path / "f.csv")]
    )
    assert r.exit_code == 0 and len((tmp_path / "f.csv").read_text().splitlines()) == 31


def test_exit_codes(tmp_path: Path) -> None:
    home = str(tmp_path / "h")
    runner.invoke(app, ["site", "init", "--site-id", "site-c", "--home", home])
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
    assert r.exit_code == 1 and "unreachable" in r.output


def test_demo_sites(tmp_path: Path) -> None:
    files = build_demo_sites(tmp_path, patients=40)
    assert [f.name for f in files] == ["demo-mds.ttl", "demo-scd.ttl", "demo-mm.ttl"]
    assert all("dcat:Dataset" in f.read_text() for f in files)
