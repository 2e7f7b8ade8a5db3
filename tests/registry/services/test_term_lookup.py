"""Term lookups: folded codes and labels, the other spelling, ranks, and the one-string scan's edges."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from registry.services.term_lookup import TermLookup


@dataclass(frozen=True)
class C:
    notation: str | None
    label: str
    alt_labels: list[str] = field(default_factory=list)
    scheme: str = "icd10"


D57 = C("D57.1", "Sickle-cell anaemia without crisis")
ORPHA_232 = C("ORPHA:232", "Sickle cell anemia", scheme="orpha")
C88 = C("C88.0", "Waldenström macroglobulinaemia")
R60 = C("R60", "Oedema, not elsewhere classified")
HP_969 = C("HP:0000969", "Edema", ["Fluid retention"], scheme="hpo")
TAB = C(None, "rat", ["bite"])  # "rat\tbite" holds "t\tb", which no label of it holds
ALL = [D57, ORPHA_232, C88, R60, HP_969, TAB]


def find(text: str, exact: C | None = None, scheme: str | None = None, limit: int = 50) -> list[C]:
    return TermLookup(ALL).search(text, exact, scheme, limit)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sickle cell anemia", [ORPHA_232, D57]),  # as typed first, then the other spelling
        ("Sickle-cell anaemia", [D57, ORPHA_232]),
        ("WALDENSTROM", [C88]),
        ("macroglobulinemia", [C88]),
        ("oedema", [R60, HP_969]),
        ("edema", [HP_969, R60]),
        ("retention", [HP_969]),  # an alt label
        ("d57", [D57]),
        ("t\tb", []),
        ("zzz", []),
    ],
)
def test_search(text: str, expected: list[C]) -> None:
    assert find(text) == expected


def test_empty_and_separator_needles_hold_what_they_held() -> None:
    assert find("") == sorted(ALL, key=lambda c: c.notation or c.label)  # every concept, by code
    assert find("-") == [D57]  # only the label with a hyphen, not every label


def test_exact_first_scheme_and_limit() -> None:
    assert find("anemia", exact=HP_969) == [HP_969, ORPHA_232, D57]
    assert find("anemia", scheme="icd10") == [D57]
    assert find("e", limit=2) == find("e")[:2]
    assert len(find("e")) == len(set(map(id, find("e"))))  # each concept once, however often it holds it


def test_an_empty_lookup_finds_nothing() -> None:
    assert TermLookup[C]([]).search("anemia", None, None, 50) == []
