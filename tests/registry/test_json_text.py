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
    ],
)
def test_what_python_reads_but_json_does_not_have_is_refused(text: str, reason: str) -> None:
    with pytest.raises(json_text.NotJson, match=reason):
        json_text.loads(text)


def test_standard_json_reads_as_json_loads_reads_it() -> None:
    text = '{"a": [1, 2.5, -0, 1e300, "NaN", null, true], "b": {"' + "9" * 4300 + '": 1}}'
    assert json_text.loads(text) == json.loads(text)
    assert json_text.loads(b'{"n": ' + b"9" * 4300 + b"}") == {"n": int("9" * 4300)}
    with pytest.raises(json.JSONDecodeError):
        json_text.loads("{")
