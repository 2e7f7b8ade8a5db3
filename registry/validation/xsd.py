"""Lexical well-formedness of the XSD datatypes records use (what rdflib calls ill-typed)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

XSD = "http://www.w3.org/2001/XMLSchema#"

_INT = re.compile(r"^[+-]?\d+$")
_DEC = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_DBL = re.compile(r"^([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?INF|NaN)$")
_TZ = r"(Z|[+-]\d{2}:\d{2})?"
_DATE = re.compile(r"^(-?\d{4,})-(\d{2})-(\d{2})" + _TZ + "$")
_DATETIME = re.compile(r"^(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?" + _TZ + "$")
_TIME = re.compile(r"^(\d{2}):(\d{2}):(\d{2})(\.\d+)?" + _TZ + "$")
_GYEAR = re.compile(r"^-?\d{4,}" + _TZ + "$")
_GYM = re.compile(r"^-?\d{4,}-(\d{2})" + _TZ + "$")
_DURATION = re.compile(r"^-?P(?!$)(\d+Y)?(\d+M)?(\d+D)?(T(?!$)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")


def _int_range(lo: int | None, hi: int | None) -> Callable[[str], bool]:
    def check(v: str) -> bool:
        text = v.strip()
        if not _INT.match(text):
            return False
        digits = text.lstrip("+-").lstrip("0") or "0"
        negative = text.startswith("-")
        if len(digits) > 40:
            # beyond every bounded type (2**64 has 20 digits), and int() refuses thousands of digits
            # (a 5,000-digit count was a 500): only the sign decides
            return lo is None if negative else hi is None
        n = -int(digits) if negative else int(digits)  # leading zeros count towards int()'s limit too
        return (lo is None or n >= lo) and (hi is None or n <= hi)

    return check


def _real_day(m: re.Match[str]) -> bool:
    """Groups 1-3 of a date or dateTime match name a day that exists (no 31 April, no 29 Feb 2023)."""
    try:
        date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return False
    return True


def _date(v: str) -> bool:
    m = _DATE.match(v)
    return m is not None and _real_day(m)


def _datetime(v: str) -> bool:
    m = _DATETIME.match(v)
    if m is None or not _real_day(m):
        return False
    return int(m.group(4)) <= 24 and int(m.group(5)) < 60 and int(m.group(6)) < 61


def _gym(v: str) -> bool:
    m = _GYM.match(v)
    return m is not None and 1 <= int(m.group(1)) <= 12


CHECKS: dict[str, Callable[[str], bool]] = {
    XSD + "integer": _int_range(None, None),
    XSD + "int": _int_range(-(2**31), 2**31 - 1),
    XSD + "long": _int_range(-(2**63), 2**63 - 1),
    XSD + "short": _int_range(-(2**15), 2**15 - 1),
    XSD + "byte": _int_range(-128, 127),
    XSD + "nonNegativeInteger": _int_range(0, None),
    XSD + "positiveInteger": _int_range(1, None),
    XSD + "nonPositiveInteger": _int_range(None, 0),
    XSD + "negativeInteger": _int_range(None, -1),
    XSD + "unsignedInt": _int_range(0, 2**32 - 1),
    XSD + "unsignedLong": _int_range(0, 2**64 - 1),
    XSD + "decimal": lambda v: bool(_DEC.match(v.strip())),
    XSD + "double": lambda v: bool(_DBL.match(v.strip())),
    XSD + "float": lambda v: bool(_DBL.match(v.strip())),
    XSD + "boolean": lambda v: v.strip() in ("true", "false", "1", "0"),
    XSD + "date": _date,
    XSD + "dateTime": _datetime,
    XSD + "time": lambda v: bool(_TIME.match(v)),
    XSD + "gYear": lambda v: bool(_GYEAR.match(v)),
    XSD + "gYearMonth": _gym,
    XSD + "duration": lambda v: bool(_DURATION.match(v)),
}


def well_formed(lexical: str, datatype: str) -> bool:
    """True when the lexical form is valid for the datatype (unknown datatypes always pass)."""
    check = CHECKS.get(datatype)
    return True if check is None else check(lexical)
