"""The complete terminologies: whole classifications, the subsets' IRIs and codes kept, chosen by a setting."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest

from registry.config import Settings
from registry.errors import InputError
from registry.terminology_files import terminology_files
from registry.vocab import SKOS

FOLDER = Path(__file__).resolve().parents[2] / "ontologies" / "terminologies"
TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def _concepts(path: Path) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
        out[q.subject.value][q.predicate.value].append(q.object.value)
    return {s: po for s, po in out.items() if SKOS + "Concept" in po.get(TYPE, [])}


@pytest.fixture(scope="module")
def complete() -> dict[str, dict[str, dict[str, list[str]]]]:
    return {name: _concepts(FOLDER / "complete" / f"{name}.ttl") for name in ("icd10", "hpo", "orpha")}


def test_the_complete_files_hold_the_whole_classifications(complete: dict[str, dict]) -> None:  # type: ignore[type-arg]
    assert len(complete["icd10"]) == 12_542
    assert len(complete["hpo"]) == 19_034  # the release's 19,484 terms less its 450 obsolete ones
    assert len(complete["orpha"]) == 4_283
    for name, concepts in complete.items():
        for iri, po in concepts.items():
            assert len(po[SKOS + "prefLabel"]) == 1 and len(po[SKOS + "notation"]) == 1, iri
            for parent in po.get(SKOS + "broader", []):
                assert parent in concepts, f"{name}: {iri} broader {parent} is not a concept of the file"
            assert po.get(SKOS + "broader") or po.get(SKOS + "topConceptOf"), f"{name}: {iri} hangs loose"
    icd = complete["icd10"]
    for po in complete["orpha"].values():
        for target in po.get(SKOS + "exactMatch", []) + po.get(SKOS + "closeMatch", []):
            assert target in icd
    assert icd["http://id.who.int/icd/release/10/2019/A00.0"][SKOS + "broader"] == [
        "http://id.who.int/icd/release/10/2019/A00"
    ]


@pytest.mark.parametrize("name", ["icd10", "hpo", "orpha"])
def test_every_concept_of_a_subset_keeps_its_iri_and_code(complete: dict[str, dict], name: str) -> None:  # type: ignore[type-arg]
    subset = _concepts(FOLDER / f"{name}.ttl")
    assert subset
    for iri, po in subset.items():
        assert iri in complete[name], iri
        assert complete[name][iri][SKOS + "notation"] == po[SKOS + "notation"]
        assert complete[name][iri][SKOS + "inScheme"] == po[SKOS + "inScheme"]


def test_the_setting_chooses_the_files() -> None:
    assert Settings.from_env({}).terminology_set == "complete"
    assert Settings.from_env({"FAIRGRID_TERMINOLOGY_SET": " Subset "}).terminology_set == "subset"
    with pytest.raises(InputError, match="FAIRGRID_TERMINOLOGY_SET"):
        Settings.from_env({"FAIRGRID_TERMINOLOGY_SET": "all"})
    assert [p.parent.name for p in terminology_files()] == ["complete"] * 3
    assert terminology_files(terminology_set="subset") == sorted(FOLDER.glob("*.ttl"))


def test_without_a_complete_folder_the_subsets_are_registered(tmp_path: Path) -> None:
    (tmp_path / "terminologies").mkdir()
    (tmp_path / "terminologies" / "icd10.ttl").write_text("")
    assert terminology_files(tmp_path) == [tmp_path / "terminologies" / "icd10.ttl"]
