"""How a hospital export writes its cells: the encoding, the separator, the decimal mark and the date format.

Excel in German, French, Italian or Dutch settings saves "CSV" with semicolons and decimal commas
("9,1" g/dL), and many exports write dates as 31/12/2020 or 31.12.2020. Read with commas and ISO dates
only, such a file was one column that matched no table, and each value a refused row. The separator is
taken from the header line unless the mapping names it; the decimal mark and the date format are the
mapping's to say (`csv:` in mappings/synthetic.yaml), never guessed: "1,005" is 1.005 or 1005, and
03/04/2020 is March or April, depending on who wrote it. The text is UTF-8 (or UTF-16, as Excel's
"Unicode Text" saves it, told by its byte order mark) unless the mapping names another encoding: older
Excel saves "CSV" in the Windows code page (cp1252), which is not UTF-8 as soon as a name has an accent.
"""

from __future__ import annotations

import codecs
import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from federation.site.elements import RecordError
from registry.errors import InputError

SEPARATORS = {",": ",", ";": ";", "tab": "\t", "\t": "\t", "|": "|"}
DECIMALS = (".", ",")
ISO = "%Y-%m-%d"
KEYS = ("encoding", "separator", "decimal", "date_format")  # of the mapping's `csv:` block


@dataclass(frozen=True)
class Cells:
    separator: str | None = None  # None: the one the header line uses
    decimal: str = "."
    date_format: str = ISO
    encoding: str | None = None  # None: UTF-8, or UTF-16 when the file starts with its byte order mark

    @classmethod
    def of(cls, mapping: dict[str, Any], where: str) -> Cells:
        """The mapping's `csv:` block, checked; InputError names the key that is wrong."""
        spec = mapping.get("csv") or {}
        if not isinstance(spec, dict):
            raise InputError(f"{where}: `csv` must be a mapping of {', '.join(KEYS)}")
        unknown = sorted(map(str, set(spec) - set(KEYS)))
        if unknown:
            raise InputError(f"{where}: unknown `csv` key(s) {unknown}", hint=f"use {', '.join(KEYS)}")
        raw_sep = spec.get("separator", "auto")
        if raw_sep != "auto" and (not isinstance(raw_sep, str) or raw_sep not in SEPARATORS):
            raise InputError(
                f"{where}: csv.separator {raw_sep!r} is not one of auto, ',', ';', tab, '|'",
                hint="name the character between the cells of the export",
            )
        decimal = spec.get("decimal", ".")
        if decimal not in DECIMALS:
            raise InputError(f"{where}: csv.decimal {decimal!r} is not '.' or ','")
        separator = None if raw_sep == "auto" else SEPARATORS[raw_sep]
        if separator == decimal:
            raise InputError(f"{where}: csv.separator and csv.decimal are both {decimal!r}")
        fmt = spec.get("date_format", ISO)
        if not isinstance(fmt, str) or not _round_trips(fmt):
            raise InputError(
                f"{where}: csv.date_format {fmt!r} does not write a day, a month and a year",
                hint="use strftime codes, e.g. '%d/%m/%Y' or '%d.%m.%Y'",
            )
        encoding = spec.get("encoding", "auto")
        try:
            if not isinstance(encoding, str):
                raise LookupError(encoding)
            if encoding != "auto":
                "a".encode(encoding)  # LookupError also for codecs that are no text encoding (rot13)
        except LookupError:
            raise InputError(
                f"{where}: csv.encoding {encoding!r} is not a text encoding Python knows",
                hint="e.g. utf-8, cp1252 (Excel on Windows), latin-1",
            ) from None
        return cls(separator, decimal, fmt, None if encoding == "auto" else encoding)

    def encoding_of(self, path: Path) -> str:
        """The encoding to read `path` with: the mapping's, else UTF-16 by its byte order mark, else
        UTF-8 (a UTF-8 byte order mark skipped)."""
        if self.encoding is not None:
            return self.encoding
        with path.open("rb") as fh:
            head = fh.read(2)
        return "utf-16" if head in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else "utf-8-sig"

    def separator_of(self, header_line: str) -> str:
        """The separator of a file whose first line is `header_line`: the mapping's, or the candidate
        the line holds most of (a header of one column: a comma)."""
        if self.separator is not None:
            return self.separator
        counts = {sep: header_line.count(sep) for sep in (",", ";", "\t", "|")}
        best = max(counts, key=lambda sep: counts[sep])
        return best if counts[best] else ","

    def number(self, value: str, what: str) -> float:
        text = value.strip()
        if self.decimal == ",":
            if "." in text:  # a thousands mark or a decimal point: which one, the export does not say
                raise RecordError(f"{what}: {value!r} is not a number with a decimal comma (csv.decimal)")
            text = text.replace(",", ".")
        try:
            if "_" in text:  # Python's float() reads 1_000; no export means it
                raise ValueError(text)
            number = float(text)
            if not math.isfinite(number):
                raise ValueError(text)
        except ValueError:
            hint = (
                " (an export with decimal commas needs csv.decimal: ',' in the mapping)"
                if "," in text
                else ""
            )
            raise RecordError(f"{what}: {value!r} is not a number{hint}") from None
        return int(number) if number.is_integer() and "." not in text else number

    def bounded(self, value: str, what: str) -> tuple[str, float]:
        """A lab value that may be reported as a bound: "<0.5", "<= 0.5", ">5000" (also with the signs
        \u2264 and \u2265) -> (FHIR comparator, number); ("", number) for a plain value."""
        text = value.strip().replace("\u2264", "<=").replace("\u2265", ">=")
        comparator = next((sign for sign in ("<=", ">=", "<", ">") if text.startswith(sign)), "")
        try:
            return comparator, self.number(text[len(comparator) :], what)
        except RecordError:
            self.number(value, what)  # raises, naming the value as the export wrote it
            raise

    def day(self, value: str, what: str) -> date:
        """The day of a date cell. A time after the date (a timestamp, as lab and Excel exports write
        dates: "2020-01-31 08:30:00", "2020-01-31T08:30+01:00") is left out, the day kept as written."""
        text = value.strip()
        timestamp = _TIMESTAMP.fullmatch(text)
        for candidate in (text, timestamp.group(1)) if timestamp else (text,):
            try:
                if self.date_format == ISO:
                    return date.fromisoformat(candidate)
                return datetime.strptime(candidate, self.date_format).date()
            except ValueError:
                continue
        shown = "YYYY-MM-DD" if self.date_format == ISO else self.date_format
        raise RecordError(f"{what}: {value!r} is not a date ({shown}; csv.date_format)")


# A date, then a time of day and perhaps its UTC offset: 2020-01-31 08:30, 31.01.2020 08:30:15,5, ...T08:30Z
_TIMESTAMP = re.compile(
    r"(.{6,32}?)[T ]\s*(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d{1,9})?)?"
    r"(?:\s?(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d))?"
)


def _round_trips(fmt: str) -> bool:
    """True when `fmt` writes and reads back a whole date (so it names a day, a month and a year)."""
    probe = date(2031, 11, 27)
    try:
        return datetime.strptime(probe.strftime(fmt), fmt).date() == probe
    except ValueError:
        return False
