"""registry/json_text.py: standard JSON only, and a reason for each refusal."""

from __future__ import annotations

import json

import pytest

from registry import json_text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"v": NaN}', "NaN is not a JSON number"),
        ("[Infinity]", "Infinity is not a JSON number"),
        ("-Infinity", "-Infinity is not a JSON number"),
        ("9" * 5000, "a number has too many digits"),
        # a str Python reads from these cannot be encoded again (a 500 wherever it went next)
        ('"\\ud800"', "lone UTF-16 surrogate"),
        ('{"a": ["x\\uDFFF"]}', "lone UTF-16 surrogate"),
        ('{"\\udc00": 1}', "lone UTF-16 surrogate"),
        ('"\\ude00\\ud83d"', "lone UTF-16 surrogate"),  # a pair in the wrong order
        ('"\ud800"', "lone UTF-16 surrogate"),  # text that already holds one
        (b'"\xed\xa0\x80"', "not UTF-8"),  # a surrogate encoded as UTF-8 bytes (Python reads it)
        (b'{"a": "\xff"}', "not UTF-8"),
    ],
)
def test_what_python_reads_but_json_does_not_have_is_refused(text: str | bytes, reason: str) -> None:
    with pytest.raises(json_text.NotJson, match=reason):
        json_text.loads(text)


def test_standard_json_reads_as_json_loads_reads_it() -> None:
    text = '{"a": [1, 2.5, -0, 1e300, "NaN", null, true], "b": {"' + "9" * 4300 + '": 1}}'
    assert json_text.loads(text) == json.loads(text)
    assert json_text.loads(b'{"n": ' + b"9" * 4300 + b"}") == {"n": int("9" * 4300)}
    with pytest.raises(json.JSONDecodeError):
        json_text.loads("{")
    pair = '["\\ud83d\\ude00", "\\u00e9"]'  # a surrogate pair is one character
    assert json_text.loads(pair) == json.loads(pair) == ["\U0001f600", "\u00e9"]
    assert json_text.loads('"\u00e9"'.encode("utf-16")) == "\u00e9"  # as json.loads, UTF-16 by its BOM


def test_a_byte_order_mark_is_not_part_of_the_value() -> None:
    """RFC 8259 8.1 lets a reader ignore one; decoded bytes and text without it read the same."""
    assert json_text.loads(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}
    assert json_text.loads('\ufeff{"a": 1}') == {"a": 1}
    with pytest.raises(json.JSONDecodeError):
        json_text.loads('{"a": 1}\ufeff')  # anywhere else it is a character out of place
