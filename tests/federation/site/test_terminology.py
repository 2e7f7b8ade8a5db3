"""A site's terminology reads the complete ICD-10 and ORPHA files: any real code is known, hierarchy kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from federation.site.terminology import Terminology, default_dir

TERMINOLOGIES = Path(__file__).resolve().parents[3] / "ontologies" / "terminologies"


def test_the_bundled_default_is_the_complete_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FAIRGRID_TERMINOLOGIES", raising=False)
    assert default_dir() == TERMINOLOGIES / "complete"
    terms = Terminology.load()
    # codes outside the use cases' subsets: a site may hold any diagnosis
    assert terms.known("icd10", "A00.0") and terms.known("icd10", "C50.9") and terms.known("icd10", "XXII")
    assert terms.known("orpha", "232") and terms.known("orpha", "33226")
    assert not terms.known("icd10", "D46.3")  # removed before the 2019 edition
    assert not terms.known("icd10", "D46-X") and not terms.known("orpha", "99999999")
    assert terms.descendants("icd10", "D46") == {
        f"D46{s}" for s in ("", ".0", ".1", ".2", ".4", ".5", ".6", ".7", ".9")
    }
    assert "C90.0" in terms.descendants("icd10", "II")  # chapter > block > block > category > code


def test_the_subsets_still_load() -> None:
    terms = Terminology.load(TERMINOLOGIES)
    assert terms.known("icd10", "D46.2") and not terms.known("icd10", "A00.0")
    assert terms.descendants("icd10", "D57") >= {"D57.0", "D57.1"}
