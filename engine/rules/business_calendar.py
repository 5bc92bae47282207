"""Business calendars: the days and hours an organisation counts, in its time zone.

Plain Python (no Flask, no SQLAlchemy). Public holidays come only from the
`holidays` package; this module adds working weekdays, the organisation's closing
days, opening hours, calendar-month arithmetic and time zones. The deadline rules
built on them are in :mod:`engine.rules.deadlines`.

Conventions used throughout:

* a *receipt* is an aware ``datetime``; its calendar date is taken in the
  calendar's time zone (23:30 in Paris is still that day, whatever UTC says);
* "working_days" are jours ouvrables (Mon–Sat minus public holidays and closures),
  "business_days" are jours ouvrés (Mon–Fri minus public holidays and closures);
* opening hours are local wall-clock times; the time they open is counted in real
  elapsed time (a night across a change of summer time lasts what it really lasts).
"""

from __future__ import annotations

import dataclasses
from calendar import monthrange
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from engine.problems import Wording
from engine.rules.hours import OpeningHours

__all__ = [
    "BUSINESS_WEEKDAYS",
    "OUVRABLE_WEEKDAYS",
    "BusinessCalendar",
    "CalendarError",
    "parse_instant",
    "require_aware",
]

#: Monday–Friday (jours ouvrés).
BUSINESS_WEEKDAYS: Final[frozenset[int]] = frozenset(range(5))
#: Monday–Saturday (jours ouvrables).
OUVRABLE_WEEKDAYS: Final[frozenset[int]] = frozenset(range(6))
#: How many days in a row may be closed before a search for an open day gives up.
MAX_CLOSED_DAYS: Final = 3660

DEFAULT_TIMEZONES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "FR": "Europe/Paris",
        "GB": "Europe/London",
        "US": "America/New_York",
        "BE": "Europe/Brussels",
        "CH": "Europe/Zurich",
        "LU": "Europe/Luxembourg",
        "CA": "America/Toronto",
        "DE": "Europe/Berlin",
        "ES": "Europe/Madrid",
        "IT": "Europe/Rome",
    }
)

# Codes people use that the `holidays` package does not know, mapped to the
# package's own code. Bas-Rhin (67) and Haut-Rhin (68) together form the
# Collectivité européenne d'Alsace, ISO 3166-2 "FR-6AE".
_EXTRA_SUBDIVISION_ALIASES: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {"FR": MappingProxyType({"67": "6AE", "68": "6AE"})}
)

_END_OF_DAY = (23, 59, 59)


class CalendarError(ValueError):
    """A calendar, deadline rule or instant is invalid; the message names the bad value.

    What a policy file can get wrong is raised as a :class:`~engine.problems.Wording`, so
    that the studio words it in its reader's language.
    """


# --------------------------------------------------------------------------- helpers


@lru_cache(maxsize=256)
def _resolve_region(country: str, subdivision: str | None) -> tuple[str, str | None]:
    """Return the canonical (country, subdivision) codes or raise CalendarError."""
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise CalendarError(Wording("calendar_country", country=repr(country)))
    entity = holidays.country_holidays(country, years=())
    canonical_country = str(entity.country)
    if subdivision is None:
        return canonical_country, None
    extra = _EXTRA_SUBDIVISION_ALIASES.get(canonical_country, {})
    code = extra.get(subdivision, subdivision)
    code = type(entity).subdivisions_aliases.get(code, code)
    known = tuple(type(entity).subdivisions)
    if code not in known:
        listing = ", ".join(known) if known else Wording("calendar_none")
        raise CalendarError(
            Wording(
                "calendar_subdivision_of",
                subdivision=repr(subdivision),
                country=canonical_country,
                known=listing,
            )
        )
    return canonical_country, code


def _default_timezone(country: str) -> str:
    try:
        return DEFAULT_TIMEZONES[country]
    except KeyError:
        raise CalendarError(Wording("calendar_no_timezone", country=repr(country))) from None


@lru_cache(maxsize=2048)
def _holidays_in_year(country: str, subdivision: str | None, year: int) -> dict[date, str]:
    """Public holidays of one year, as a plain dict (cached: the package is slow)."""
    return dict(holidays.country_holidays(country, subdiv=subdivision, years=year))


def _require_date(d: object) -> date:
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(
            f"expected a datetime.date, got {type(d).__name__}; "
            f"use BusinessCalendar.local_date() to turn an instant into a date"
        )
    return d


def require_aware(instant: object) -> datetime:
    """``instant`` itself when it is an aware datetime; CalendarError when it is naive."""
    if not isinstance(instant, datetime):
        raise TypeError(f"expected an aware datetime, got {type(instant).__name__}")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise CalendarError(
            f"Naive datetime {instant.isoformat()} has no timezone; "
            f"pass a timezone-aware datetime (e.g. with tzinfo=UTC)"
        )
    return instant


def _require_int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, got {type(value).__name__}")
    return value


# --------------------------------------------------------------------------- calendar


@dataclass(frozen=True)
class BusinessCalendar:
    """Working days and opening hours of one country/region in one time zone.

    ``country`` and ``subdivision`` use the `holidays` package codes (aliases the
    package knows, such as "Moselle" or "UK", are normalised to the canonical code;
    "67"/"68" are accepted for Alsace "6AE"). ``timezone`` defaults from the country.
    ``extra_closures`` are the organisation's closing dates and ``yearly_closures`` the
    ``(month, day)`` it closes every year: both count like public holidays (they are not
    public holidays). ``hours`` are its opening hours, None when it counts no hours.
    """

    country: str
    subdivision: str | None = None
    working_weekdays: frozenset[int] = BUSINESS_WEEKDAYS
    extra_closures: frozenset[date] = frozenset()
    timezone: str | None = None
    yearly_closures: frozenset[tuple[int, int]] = frozenset()
    hours: OpeningHours | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.country, str) or not self.country.strip():
            raise CalendarError(Wording("calendar_country", country=repr(self.country)))
        if self.subdivision is not None and not isinstance(self.subdivision, str):
            raise CalendarError(Wording("calendar_subdivision", subdivision=repr(self.subdivision)))
        country, subdivision = _resolve_region(self.country.strip().upper(), self.subdivision)
        weekdays = frozenset(self.working_weekdays)
        if not weekdays or any(
            isinstance(w, bool) or not isinstance(w, int) or not 0 <= w <= 6 for w in weekdays
        ):
            raise CalendarError(
                f"working_weekdays must be a non-empty set of ints 0 (Mon)..6 (Sun), "
                f"got {sorted(weekdays, key=repr)!r}"
            )
        closures = frozenset(self.extra_closures)
        for d in closures:
            if isinstance(d, datetime) or not isinstance(d, date):
                raise CalendarError(f"extra_closures must hold dates, got {d!r}")
        yearly = frozenset(self.yearly_closures)
        for month_day in yearly:
            try:
                date(2000, *month_day)  # a leap year: 29 February is a day of the year
            except (TypeError, ValueError):
                raise CalendarError(
                    f"yearly_closures must hold (month, day) pairs, got {month_day!r}"
                ) from None
        if self.hours is not None and not isinstance(self.hours, OpeningHours):
            raise CalendarError(f"hours must be OpeningHours or None, got {self.hours!r}")
        tz_name = self.timezone if self.timezone is not None else _default_timezone(country)
        try:
            ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise CalendarError(Wording("calendar_timezone", timezone=repr(tz_name))) from None
        object.__setattr__(self, "country", country)
        object.__setattr__(self, "subdivision", subdivision)
        object.__setattr__(self, "working_weekdays", weekdays)
        object.__setattr__(self, "extra_closures", closures)
        object.__setattr__(self, "timezone", tz_name)
        object.__setattr__(self, "yearly_closures", yearly)

    # -- derived calendars ------------------------------------------------------

    @property
    def tzinfo(self) -> ZoneInfo:
        """The calendar's time zone."""
        return ZoneInfo(str(self.timezone))

    def with_weekdays(self, weekdays: Iterable[int]) -> BusinessCalendar:
        """The same calendar with other working weekdays (Mon=0..Sun=6)."""
        weekdays = frozenset(weekdays)
        if weekdays == self.working_weekdays:
            return self
        return _with_weekdays(self, weekdays)

    def ouvrables(self) -> BusinessCalendar:
        """Mon–Sat variant (jours ouvrables)."""
        return self.with_weekdays(OUVRABLE_WEEKDAYS)

    def ouvres(self) -> BusinessCalendar:
        """Mon–Fri variant (jours ouvrés)."""
        return self.with_weekdays(BUSINESS_WEEKDAYS)

    def without_closures(self) -> BusinessCalendar:
        """The same calendar without the organisation's closing days (for legal rules)."""
        if not self.extra_closures and not self.yearly_closures:
            return self
        return _without_closures(self)

    def for_region(
        self, country: str, subdivision: str | None = None, timezone: str | None = None
    ) -> BusinessCalendar:
        """The same closures and hours in another country or region.

        The time zone is ``timezone``, else the country's default.
        """
        return _for_region(self, country, subdivision, timezone)

    # -- day predicates ---------------------------------------------------------

    def is_holiday(self, d: date) -> bool:
        """True if ``d`` is a public holiday (per the `holidays` package)."""
        d = _require_date(d)
        return d in _holidays_in_year(self.country, self.subdivision, d.year)

    def holiday_name(self, d: date) -> str | None:
        """The public holiday's name (English, from the `holidays` package) or None."""
        d = _require_date(d)
        return _holidays_in_year(self.country, self.subdivision, d.year).get(d)

    def is_closure(self, d: date) -> bool:
        """True on one of the organisation's closing days (a date or a yearly day)."""
        d = _require_date(d)
        return d in self.extra_closures or (d.month, d.day) in self.yearly_closures

    def is_working_day(self, d: date) -> bool:
        """True on a working weekday that is neither a public holiday nor a closure."""
        return self._is_open(_require_date(d))

    def _is_open(self, d: date) -> bool:
        return d.weekday() in self.working_weekdays and self._is_day_on(d)

    def _is_day_on(self, d: date) -> bool:
        """Neither a public holiday nor a closing day, whatever the weekday."""
        return (
            d not in self.extra_closures
            and (d.month, d.day) not in self.yearly_closures
            and d not in _holidays_in_year(self.country, self.subdivision, d.year)
        )

    def closed_runs(self, first: date, last: date) -> list[tuple[date, date]]:
        """The closing days from ``first`` to ``last``, as runs ``(from, to)`` of days in a row."""
        runs: list[tuple[date, date]] = []
        d = _require_date(first)
        while d <= _require_date(last):
            if self.is_closure(d):
                if runs and runs[-1][1] == d - timedelta(days=1):
                    runs[-1] = (runs[-1][0], d)
                else:
                    runs.append((d, d))
            d += timedelta(days=1)
        return runs

    # -- opening hours ----------------------------------------------------------

    def opening_periods(self, d: date) -> tuple[tuple[datetime, datetime], ...]:
        """The opening periods of local day ``d`` as UTC instants ``(opens, closes)``.

        Empty on a public holiday, a closing day or a weekday without hours. A local time
        that a change of summer time skips or repeats takes the offset in force before the
        change (Python's ``fold=0``); a period lasts the real time between its ends.
        """
        d = _require_date(d)
        if self.hours is None or not self._is_day_on(d):
            return ()
        midnight = datetime(d.year, d.month, d.day)
        zone = self.tzinfo
        return tuple(
            (
                (midnight + timedelta(minutes=opens)).replace(tzinfo=zone).astimezone(UTC),
                (midnight + timedelta(minutes=closes)).replace(tzinfo=zone).astimezone(UTC),
            )
            for opens, closes in self.hours.on(d.weekday())
        )

    def opening_time(self, since: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The opening periods from ``since`` on, in UTC, the first one clipped to ``since``."""
        day = self.local_date(since)
        closed = 0
        while True:
            periods = self.opening_periods(day)
            closed = 0 if periods else _one_more_closed_day(closed, day)
            for opens, closes in periods:
                if closes > since:
                    yield max(opens, since), closes
            day += timedelta(days=1)

    # -- date arithmetic --------------------------------------------------------

    def next_working_day(self, d: date, include_self: bool = True) -> date:
        """Roll forward to the first working day (``d`` itself if allowed and open)."""
        d = _require_date(d)
        if not include_self:
            d += timedelta(days=1)
        closed = 0
        while not self._is_open(d):
            closed = _one_more_closed_day(closed, d)
            d += timedelta(days=1)
        return d

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day strictly after ``d`` (strictly before if n < 0; d if n == 0).

        ``d`` itself never counts, whether or not it is a working day.
        """
        d = _require_date(d)
        n = _require_int(n, "n")
        step = timedelta(days=1 if n >= 0 else -1)
        remaining = abs(n)
        closed = 0
        while remaining:
            d += step
            if self._is_open(d):
                remaining -= 1
                closed = 0
            else:
                closed = _one_more_closed_day(closed, d)
        return d

    def count_working_days(self, after: date, until: date) -> int:
        """How many working days there are after ``after`` up to ``until`` (included)."""
        d, count = _require_date(after), 0
        while d < _require_date(until):
            d += timedelta(days=1)
            count += self._is_open(d)
        return count

    def add_days(self, d: date, n: int) -> date:
        """``d`` plus n calendar days."""
        return _require_date(d) + timedelta(days=_require_int(n, "n"))

    def add_weeks(self, d: date, n: int) -> date:
        """``d`` plus n weeks."""
        return _require_date(d) + timedelta(weeks=_require_int(n, "n"))

    def add_months(self, d: date, n: int) -> date:
        """Same day number n months later, clamped to the end of a shorter month."""
        d = _require_date(d)
        year, month0 = divmod(d.year * 12 + d.month - 1 + _require_int(n, "n"), 12)
        month = month0 + 1
        return date(year, month, min(d.day, monthrange(year, month)[1]))

    # -- time zone --------------------------------------------------------------

    def end_of_day(self, d: date) -> datetime:
        """23:59:59 local time of ``d`` in the calendar's time zone (aware)."""
        d = _require_date(d)
        return datetime(d.year, d.month, d.day, *_END_OF_DAY, tzinfo=self.tzinfo)

    def local_date(self, instant: datetime) -> date:
        """Calendar date of an aware instant in the calendar's time zone."""
        return require_aware(instant).astimezone(self.tzinfo).date()


def _one_more_closed_day(closed: int, d: date) -> int:
    """Count one more closed day in a row; CalendarError once there are too many."""
    if closed >= MAX_CLOSED_DAYS:
        raise CalendarError(Wording("calendar_never_open", day=d.isoformat()))
    return closed + 1


@lru_cache(maxsize=256)
def _with_weekdays(calendar: BusinessCalendar, weekdays: frozenset[int]) -> BusinessCalendar:
    return dataclasses.replace(calendar, working_weekdays=weekdays)


@lru_cache(maxsize=256)
def _without_closures(calendar: BusinessCalendar) -> BusinessCalendar:
    return dataclasses.replace(calendar, extra_closures=frozenset(), yearly_closures=frozenset())


@lru_cache(maxsize=256)
def _for_region(
    calendar: BusinessCalendar, country: str, subdivision: str | None, timezone: str | None
) -> BusinessCalendar:
    return dataclasses.replace(
        calendar, country=country, subdivision=subdivision, timezone=timezone
    )


def parse_instant(text: str, calendar: BusinessCalendar | None = None) -> datetime:
    """Parse ISO 8601 text into an aware datetime.

    An offset or "Z" is honoured. A naive value (no offset; a bare date means
    midnight) is read as local time in ``calendar``'s time zone — an ambiguous
    autumn time takes the first (summer-time) occurrence — and is rejected when
    no calendar is given.
    """
    if not isinstance(text, str):
        raise CalendarError(f"Invalid instant {text!r}: expected an ISO 8601 string")
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CalendarError(
            f"Invalid instant {text!r}: expected ISO 8601 like 2026-01-05T09:30:00+01:00"
        ) from None
    if value.tzinfo is not None:
        return value
    if calendar is None:
        raise CalendarError(
            f"Instant {text!r} has no offset and no calendar was given to localise it"
        )
    return value.replace(tzinfo=calendar.tzinfo)
