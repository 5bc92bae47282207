"""Business calendars and regulatory deadline rules.

Plain Python (no Flask, no SQLAlchemy). Public holidays come only from the
`holidays` package; this module adds working weekdays, organisation closures,
calendar-month arithmetic, time zones and the deadline rules built on them.

Conventions used throughout:

* a *receipt* is an aware ``datetime``; its calendar date is taken in the
  calendar's time zone (23:30 in Paris is still that day, whatever UTC says);
* the day of receipt never counts; a deadline is due at 23:59:59 local time
  of its last day;
* "working_days" are jours ouvrables (Mon–Sat minus public holidays),
  "business_days" are jours ouvrés (Mon–Fri minus public holidays).
"""

from __future__ import annotations

import dataclasses
from calendar import monthrange
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from numbers import Real
from types import MappingProxyType
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from engine.problems import Wording, wording_of

__all__ = [
    "BUSINESS_WEEKDAYS",
    "OUVRABLE_WEEKDAYS",
    "PRESET_RULES",
    "UNITS",
    "BusinessCalendar",
    "CalendarError",
    "DeadlineRule",
    "RuleBook",
    "parse_instant",
]

Unit = Literal["working_days", "business_days", "calendar_days", "weeks", "months"]
RollTo = Literal["working_days", "business_days"]

UNITS: Final[tuple[str, ...]] = (
    "working_days",
    "business_days",
    "calendar_days",
    "weeks",
    "months",
)
ROLL_TARGETS: Final[tuple[str, ...]] = ("working_days", "business_days")

#: Monday–Friday (jours ouvrés).
BUSINESS_WEEKDAYS: Final[frozenset[int]] = frozenset(range(5))
#: Monday–Saturday (jours ouvrables).
OUVRABLE_WEEKDAYS: Final[frozenset[int]] = frozenset(range(6))

_WEEKDAYS_FOR_UNIT: Final[dict[str, frozenset[int]]] = {
    "working_days": OUVRABLE_WEEKDAYS,
    "business_days": BUSINESS_WEEKDAYS,
}

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
_MICROSECOND = timedelta(microseconds=1)


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


def _require_aware(instant: object) -> datetime:
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
    """Working days of one country/region in one time zone.

    ``country`` and ``subdivision`` use the `holidays` package codes (aliases the
    package knows, such as "Moselle" or "UK", are normalised to the canonical code;
    "67"/"68" are accepted for Alsace "6AE"). ``timezone`` defaults from the country.
    ``extra_closures`` are organisation-specific closed dates (not public holidays).
    """

    country: str
    subdivision: str | None = None
    working_weekdays: frozenset[int] = BUSINESS_WEEKDAYS
    extra_closures: frozenset[date] = frozenset()
    timezone: str | None = None

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

    # -- day predicates ---------------------------------------------------------

    def is_holiday(self, d: date) -> bool:
        """True if ``d`` is a public holiday (per the `holidays` package)."""
        d = _require_date(d)
        return d in _holidays_in_year(self.country, self.subdivision, d.year)

    def holiday_name(self, d: date) -> str | None:
        """The public holiday's name (English, from the `holidays` package) or None."""
        d = _require_date(d)
        return _holidays_in_year(self.country, self.subdivision, d.year).get(d)

    def is_working_day(self, d: date) -> bool:
        """True on a working weekday that is neither a public holiday nor a closure."""
        return self._is_open(_require_date(d))

    def _is_open(self, d: date) -> bool:
        return (
            d.weekday() in self.working_weekdays
            and d not in self.extra_closures
            and d not in _holidays_in_year(self.country, self.subdivision, d.year)
        )

    # -- date arithmetic --------------------------------------------------------

    def next_working_day(self, d: date, include_self: bool = True) -> date:
        """Roll forward to the first working day (``d`` itself if allowed and open)."""
        d = _require_date(d)
        if not include_self:
            d += timedelta(days=1)
        while not self._is_open(d):
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
        while remaining:
            d += step
            if self._is_open(d):
                remaining -= 1
        return d

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
        return _require_aware(instant).astimezone(self.tzinfo).date()


@lru_cache(maxsize=256)
def _with_weekdays(calendar: BusinessCalendar, weekdays: frozenset[int]) -> BusinessCalendar:
    return dataclasses.replace(calendar, working_weekdays=weekdays)


@lru_cache(maxsize=256)
def _calendar_for_region(country: str, subdivision: str | None) -> BusinessCalendar:
    return BusinessCalendar(country=country, subdivision=subdivision)


# --------------------------------------------------------------------------- rules


_RULE_KEYS: Final[tuple[str, ...]] = (
    "unit",
    "count",
    "roll_forward",
    "roll_to",
    "warning",
    "country",
    "subdivision",
)


@dataclass(frozen=True)
class DeadlineRule:
    """A deadline counted from the instant of receipt.

    The day of receipt (local date in the calendar's time zone) never counts; the
    deadline is due at 23:59:59 local time of its last day. "working_days" count
    Mon–Sat and "business_days" Mon–Fri, both minus the calendar's public holidays
    and extra closures (the calendar's own ``working_weekdays`` are ignored: the
    unit decides). With ``roll_forward``, a last day that is not a day of
    ``roll_to`` (default: the unit itself for day units, else "business_days")
    moves to the next such day. ``country``/``subdivision`` only matter through
    `RuleBook.calendar_for`.
    """

    name: str
    unit: Unit
    count: int
    roll_forward: bool = False
    roll_to: RollTo | None = None
    warning_ratio: float = 0.8
    country: str | None = None
    subdivision: str | None = None

    def __post_init__(self) -> None:
        name = self.name
        if not isinstance(name, str) or not name.strip():
            raise CalendarError(Wording("rule_name", name=repr(name)))
        if self.unit not in UNITS:
            raise CalendarError(
                Wording("rule_unit", rule=name, unit=repr(self.unit), known=", ".join(UNITS))
            )
        count = self.count
        if isinstance(count, bool) or not isinstance(count, int) or count <= 0:
            raise CalendarError(Wording("rule_count", rule=name, count=repr(count)))
        if not isinstance(self.roll_forward, bool):
            raise CalendarError(
                Wording("rule_roll_forward", rule=name, value=repr(self.roll_forward))
            )
        roll_to = self.roll_to
        if roll_to is None:
            roll_to = self.unit if self.unit in ROLL_TARGETS else "business_days"
        elif roll_to not in ROLL_TARGETS:
            raise CalendarError(
                Wording(
                    "rule_roll_to", rule=name, roll_to=repr(roll_to), known=", ".join(ROLL_TARGETS)
                )
            )
        ratio = self.warning_ratio
        if isinstance(ratio, bool) or not isinstance(ratio, Real) or not 0 < ratio < 1:
            raise CalendarError(Wording("rule_warning", rule=name, warning=repr(ratio)))
        country, subdivision = self.country, self.subdivision
        if subdivision is not None and country is None:
            raise CalendarError(
                Wording(
                    "rule_subdivision_without_country", rule=name, subdivision=repr(subdivision)
                )
            )
        try:
            if country is not None:
                if not isinstance(country, str):
                    raise CalendarError(Wording("calendar_country", country=repr(country)))
                if subdivision is not None and not isinstance(subdivision, str):
                    raise CalendarError(
                        Wording("calendar_subdivision", subdivision=repr(subdivision))
                    )
                country, subdivision = _resolve_region(country.strip().upper(), subdivision)
                _default_timezone(country)
        except CalendarError as exc:
            raise CalendarError(
                Wording("rule_in_calendar", rule=name, problem=wording_of(exc))
            ) from None
        object.__setattr__(self, "roll_to", roll_to)
        object.__setattr__(self, "warning_ratio", float(ratio))
        object.__setattr__(self, "country", country)
        object.__setattr__(self, "subdivision", subdivision)

    @classmethod
    def from_mapping(cls, name: str, mapping: Mapping[str, Any]) -> DeadlineRule:
        """Build a rule from a policy mapping.

        Keys: ``unit`` and ``count`` (required), ``roll_forward``, ``roll_to``,
        ``warning`` (ratio in (0, 1)), ``country``, ``subdivision``.
        """
        if not isinstance(mapping, Mapping):
            raise CalendarError(Wording("rule_not_mapping", rule=name, got=type(mapping).__name__))
        for key in mapping:
            if key not in _RULE_KEYS:
                allowed = ", ".join(_RULE_KEYS)
                raise CalendarError(
                    Wording("rule_unknown_key", rule=name, key=repr(key), allowed=allowed)
                )
        for key in ("unit", "count"):
            if key not in mapping:
                raise CalendarError(Wording("rule_missing_key", rule=name, key=repr(key)))
        kwargs: dict[str, Any] = {k: mapping[k] for k in _RULE_KEYS if k in mapping}
        if "warning" in kwargs:
            kwargs["warning_ratio"] = kwargs.pop("warning")
        return cls(name=name, **kwargs)

    def last_day(self, start: datetime, calendar: BusinessCalendar) -> date:
        """The last local day of the deadline (after any roll)."""
        received = calendar.local_date(start)
        unit = self.unit
        if unit in _WEEKDAYS_FOR_UNIT:
            counting = calendar.with_weekdays(_WEEKDAYS_FOR_UNIT[unit])
            last = counting.add_working_days(received, self.count)
        elif unit == "calendar_days":
            last = received + timedelta(days=self.count)
        elif unit == "weeks":
            last = received + timedelta(weeks=self.count)
        else:
            last = calendar.add_months(received, self.count)
        if self.roll_forward:
            rolling = calendar.with_weekdays(_WEEKDAYS_FOR_UNIT[str(self.roll_to)])
            last = rolling.next_working_day(last)
        return last

    def due(self, start: datetime, calendar: BusinessCalendar) -> datetime:
        """Deadline instant: 23:59:59 local time of the last day, in the calendar's zone."""
        return calendar.end_of_day(self.last_day(start, calendar))

    def warning(self, start: datetime, calendar: BusinessCalendar) -> datetime:
        """``start + warning_ratio × (due − start)`` in elapsed time, floored to the second."""
        due_utc = self.due(start, calendar).astimezone(UTC)
        start_utc = _require_aware(start).astimezone(UTC)
        span_us = (due_utc - start_utc) // _MICROSECOND
        instant = start_utc + timedelta(microseconds=round(span_us * self.warning_ratio))
        return instant.replace(microsecond=0).astimezone(calendar.tzinfo)


PRESET_RULES: Final[Mapping[str, DeadlineRule]] = MappingProxyType(
    {
        rule.name: rule
        for rule in (
            # ACPR 2022-R-01: acknowledge within 10 jours ouvrables.
            DeadlineRule("acpr-acknowledgement", "working_days", 10),
            # ACPR 2022-R-01: answer within 2 months, rolled to a jour ouvrable.
            DeadlineRule("acpr-answer", "months", 2, roll_forward=True, roll_to="working_days"),
            # PSD2: 15 business days, 35 with a holding reply.
            DeadlineRule("psd2-answer", "business_days", 15),
            DeadlineRule("psd2-answer-extended", "business_days", 35),
            # FCA DISP: summary resolution by the end of the 3rd business day; 8 weeks.
            DeadlineRule("fca-summary", "business_days", 3),
            DeadlineRule("fca-final", "weeks", 8),
            # CFPB: 15 calendar days, 60 when in progress.
            DeadlineRule("cfpb-response", "calendar_days", 15),
            DeadlineRule("cfpb-final", "calendar_days", 60),
        )
    }
)


class RuleBook:
    """Preset rules plus an organisation's custom rules (custom rules win)."""

    def __init__(
        self,
        rules: Mapping[str, DeadlineRule] | None = None,
        *,
        default_calendar: BusinessCalendar,
    ) -> None:
        if not isinstance(default_calendar, BusinessCalendar):
            raise TypeError("default_calendar must be a BusinessCalendar")
        merged = dict(PRESET_RULES)
        for key, rule in (rules or {}).items():
            if not isinstance(rule, DeadlineRule):
                raise TypeError(f"rule {key!r} must be a DeadlineRule")
            if rule.name != key:
                raise CalendarError(f"Deadline rule {rule.name!r} registered under name {key!r}")
            merged[key] = rule
        self._rules: Mapping[str, DeadlineRule] = MappingProxyType(merged)
        self.default_calendar = default_calendar

    @classmethod
    def from_policy(
        cls, policy: Mapping[str, Mapping[str, Any]], *, default_calendar: BusinessCalendar
    ) -> RuleBook:
        """Build from ``{name: {"unit": ..., "count": ...}}`` (see DeadlineRule.from_mapping)."""
        rules = {name: DeadlineRule.from_mapping(name, spec) for name, spec in policy.items()}
        return cls(rules, default_calendar=default_calendar)

    @property
    def rules(self) -> Mapping[str, DeadlineRule]:
        """All rules by name (read-only)."""
        return self._rules

    def rule(self, name: str) -> DeadlineRule:
        """The rule called ``name``; CalendarError if unknown."""
        try:
            return self._rules[name]
        except (KeyError, TypeError):
            known = ", ".join(sorted(self._rules))
            raise CalendarError(f"Unknown deadline rule {name!r}; known: {known}") from None

    def calendar_for(self, rule: DeadlineRule) -> BusinessCalendar:
        """The rule's country/subdivision calendar (default timezone), else the default one."""
        if rule.country is None:
            return self.default_calendar
        return _calendar_for_region(rule.country, rule.subdivision)

    def due(self, name: str, start: datetime, calendar: BusinessCalendar | None = None) -> datetime:
        """Due instant of rule ``name`` for a receipt at ``start``."""
        rule = self.rule(name)
        return rule.due(start, self.calendar_for(rule) if calendar is None else calendar)

    def warning(
        self, name: str, start: datetime, calendar: BusinessCalendar | None = None
    ) -> datetime:
        """Warning instant of rule ``name`` for a receipt at ``start``."""
        rule = self.rule(name)
        return rule.warning(start, self.calendar_for(rule) if calendar is None else calendar)


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
