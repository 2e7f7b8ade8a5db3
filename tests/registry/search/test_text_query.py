"""registry/search/text_query.py: what a search text asks for."""

from __future__ import annotations

import pytest

from registry.search.text_query import TextQuery, read


@pytest.mark.parametrize(
    ("text", "groups", "excluded"),
    [
        (None, (), ()),
        ("  ", (), ()),
        ("sickle cell", (("sickle",), ("cell",)), ()),
        ("sickle OR myeloma", (("sickle", "myeloma"),), ()),
        ("a OR b OR c d", (("a", "b", "c"), ("d",)), ()),
        ("myeloma -smouldering --MGUS", (("myeloma",),), ("smouldering", "MGUS")),
        ("- -- myeloma", (("-",), ("--",), ("myeloma",)), ()),  # dashes alone are punctuation
        ("OR a", (("OR",), ("a",)), ()),  # joins nothing: a word
        ("a OR", (("a",), ("OR",)), ()),
        ("a OR OR b", (("a", "OR"), ("b",)), ()),
        ("a OR -b", (("a",),), ("b",)),
        ("a or b", (("a",), ("or",), ("b",)), ()),  # lower case: the word
        ("a a OR a -b -b", (("a",),), ("b",)),  # each once
        ("sickle-cell", (("sickle-cell",),), ()),  # a hyphen inside a word is not an exclusion
    ],
)
def test_read(text: str | None, groups: tuple[tuple[str, ...], ...], excluded: tuple[str, ...]) -> None:
    assert read(text) == TextQuery(groups, excluded)


def test_the_words_asked_for_leave_out_the_excluded() -> None:
    assert read("a OR b c -d a").words == ("a", "b", "c")
