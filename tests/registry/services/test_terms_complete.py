"""`fairgrid init` with the complete terminologies: every ICD-10, ORPHA and HPO code is a concept, by code
or IRI, in the CLI and the term service that disease filters and feasibility criteria ask."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import output
from api.cli.main import app
from registry.config import Settings
from registry.errors import NotFound
from registry.wiring import Registry, open_registry
from tests.conftest import CURATOR

ICD10 = "http://id.who.int/icd/release/10/2019/"
ORPHA_232 = "http://www.orpha.net/ORDO/Orphanet_232"
runner = CliRunner()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("complete") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FAIRGRID_HOME", str(home))
        mp.setenv("FAIRGRID_TERMINOLOGY_SET", "complete")
        result = runner.invoke(app, ["init"])
    assert result.exit_code == 0 and "registered terminologies: 3 new" in result.output, result.output
    return home


@pytest.mark.parametrize(
    ("command", "code", "expected"),
    [("search", "ORPHA:232", "Sickle cell anemia"), ("search", ORPHA_232, "ORPHA:232"),
     ("search", "A00.0", "Cholera"), ("descendants", "D46", "D46.6")],
)  # fmt: skip
def test_the_cli_answers_for_any_code(
    home: Path, monkeypatch: pytest.MonkeyPatch, command: str, code: str, expected: str
) -> None:
    monkeypatch.setenv("FAIRGRID_HOME", str(home))
    monkeypatch.setattr(output.out, "width", 300)
    result = runner.invoke(app, ["terms", command, code])
    assert result.exit_code == 0 and expected in result.output, result.output


@pytest.fixture(scope="module")
def reg(home: Path) -> Iterator[Registry]:
    registry = open_registry(Settings(home=home))
    yield registry
    registry.close()


def test_the_term_service_knows_every_code(reg: Registry) -> None:
    terms = reg.terms
    assert len(terms.all_concepts()) == 12_542 + 19_034 + 4_283
    assert terms.concept(CURATOR, "orpha:232").iri == terms.concept(CURATOR, ORPHA_232).iri == ORPHA_232
    assert terms.concept(CURATOR, "C50.9").iri == ICD10 + "C50.9"  # outside the use cases' subset
    assert terms.concept(CURATOR, "hp:0000118").label == "Phenotypic abnormality"
    with pytest.raises(NotFound):
        terms.concept(CURATOR, "D46.3")  # not in the 2019 edition
    assert [c.notation for c in terms.descendants(CURATOR, "D46")] == [
        "D46.0", "D46.1", "D46.2", "D46.4", "D46.5", "D46.6", "D46.7", "D46.9"
    ]  # fmt: skip
    chapter = terms.expand(CURATOR, "II")  # the disease filter's expansion: a chapter and all below it
    assert ICD10 + "C90.0" in chapter and ICD10 + "D46.6" in chapter and len(chapter) > 800
    anemia = {c.notation for c in terms.descendants(CURATOR, "HP:0001903")}
    assert "HP:0001878" in anemia  # Hemolytic anemia, a direct is_a child in HPO
    hits = [c.notation for c in terms.search(CURATOR, "sickle")]
    assert "ORPHA:232" in hits and "D57" in hits


@pytest.mark.parametrize(
    ("typed", "codes"),
    [
        # MeSH heads it "Waldenstrom Macroglobulinemia": how most people type it
        ("waldenstrom", {"C88.0", "ORPHA:33226"}),
        ("Waldenström", {"C88.0", "ORPHA:33226"}),
        ("WALDENSTROM MACROGLOBULINAEMIA", {"C88.0"}),
        ("sezary", {"C84.1", "ORPHA:3162"}),
        ("sjogren", {"M35.0"}),
        # WHO's ICD-10 spells it the British way, HPO and Orphanet the American way
        ("sickle cell anemia", {"D57.0", "D57.1", "ORPHA:232"}),
        ("chronic myeloid leukemia", {"C92.1", "ORPHA:521"}),
        ("chronic myeloid leukaemia", {"C92.1", "ORPHA:521"}),
    ],
)
def test_labels_are_found_without_accents_in_either_spelling(
    reg: Registry, typed: str, codes: set[str]
) -> None:
    found = {c.notation for c in reg.terms.search(CURATOR, typed)}
    assert codes <= found, found
