"""`make demo` prints what it registered as it is: its console reads no Rich markup in the data."""

from __future__ import annotations

from pathlib import Path

import pytest

from api import demo
from registry.config import Settings
from registry.wiring import open_registry


def test_a_rejected_file_is_named_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(demo.console, "width", 300)
    bad = tmp_path / "cohort [sickle cell] [red]x.ttl"
    bad.write_text("<a> <b> .\n")  # not Turtle: rejected, and named in the line printed
    reg = open_registry(Settings(home=tmp_path / "home"))
    try:
        demo.register(reg, "site dataset descriptions", [bad])
    finally:
        reg.close()
    shown = capsys.readouterr().out
    assert "1 rejected" in shown and bad.name in shown, shown
    assert "[/]" not in shown  # "rejected" is styled, not printed as markup
