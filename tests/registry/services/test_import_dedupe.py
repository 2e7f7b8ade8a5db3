"""Import batches: a record described twice is imported once (or refused if the two differ); big records
are committed in several batches."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.config import Settings
from registry.identity import local_operator
from registry.services import importer
from registry.wiring import open_registry

SCHEME = """@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
<https://w3id.org/fairgrid/terminology/{name}> a skos:ConceptScheme ; dct:title "T"@en .
<https://w3id.org/fairgrid/terminology/{name}/c1> a skos:Concept ; skos:prefLabel "{label}"@en ;
    skos:notation "C1" ; skos:inScheme <https://w3id.org/fairgrid/terminology/{name}> ;
    skos:topConceptOf <https://w3id.org/fairgrid/terminology/{name}> .
"""


def _files(folder: Path, *labels: str) -> list[Path]:
    folder.mkdir()
    out = []
    for n, label in enumerate(labels):
        out.append(folder / f"t{n}.ttl")
        out[-1].write_text(SCHEME.replace("{label}", label).replace("{name}", folder.name))
    return out


def test_a_repeated_record_is_imported_once_and_a_different_one_refused(tmp_path: Path) -> None:
    reg = open_registry(Settings(home=tmp_path / "home"))
    try:
        same = reg.importer.run(local_operator(), _files(tmp_path / "a", "one", "one"))
        assert (same.imported, same.rejected) == (1, 0)
        differ = reg.importer.run(local_operator(), _files(tmp_path / "b", "two", "three"))
        assert (differ.imported, differ.rejected) == (1, 1)
        assert "described, differently" in differ.rejections[0].error.message  # type: ignore[union-attr]
        assert reg.store.count() == 2  # one scheme from each import
    finally:
        reg.close()


def test_a_batch_is_also_cut_by_its_triples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # big records (a complete terminology: 120,000 triples) are committed a few at a time, not 250
    monkeypatch.setattr(importer, "BATCH_TRIPLES", 5)
    reg = open_registry(Settings(home=tmp_path / "home"))
    try:
        files = [*_files(tmp_path / "a", "one"), *_files(tmp_path / "b", "two"), *_files(tmp_path / "c", "3")]
        before = reg.store.local_commits
        summary = reg.importer.run(local_operator(), files)
        assert summary.imported == 3 and reg.store.count() == 3
        assert reg.store.local_commits - before == 3  # one commit per record of 7 triples
    finally:
        reg.close()
