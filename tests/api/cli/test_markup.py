"""Registered text is printed as it is held, never read as Rich console markup: brackets stay, and no
`[link=...]` in a title puts a hyperlink into a curator's terminal."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.color import ColorSystem

from api.cli import output, records
from tests.api.cli.conftest import run, submitted_job
from tests.registry.services.test_records import BASE, dataset

pytestmark = pytest.mark.usefixtures("home")
HOSTILE = "Anemia [sickle cell] cohort [link=https://evil.example]x[/link] :warning:"
LINK = "\x1b]8;"  # the terminal's hyperlink escape (OSC 8)
DS = f"{BASE}dataset/ds1"


def as_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """The consoles as on a colour terminal, where a markup link would become a real hyperlink."""
    for console in (output.out, output.err):
        monkeypatch.setattr(console, "_force_terminal", True)
        monkeypatch.setattr(console, "_color_system", ColorSystem.TRUECOLOR)


def test_titles_and_reasons_are_printed_as_registered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("init", "--no-terminologies")[0] == 0
    first = tmp_path / "first.ttl"
    first.write_text(dataset(title="Plain title"))
    second = tmp_path / "second.ttl"
    second.write_text(dataset(title=HOSTILE))
    for f in (first, second):
        code, out = run("import", str(f))
        assert code == 0, out
    code, out = run("deprecate", DS, "--reason", HOSTILE)
    assert code == 0, out
    as_terminal(monkeypatch)
    code, out = run("show", DS)
    assert code == 0 and HOSTILE in out, out
    code, out = run("history", DS)  # a table: the reason is a cell
    assert code == 0 and f"deprecated: {HOSTILE}" in out and LINK not in out, out
    code, out = run("diff", DS, "1", "2")  # each triple on a coloured line
    assert code == 0 and f'"{HOSTILE}"@en .' in out and LINK not in out, out
    assert "\x1b[" in out  # still coloured


def test_user_input_quoted_in_a_message_or_table_title_is_verbatim(monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("init", "--no-terminologies")[0] == 0
    as_terminal(monkeypatch)
    code, out = run("show", "--", "a[red]b")
    assert code == 1 and "'a[red]b' is not a valid IRI" in out, out
    assert "\x1b[1;31merror:" in out and "[/]" not in out  # the label keeps its style, as a style
    code, out = run("terms", "search", "[bold]zz[/]")
    assert code == 0 and "0 concept(s) matching '[bold]zz[/]'" in out, out


def test_a_job_title_is_printed_as_submitted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    job = submitted_job(tmp_path, tmp_path / "site-a", HOSTILE)
    as_terminal(monkeypatch)
    for args in (["jobs", "show", job], ["jobs", "list"]):
        code, out = run(*args)
        assert code == 0 and HOSTILE in out and LINK not in out, (args, out)
        assert "[/]" not in out  # the styling of the command's own words is no literal markup either


def test_a_file_name_in_the_progress_bar_is_verbatim() -> None:
    bar = records.progress()
    task = bar.add_task("importing [red]cohort[/].ttl")
    assert bar.columns[0].render(bar.tasks[task]).plain == "importing [red]cohort[/].ttl"  # type: ignore[union-attr]
