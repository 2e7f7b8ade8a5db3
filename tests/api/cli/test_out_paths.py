"""--out paths that cannot be written (a folder there, a folder that does not exist, a file where a folder
is wanted): every command that writes one exits 2 naming the path, never with a traceback, and `etl`
refuses before it loads anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.cli import output
from tests.api.cli.conftest import run

pytestmark = pytest.mark.usefixtures("home")
MAPPING = Path(__file__).resolve().parents[3] / "federation" / "etl" / "mappings" / "synthetic.yaml"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A loaded site home and the synthetic site folder it was loaded from."""
    root = tmp_path_factory.mktemp("site")
    synth = ["synth", "--use-case", "mm", "--sites", "1", "--patients", "20", "--out", str(root / "s")]
    assert run(*synth)[0] == 0
    home = root / "h"
    assert run("site", "init", "--site-id", "site-o", "--home", str(home))[0] == 0
    assert run("site", "load", str(root / "s" / "site-1"), "--home", str(home))[0] == 0
    return home, root / "s" / "site-1"


def unwritable(tmp_path: Path) -> list[Path]:
    (tmp_path / "a-folder").mkdir(exist_ok=True)
    return [tmp_path / "a-folder", tmp_path / "no-such-folder" / "x.out"]


def test_export_out(tmp_path: Path) -> None:
    assert run("init", "--no-terminologies")[0] == 0
    for out in unwritable(tmp_path):
        code, said = run("export", "--out", str(out))
        assert code == output.EXIT_UNREADABLE and f"cannot write {out}" in said, said


def test_export_refuses_a_bad_out_before_reading_the_catalogue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from registry.services.exporter import Exporter

    assert run("init", "--no-terminologies")[0] == 0

    def read_everything(*_: object, **__: object) -> list[object]:
        raise AssertionError("the catalogue was read for an export that cannot be written")

    monkeypatch.setattr(Exporter, "triples", read_everything)
    for out in unwritable(tmp_path):
        code, said = run("export", "--out", str(out))
        assert code == output.EXIT_UNREADABLE and f"cannot write {out}" in said, said


def test_site_describe_and_features_out(tmp_path: Path, site: tuple[Path, Path]) -> None:
    home = str(site[0])
    for out in unwritable(tmp_path):
        for command in (["site", "describe"], ["site", "features", "--use-case", "mm"]):
            code, said = run(*command, "--home", home, "--out", str(out))
            assert code == output.EXIT_UNREADABLE and f"cannot write {out}" in said, said


def test_synth_and_etl_out_folders(tmp_path: Path, site: tuple[Path, Path]) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("in the way")
    for out in (a_file, a_file / "below"):
        code, said = run("synth", "--use-case", "mm", "--sites", "1", "--patients", "2", "--out", str(out))
        assert code == output.EXIT_UNREADABLE and f"cannot use {out}" in said, said
    home = tmp_path / "etl-home"
    assert run("site", "init", "--site-id", "site-e", "--home", str(home))[0] == 0
    csvs = sorted(str(p) for p in (site[1] / "csv").glob("*.csv"))
    code, said = run("etl", "--mapping", str(MAPPING), "--site", str(home), "--out", str(a_file), *csvs)
    assert code == output.EXIT_UNREADABLE and f"cannot use {a_file}" in said, said
    assert '"patients": 0' in run("site", "stats", "--home", str(home))[1]  # nothing was loaded
