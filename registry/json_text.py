"""JSON as callers send it: standard JSON only (RFC 8259), refused with a reason a person can act on.

Python's reader also takes NaN, Infinity and -Infinity, and it stops at integers of over 4,300 digits
with a ValueError that is not a JSONDecodeError (and tells the caller to call a Python function). Both
reached places that expected neither: NaN passed every range check of a site load, and a long integer
in GraphQL variables was a 500. It also turns an escaped lone surrogate ("\\ud800") into a str that
cannot be encoded as UTF-8 again: every value that reached tantivy, pyoxigraph or a JSON response with
one was a 500. RFC 8259 (section 8.2) leaves such strings to the reader; they are not Unicode text.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator


class NotJson(ValueError):
    """Valid for Python's reader, not JSON: the message says why."""


def _refuse_constant(name: str) -> None:
    raise NotJson(f"{name} is not a JSON number")


# An escaped UTF-16 surrogate: half of a pair, or alone. Only when one is there is the value checked.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = "a string holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not a Unicode character"


def loads(data: str | bytes) -> object:
    """json.loads for standard JSON. Raises json.JSONDecodeError for malformed text, NotJson for
    NaN, Infinity, an integer too long to read, a lone surrogate or bytes that are not Unicode text,
    RecursionError for nesting too deep to read."""
    text = _text(data)
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError:
        raise
    except NotJson:
        raise
    except ValueError as exc:
        if "integer string conversion" in str(exc):  # Python's limit on digits, not JSON's
            raise NotJson("a number has too many digits (over 4,300)") from None
        raise
    if _SURROGATE_ESCAPE.search(text) and not _encodable(value):
        raise NotJson(_LONE_SURROGATE)
    return value


def _text(data: str | bytes) -> str:
    """`data` as text, as json.loads would decode it (UTF-8, or UTF-16/32 by its first bytes), without
    a leading byte order mark."""
    if isinstance(data, bytes | bytearray):
        encoding = json.detect_encoding(data)
        try:
            return bytes(data).decode(encoding)
        except UnicodeDecodeError as exc:
            raise NotJson(f"the text is not {encoding.upper()} (byte {exc.start})") from None
    try:
        data.encode("utf-8")
    except UnicodeEncodeError:
        raise NotJson(_LONE_SURROGATE) from None
    return data.removeprefix("\ufeff")  # a byte order mark, as decoded bytes would drop it (RFC 8259, 8.1)


def _encodable(value: object) -> bool:
    """True when every string (keys too) is Unicode text."""
    for item in scalars(value):
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
    return True


def scalars(value: object) -> Iterator[object]:
    """Every scalar of a JSON value, object keys included; walked without recursion, as deep as read."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        else:
            yield item


def finite(value: int | float) -> float:
    """A JSON number as a finite float; ValueError saying why not. JSON allows integers of any size
    (beyond a float's range) and Python's reader gives NaN and Infinity."""
    try:
        number = float(value)
    except OverflowError:
        raise ValueError("the number is too large") from None
    if not math.isfinite(number):
        raise ValueError(f"{number} is not a finite number")
    return number
