from __future__ import annotations

import pytest

from registry import code_forms


@pytest.mark.parametrize(
    ("gm", "who"),
    [
        ("C90.00", "C90.0"),  # multiple myeloma, not in remission
        ("C90.01", "C90.0"),
        ("c9000", "C90.0"),
        ("D57.0", "D57.0"),
        ("E10.30+", "E10.3"),  # the dagger code of a dagger-asterisk pair
        ("E10.30\u2020", "E10.3"),
        ("H36.0*", "H36.0"),
        ("U69.10!", "U69.1"),
        ("D61", "D61"),
    ],
)
def test_an_icd10_gm_code_gives_the_who_code_it_refines(gm: str, who: str) -> None:
    assert code_forms.icd10_gm_to_who(gm) == who


@pytest.mark.parametrize(("written", "dotted"), [("D469", "D46.9"), ("d46.9", "D46.9"), ("C90", "C90")])
def test_an_icd10_code_gets_its_dot(written: str, dotted: str) -> None:
    assert code_forms.icd10(written) == dotted
