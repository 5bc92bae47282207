"""An organisation's closing days, as ``policy.toml`` writes them.

``closures = ["2026-12-24", "2026-12-26..2027-01-01"]`` lists dates and inclusive ranges of
dates; ``yearly_closures = ["12-24"]`` lists days closed every year. Both read into plain sets
(dates, and ``(month, day)`` pairs) that :class:`~engine.rules.business_calendar.BusinessCalendar`
counts like public holidays. Reading never raises: it returns what it understood and one
:class:`~engine.problems.Wording` per entry it could not read.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Final

from engine.problems import Wording

RANGE_SEPARATOR: Final = ".."
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DAY_OF_YEAR = re.compile(r"(\d{2})-(\d{2})")
_LEAP_YEAR = 2000  # a year in which every MM-DD exists, 02-29 included


def closing_dates(values: object, key: str) -> tuple[frozenset[date], list[Wording]]:
    """The dates ``values`` closes (dates, ``"YYYY-MM-DD"`` or ``"FIRST..LAST"``, inclusive)."""
    if not isinstance(values, list):
        example = '["2026-12-24", "2026-12-26..2027-01-01"]'
        return frozenset(), [Wording("closures_not_list", key=key, example=example)]
    dates: set[date] = set()
    problems = []
    for value in values:
        try:
            first, last = _closed_range(value)
        except ValueError as exc:
            problems.append(exc.args[0])
            continue
        dates.update(first + timedelta(days=n) for n in range((last - first).days + 1))
    return frozenset(dates), problems


def yearly_closing_days(
    values: object, key: str
) -> tuple[frozenset[tuple[int, int]], list[Wording]]:
    """The ``(month, day)`` pairs ``values`` closes every year (``"MM-DD"``)."""
    if not isinstance(values, list):
        return frozenset(), [Wording("closures_not_list", key=key, example='["12-24"]')]
    days: set[tuple[int, int]] = set()
    problems = []
    for value in values:
        match = _DAY_OF_YEAR.fullmatch(value.strip()) if isinstance(value, str) else None
        try:
            if match is None:
                raise ValueError
            day = date(_LEAP_YEAR, int(match[1]), int(match[2]))
        except ValueError:
            problems.append(Wording("yearly_closure_invalid", value=_shown(value)))
            continue
        days.add((day.month, day.day))
    return frozenset(days), problems


def _closed_range(value: object) -> tuple[date, date]:
    """``(first, last)`` of one entry; ValueError with the problem's Wording otherwise."""
    if isinstance(value, date) and not isinstance(value, datetime):  # a TOML date
        return value, value
    if not isinstance(value, str):
        raise ValueError(Wording("closure_invalid", value=_shown(value)))
    first_text, separator, last_text = value.partition(RANGE_SEPARATOR)
    first = _date(first_text, value)
    last = _date(last_text, value) if separator else first
    if last < first:
        raise ValueError(Wording("closure_reversed", value=value))
    return first, last


def _date(text: str, value: str) -> date:
    text = text.strip()
    try:
        if not _DATE.fullmatch(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(Wording("closure_invalid", value=value)) from None


def _shown(value: object) -> str:
    return value if isinstance(value, str) else repr(value)
