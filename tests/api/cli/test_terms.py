"""`fairgrid terms`: every code form of a concept (ORPHA:232, its IRI, D46) works in search and descendants."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.cli import output
from tests.api.cli.conftest import module_home, run

ORPHA_232 = "http://www.orpha.net/ORDO/Orphanet_232"


@pytest.fixture(scope="module", autouse=True)
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with module_home(tmp_path_factory, "cli-terms", ["init"]) as path:
        yield path


@pytest.mark.parametrize("form", ["ORPHA:232", "orpha:232", ORPHA_232])
def test_orpha_232_in_every_form(form: str) -> None:
    code, out = run("terms", "descendants", form)
    assert code == 0 and f"0 descendant(s) of {form}" in out
    code, out = run("terms", "search", form)
    assert code == 0 and ORPHA_232 in out and "ORPHA:232" in out


def test_d46_by_code_and_iri() -> None:
    by_code = run("terms", "descendants", "D46")
    by_iri = run("terms", "descendants", "http://id.who.int/icd/release/10/2019/D46")
    assert by_code[0] == by_iri[0] == 0 and "D46.2" in by_code[1] and "D46.2" in by_iri[1]


def test_an_unknown_code_is_exit_1_naming_it() -> None:
    code, out = run("terms", "descendants", "ORPHA:999999")
    assert code == 1 and "'ORPHA:999999'" in out


def test_an_unknown_scheme_is_refused_not_an_empty_table() -> None:
    code, out = run("terms", "search", "anaemia", "--scheme", "https://example.org/no-such-scheme")
    assert code == output.EXIT_INVALID, out
    assert "is not a registered terminology" in out and "one of: http" in out
    scheme = out.split("one of: ", 1)[1].split(",")[0].strip()
    code, out = run("terms", "search", "a", "--scheme", scheme)
    assert code == 0 and scheme.rsplit("/", 1)[0] in out


def test_a_capped_search_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from api.cli import terms

    monkeypatch.setattr(terms, "SHOWN", 12)  # the subset terminologies hold fewer than 50 concepts
    code, out = run("terms", "search", "")
    assert code == 0 and "first 12 concept(s) matching ''" in out and "narrow the text" in out
    code, out = run("terms", "search", "D46")
    assert code == 0 and "concept(s) matching 'D46'" in out and "first" not in out
