"""The FAB is built deterministically: the same source gives the same hash, one changed byte another."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from federation.training.fab import build_fab, fab_hash
from registry.errors import InputError, UnreadableInput

APP = Path(__file__).parent / "apps" / "gatetest"


def test_same_source_same_hash(tmp_path: Path) -> None:
    first = build_fab(APP)
    copy = tmp_path / "gatetest"
    shutil.copytree(APP, copy, ignore=shutil.ignore_patterns("__pycache__"))
    again = build_fab(copy)  # another directory, other file times: the same bytes
    assert first.content == again.content
    assert first.hash == again.hash == fab_hash(first.content)
    assert len(first.hash) == 64


def test_one_byte_changes_the_hash(tmp_path: Path) -> None:
    copy = tmp_path / "gatetest"
    shutil.copytree(APP, copy, ignore=shutil.ignore_patterns("__pycache__"))
    code = copy / "gatetest" / "client_app.py"
    code.write_bytes(code.read_bytes().replace(b"+ 1.0", b"+ 2.0"))
    assert build_fab(copy).hash != build_fab(APP).hash


def test_not_an_app(tmp_path: Path) -> None:
    with pytest.raises(UnreadableInput):
        build_fab(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    with pytest.raises(InputError):
        build_fab(tmp_path)
