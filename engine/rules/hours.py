"""Opening hours per weekday, as ``[organisation.hours]`` writes them.

``monday = "09:00-12:30,13:30-18:00"``: one key per open weekday, each a list of periods in
local 24-hour time (``24:00`` may end the last one); a weekday without a key is closed.
Reading never raises: it returns the hours it understood and one
:class:`~engine.problems.Wording` per setting it could not read, with the setting's key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Final

from engine.problems import Wording

WEEKDAYS: Final[tuple[str, ...]] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
MINUTES_PER_DAY: Final = 24 * 60
_PERIOD = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")

#: Minutes after local midnight: ``(start, end)``, end excluded.
Period = tuple[int, int]


@dataclass(frozen=True)
class OpeningHours:
    """The opening periods of each weekday, Monday first, in minutes after local midnight."""

    week: tuple[tuple[Period, ...], ...]

    def on(self, weekday: int) -> tuple[Period, ...]:
        """The periods of ``weekday`` (Monday = 0), in order; empty when closed that day."""
        return self.week[weekday]


def opening_hours(
    table: Mapping[str, object],
) -> tuple[OpeningHours | None, list[tuple[str | None, Wording]]]:
    """The hours of ``table`` (``{"monday": "09:00-18:00", …}``), or the problems by key.

    A key of ``None`` in the problems means the table as a whole.
    """
    problems: list[tuple[str | None, Wording]] = []
    for key in table:
        if key not in WEEKDAYS:
            known = ", ".join(WEEKDAYS)
            problems.append((key, Wording("hours_unknown_day", day=key, known=known)))
    week = []
    for day in WEEKDAYS:
        periods, problem = _periods(table.get(day, ""), day in table)
        if problem is not None:
            problems.append((day, problem))
        week.append(periods)
    if not problems and not any(week):
        problems.append((None, Wording("hours_never_open")))
    return (None if problems else OpeningHours(tuple(week))), problems


def _periods(text: object, given: bool) -> tuple[tuple[Period, ...], Wording | None]:
    if not given:
        return (), None
    example = "09:00-12:30,13:30-18:00"
    if not isinstance(text, str) or not text.strip():
        return (), Wording("hours_not_text", example=example)
    periods = []
    for part in text.split(","):
        match = _PERIOD.fullmatch(part)
        if match is None:
            return (), Wording("hours_invalid", hours=text, example=example)
        start = _minutes(match[1], match[2], end=False)
        end = _minutes(match[3], match[4], end=True)
        if start is None or end is None:
            return (), Wording("hours_invalid", hours=text, example=example)
        if end <= start:
            return (), Wording("hours_empty_period", period=part.strip())
        periods.append((start, end, part.strip()))
    periods.sort()
    for (_, end, first), (start, _, second) in pairwise(periods):
        if start < end:
            return (), Wording("hours_overlap", first=first, second=second)
    return tuple((start, end) for start, end, _ in periods), None


def _minutes(hours: str, minutes: str, *, end: bool) -> int | None:
    """Minutes after midnight of ``HH:MM``; ``24:00`` only as the end of a period."""
    value = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or value > MINUTES_PER_DAY or (value == MINUTES_PER_DAY and not end):
        return None
    return value
