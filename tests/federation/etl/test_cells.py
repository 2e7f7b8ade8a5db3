"""Cells as exports write them: dates with their time of day, values reported as bounds."""

from __future__ import annotations

from datetime import date

import pytest

from federation.etl.cells import Cells
from federation.site.elements import RecordError

ISO = Cells.of({}, "mapping")
GERMAN = Cells.of({"csv": {"date_format": "%d.%m.%Y"}}, "mapping")
SPELLED = Cells.of({"csv": {"date_format": "%d %b %Y"}}, "mapping")


@pytest.mark.parametrize(
    ("cells", "text"),
    [
        (ISO, "2020-01-31 08:30:00"),  # Excel's and most databases' timestamp
        (ISO, "2020-01-31T08:30:00Z"),
        (ISO, "2020-01-31T08:30+01:00"),
        (ISO, "2020-01-31 8:30"),
        (ISO, "2020-01-31 08:30:00.123"),
        (GERMAN, "31.01.2020 08:30"),
        (GERMAN, "31.01.2020 08:30:15,5"),
        (SPELLED, "31 Jan 2020 23:59"),
    ],
)
def test_a_timestamp_gives_its_day(cells: Cells, text: str) -> None:
    """Each was quarantined as "not a date": lab exports write the time a sample was taken."""
    assert cells.day(text, "event date") == date(2020, 1, 31)


@pytest.mark.parametrize(
    ("cells", "text"),
    [
        (ISO, "2020-01-31 25:00"),
        (ISO, "2020-01-31 08:30 later"),
        (ISO, "08:30"),
        (GERMAN, "2020-01-31 08:30"),
    ],
)
def test_what_is_no_date_and_time_is_refused(cells: Cells, text: str) -> None:
    with pytest.raises(RecordError, match="is not a date"):
        cells.day(text, "event date")


def test_a_date_format_with_spaces_still_reads_a_bare_date() -> None:
    assert SPELLED.day("03 Apr 2020", "event date") == date(2020, 4, 3)


@pytest.mark.parametrize(
    ("text", "read"),
    [("<0.5", ("<", 0.5)), ("<= 0.5", ("<=", 0.5)), ("\u2265 1000", (">=", 1000)), (" 7.5 ", ("", 7.5))],
)
def test_a_value_reported_as_a_bound(text: str, read: tuple[str, float]) -> None:
    assert ISO.bounded(text, "platelets") == read
