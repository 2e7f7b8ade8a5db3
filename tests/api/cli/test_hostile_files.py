"""`fairgrid validate` and `import` on files a new user or an attacker may hand them: missing files,
folders without RDF, a line longer than the parser's buffer. Each gets its exit code and a message
that says what to do, never a traceback, and the store is unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.cli import output
from tests.api.cli.conftest import run

pytestmark = pytest.mark.usefixtures("home")


@pytest.mark.parametrize("command", ["validate", "import"])
def test_a_missing_file_is_unreadable_not_a_syntax_error(tmp_path: Path, command: str) -> None:
    code, out = run(command, str(tmp_path / "nowhere.ttl"))
    assert code == output.EXIT_UNREADABLE, out
    assert "nowhere.ttl" in out and "no such file" in out.lower()
    assert "Errno" not in out and "fix the syntax" not in out
    assert "check the path" in out or command == "import"


@pytest.mark.parametrize("command", ["validate", "import"])
def test_a_folder_without_rdf_files_is_refused(tmp_path: Path, command: str) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "notes.txt").write_text("not RDF")
    code, out = run(command, str(folder))
    assert code == output.EXIT_INVALID, out  # as `site load` on a folder without FHIR files
    assert "exports" in out and "no RDF files" in out
    assert "rejected 1" in out or "1 rejected" in out


def test_a_line_longer_than_the_parser_buffer_is_a_syntax_error(tmp_path: Path) -> None:
    # over the 16 MiB at which a file is streamed, one literal longer than pyoxigraph's 16 MiB buffer
    huge = tmp_path / "huge.nt"
    with huge.open("w") as f:
        f.write('<https://w3id.org/fairgrid/dataset/x> <http://purl.org/dc/terms/title> "')
        f.write("x" * (17 * 1024 * 1024))
        f.write('" .\n')
    for command in ("validate", "import"):
        code, out = run(command, str(huge))
        assert code == output.EXIT_UNREADABLE, out
        assert "huge.nt" in out and "16 MiB" in out, out


def test_all_or_nothing_exits_as_the_worst_rejection(tmp_path: Path) -> None:
    from tests.conftest import EXAMPLE

    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix dct: <http://purl.org/dc/terms/> .\n<a> dct:title .\n")
    for bad, code in ((tmp_path / "nowhere.ttl", output.EXIT_UNREADABLE), (broken, output.EXIT_UNREADABLE)):
        got, out = run("import", "--all-or-nothing", str(EXAMPLE), str(bad))
        assert got == code, out  # as the same import without --all-or-nothing
        assert "nothing imported" in out and f"first: {bad}: {bad}" not in out
    code, out = run("import", str(EXAMPLE))
    assert code == 0 and "imported 24, updated 0, unchanged 0" in out  # the refused imports stored nothing


@pytest.mark.parametrize("command", ["validate", "import"])
def test_a_fifo_is_refused_not_read(tmp_path: Path, command: str) -> None:
    import os

    fifo = tmp_path / "pipe.ttl"
    os.mkfifo(fifo)  # reading it would wait for a writer forever
    code, out = run(command, str(fifo))
    assert code == output.EXIT_UNREADABLE and "pipe.ttl: not a regular file" in out, out


def test_an_empty_file_is_said_to_be_empty(tmp_path: Path) -> None:
    empty = tmp_path / "empty.ttl"
    empty.write_text("@prefix dct: <http://purl.org/dc/terms/> .\n# nothing else\n")
    code, out = run("validate", str(empty))
    assert code == output.EXIT_INVALID and "no triples found" in out, out
    assert "the input is empty" in out and "rdf:type of a known kind" not in out
