"""Folding for comparison: case and accents go, letters stay."""

from __future__ import annotations

import pytest

from registry.folding import fold


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Waldenström", "waldenstrom"),
        ("Sézary", "sezary"),
        ("Behçet", "behcet"),
        ("Guillain-Barré", "guillain-barre"),
        ("Straße", "strasse"),
        ("Ørsted æble œuvre Łódź", "orsted aeble oeuvre lodz"),
        ("ﬁbrosis", "fibrosis"),  # a ligature, as PDFs give it
        ("D46.9", "d46.9"),
        ("", ""),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_fold_keeps_scripts_without_a_latin_form() -> None:
    assert fold("骨髄異形成症候群") == "骨髄異形成症候群"
    assert fold("Миелома") == "миелома"
