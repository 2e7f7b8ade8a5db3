"""Folding for comparison: case and accents go, letters stay."""

from __future__ import annotations

import pytest

from registry.folding import fold, other_spellings, spelling


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


@pytest.mark.parametrize(
    ("folded", "spelled"),
    [
        ("sickle-cell anaemia", "sickle cell anemia"),
        ("oedema, unspecified", "edema unspecified"),
        ("haemoglobin", "hemoglobin"),
        ("diarrhoea", "diarrhea"),
        ("tumour lysis syndrome", "tumor lysis syndrome"),
        ("leukaemia [cml], bcr/abl-positive", "leukemia cml bcr abl positive"),
        ("  --  ", ""),
        ("pseudonymised, organisations", "pseudonymized organizations"),
        ("analysed at the centre", "analyzed at the center"),
        ("catalogue of behaviours", "catalog of behaviors"),
        ("modelling labelled data", "modeling labeled data"),
        ("smouldering myeloma", "smoldering myeloma"),
        ("could should", "could should"),
        ("analysis basis crisis", "analysis basis crisis"),  # -is that is not -ise stays
    ],
)
def test_spelling(folded: str, spelled: str) -> None:
    assert spelling(folded) == spelled


def test_other_spellings_lists_only_the_words_that_have_one() -> None:
    text = "Haematology unit: paediatric Oedema, tumour-lysis; Sickle-cell anaemia at the Centre"
    assert other_spellings(text) == "hematology pediatric edema tumor anemia center"
    assert other_spellings("Hematology registry of adults") == ""
