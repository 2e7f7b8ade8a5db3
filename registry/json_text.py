"""JSON as callers send it: standard JSON only (RFC 8259), refused with a reason a person can act on.

Python's reader also takes NaN, Infinity and -Infinity, and it stops at integers of over 4,300 digits
with a ValueError that is not a JSONDecodeError (and tells the caller to call a Python function). Both
reached places that expected neither: NaN passed every range check of a site load, and a long integer
in GraphQL variables was a 500.
"""

from __future__ import annotations

import json
import math


class NotJson(ValueError):
    """Valid for Python's reader, not JSON: the message says why."""


def _refuse_constant(name: str) -> None:
    raise NotJson(f"{name} is not a JSON number")


def loads(data: str | bytes) -> object:
    """json.loads for standard JSON. Raises json.JSONDecodeError for malformed text, NotJson for
    NaN, Infinity or an integer too long to read, RecursionError for nesting too deep to read."""
    try:
        return json.loads(data, parse_constant=_refuse_constant)
    except json.JSONDecodeError:
        raise
    except NotJson:
        raise
    except ValueError as exc:
        if "integer string conversion" in str(exc):  # Python's limit on digits, not JSON's
            raise NotJson("a number has too many digits (over 4,300)") from None
        raise


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
