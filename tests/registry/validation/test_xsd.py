"""registry/validation/xsd.py on integers too long for Python's int(): the sign and the type decide."""

from __future__ import annotations

import pytest

from registry.validation.xsd import XSD, well_formed

LONG = "9" * 5000


@pytest.mark.parametrize(
    ("lexical", "datatype", "ok"),
    [
        (LONG, "integer", True),
        (LONG, "nonNegativeInteger", True),
        ("-" + LONG, "nonNegativeInteger", False),
        ("-" + LONG, "nonPositiveInteger", True),
        (LONG, "negativeInteger", False),
        (LONG, "long", False),
        ("+" + LONG, "unsignedInt", False),
        ("0" * 5000 + "7", "byte", True),  # leading zeros do not make a number long
        ("0" * 5000 + "700", "byte", False),
    ],
)
def test_long_integers(lexical: str, datatype: str, ok: bool) -> None:
    assert well_formed(lexical, XSD + datatype) is ok
