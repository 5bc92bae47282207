"""The time a clock runs: periods of real time, with the pauses taken out.

A *period* is a pair of aware UTC instants ``(begins, ends)``, end excluded. A clock in
opening time runs during the calendar's opening periods
(:meth:`~engine.rules.business_calendar.BusinessCalendar.opening_time`); any other clock runs
all the time.
Pauses are cut out of either. Everything is counted in real elapsed time, so a day on which
summer time begins lasts 23 hours and one on which it ends 25.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta

Period = tuple[datetime, datetime]

#: The end of a pause that has not ended, and of the time a calendar clock runs.
FOREVER = datetime.max.replace(tzinfo=UTC)


def all_time(since: datetime) -> Iterator[Period]:
    """Every instant from ``since`` on."""
    yield since, FOREVER


def merged(stops: Iterable[Period], since: datetime) -> list[Period]:
    """``stops`` from ``since`` on, in order, overlapping ones merged into one."""
    result: list[Period] = []
    for begins, ends in sorted((max(b, since), e) for b, e in stops if e > since):
        if result and begins <= result[-1][1]:
            result[-1] = (result[-1][0], max(ends, result[-1][1]))
        else:
            result.append((begins, ends))
    return result


def without(periods: Iterable[Period], stops: Sequence[Period]) -> Iterator[Period]:
    """``periods`` with ``stops`` (merged, in order) cut out of them."""
    index = 0
    for begins, ends in periods:
        while begins < ends:
            while index < len(stops) and stops[index][1] <= begins:
                index += 1
            if index == len(stops) or stops[index][0] >= ends:
                yield begins, ends
                break
            stop_begins, stop_ends = stops[index]
            if stop_begins > begins:
                yield begins, stop_begins
            if stop_ends == FOREVER:
                return
            begins = stop_ends


def instant_after(periods: Iterable[Period], amount: timedelta) -> datetime | None:
    """The first instant by which ``amount`` of ``periods`` has run; None if they end first."""
    remaining = amount
    for begins, ends in periods:
        if ends - begins >= remaining:
            return begins + remaining
        remaining -= ends - begins
    return None


def length_until(periods: Iterable[Period], until: datetime) -> timedelta:
    """How much of ``periods`` runs before ``until``."""
    total = timedelta()
    for begins, ends in periods:
        if begins >= until:
            break
        total += min(ends, until) - begins
    return total
