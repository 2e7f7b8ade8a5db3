"""Homes that cannot be used (a file in the way, a path under a file): both CLIs refuse with the
unreadable-input exit code and say which setting to change, never with a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.cli import output
from tests.api.cli.conftest import run

pytestmark = pytest.mark.usefixtures("wide")


@pytest.mark.parametrize("under", [False, True], ids=["a file", "under a file"])
@pytest.mark.parametrize("command", [["init"], ["import", "x.ttl"], ["dev-token", "--role", "curator"]])
def test_a_registry_home_that_cannot_be_a_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str], under: bool
) -> None:
    blocker = tmp_path / "home"
    blocker.write_text("not a folder")
    home = blocker / "sub" if under else blocker
    monkeypatch.setenv("FAIRGRID_HOME", str(home))
    code, out = run(*command)
    assert code == output.EXIT_UNREADABLE, out
    assert f"cannot use {home}" in out and "FAIRGRID_HOME" in out
    assert blocker.read_text() == "not a folder"


def test_a_store_path_taken_by_a_file_is_not_said_to_be_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "store").write_text("not a store")
    monkeypatch.setenv("FAIRGRID_HOME", str(home))
    code, out = run("import", "x.ttl")
    assert code == output.EXIT_UNAVAILABLE, out
    assert "another fairgrid process" not in out and "can be written" in out


@pytest.mark.parametrize(
    "command",
    [["export"], ["show", "https://w3id.org/fairgrid/dataset/x"], ["quality"], ["review"],
     ["terms", "search", "anaemia"], ["jobs", "list"], ["index-sync"], ["import", "--dry-run", "x.ttl"]],
)  # fmt: skip
def test_a_missing_registry_home_is_not_answered_from_a_new_empty_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    home = tmp_path / "typo"
    monkeypatch.setenv("FAIRGRID_HOME", str(home))
    code, out = run(*command)
    assert code == output.EXIT_UNREADABLE, out  # as `site` commands on a folder that is not a site home
    assert f"no registry at {home}" in out and "fairgrid init" in out
    assert not home.exists()


def test_a_site_home_that_cannot_be_a_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "site"
    blocker.write_text("not a folder")
    for home in (blocker, blocker / "sub"):
        code, out = run("site", "init", "--site-id", "site-a", "--home", str(home))
        assert code == output.EXIT_UNREADABLE, out
        assert f"cannot use {home}" in out and "--home" in out
    assert blocker.read_text() == "not a folder"


def test_a_bad_site_id_hint_reads_well(tmp_path: Path) -> None:
    code, out = run("site", "init", "--site-id", "Site_A", "--home", str(tmp_path / "s"))
    assert code == output.EXIT_INVALID and "e.g. site-a" in out and "exc.g." not in out
    assert not (tmp_path / "s").exists()
