"""Deadline rules: when a clock falls due and warns, on which calendar, with which pauses.

Plain Python (no Flask, no SQLAlchemy). A :class:`DeadlineRule` counts from the instant its
clock starts:

* in days (``working_days``, ``business_days``, ``calendar_days``, ``weeks``, ``months``): the
  day the clock starts never counts, and the deadline falls at 23:59:59 local time of its
  last day; the warning falls at its share of the real time between start and deadline;
* in opening time (``business_hours``, ``business_minutes``): a clock started while the
  organisation is closed starts at the next opening; the deadline falls the instant the
  count of opening time has run, and the warning when its share of that opening time has.

A rule with ``legal = true`` (the regulators' presets) ignores the organisation's closing
days: a closure does not extend a regulator's deadline; such a rule never pauses. Other
rules may pause while the complaint is in one of their ``pause_while`` states:
:meth:`RuleBook.schedule` takes the complaint's :class:`Pause` intervals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from numbers import Real
from types import MappingProxyType
from typing import Any, Final, Literal

from engine.problems import Wording, wording_of
from engine.rules import timeline
from engine.rules.business_calendar import (
    BUSINESS_WEEKDAYS,
    OUVRABLE_WEEKDAYS,
    BusinessCalendar,
    CalendarError,
    require_aware,
)

__all__ = [
    "OPENING_UNITS",
    "PAUSE_STATES",
    "PRESET_RULES",
    "UNITS",
    "ClockSchedule",
    "DeadlineRule",
    "Pause",
    "RuleBook",
]

Unit = Literal[
    "working_days",
    "business_days",
    "calendar_days",
    "weeks",
    "months",
    "business_hours",
    "business_minutes",
]
RollTo = Literal["working_days", "business_days"]

#: The units that count opening time, with the length of one.
OPENING_UNITS: Final[Mapping[str, timedelta]] = MappingProxyType(
    {"business_hours": timedelta(hours=1), "business_minutes": timedelta(minutes=1)}
)
UNITS: Final[tuple[str, ...]] = (
    "working_days",
    "business_days",
    "calendar_days",
    "weeks",
    "months",
    *OPENING_UNITS,
)
ROLL_TARGETS: Final[tuple[str, ...]] = ("working_days", "business_days")
#: The states of a complaint during which a rule may pause (``pause_while``).
PAUSE_STATES: Final[tuple[str, ...]] = ("waiting_customer",)

_WEEKDAYS_FOR_UNIT: Final[Mapping[str, frozenset[int]]] = MappingProxyType(
    {"working_days": OUVRABLE_WEEKDAYS, "business_days": BUSINESS_WEEKDAYS}
)
_MICROSECOND = timedelta(microseconds=1)

_RULE_KEYS: Final[tuple[str, ...]] = (
    "unit",
    "count",
    "roll_forward",
    "roll_to",
    "warning",
    "country",
    "subdivision",
    "legal",
    "pause_while",
)


@dataclass(frozen=True)
class Pause:
    """The complaint was in ``state`` from ``since`` until ``until`` (None: it still is)."""

    state: str
    since: datetime
    until: datetime | None = None

    def __post_init__(self) -> None:
        require_aware(self.since)
        if self.until is not None and require_aware(self.until) < self.since:
            raise CalendarError(
                f"Pause {self.state!r} ends ({self.until.isoformat()}) before it begins "
                f"({self.since.isoformat()})"
            )


@dataclass(frozen=True)
class ClockSchedule:
    """When a clock falls due and warns, in its calendar's time zone.

    While the clock is paused, ``due`` is None and ``paused_since`` says since when;
    ``warning`` is None then too, unless it fell before the pause.
    """

    due: datetime | None
    warning: datetime | None
    paused_since: datetime | None = None


@dataclass(frozen=True)
class DeadlineRule:
    """A deadline counted from the instant its clock starts (see the module's docstring).

    "working_days" count Mon–Sat and "business_days" Mon–Fri, both minus the calendar's
    public holidays and closing days (the calendar's own ``working_weekdays`` are ignored:
    the unit decides); opening units count the calendar's ``hours``. With
    ``roll_forward``, a last day that is not a day of ``roll_to`` (default: the unit
    itself for day units, else "business_days") moves to the next such day.
    ``country``/``subdivision`` only matter through `RuleBook.calendar_for`.
    """

    name: str
    unit: Unit
    count: int
    roll_forward: bool = False
    roll_to: RollTo | None = None
    warning_ratio: float = 0.8
    country: str | None = None
    subdivision: str | None = None
    legal: bool = False
    pause_while: tuple[str, ...] = ()

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
        if self.roll_forward and self.unit in OPENING_UNITS:
            raise CalendarError(Wording("rule_roll_opening", rule=name, unit=self.unit))
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
        if not isinstance(self.legal, bool):
            raise CalendarError(Wording("rule_legal", rule=name, value=repr(self.legal)))
        country, subdivision = self._region()
        object.__setattr__(self, "roll_to", roll_to)
        object.__setattr__(self, "warning_ratio", float(ratio))
        object.__setattr__(self, "country", country)
        object.__setattr__(self, "subdivision", subdivision)
        object.__setattr__(self, "pause_while", self._pause_states())

    def _region(self) -> tuple[str | None, str | None]:
        """The canonical codes of the rule's own country and region (None: the calendar's)."""
        if self.country is None:
            if self.subdivision is not None:
                raise CalendarError(
                    Wording(
                        "rule_subdivision_without_country",
                        rule=self.name,
                        subdivision=repr(self.subdivision),
                    )
                )
            return None, None
        try:
            region = BusinessCalendar(self.country, self.subdivision)
        except CalendarError as exc:
            raise CalendarError(
                Wording("rule_in_calendar", rule=self.name, problem=wording_of(exc))
            ) from None
        return region.country, region.subdivision

    def _pause_states(self) -> tuple[str, ...]:
        states = self.pause_while
        if not isinstance(states, list | tuple) or not all(isinstance(s, str) for s in states):
            raise CalendarError(Wording("rule_pause_while", rule=self.name, value=repr(states)))
        for state in states:
            if state not in PAUSE_STATES:
                known = ", ".join(PAUSE_STATES)
                raise CalendarError(
                    Wording("rule_pause_state", rule=self.name, state=repr(state), known=known)
                )
        if states and self.legal:
            raise CalendarError(Wording("rule_pause_legal", rule=self.name))
        return tuple(states)

    @classmethod
    def from_mapping(cls, name: str, mapping: Mapping[str, Any]) -> DeadlineRule:
        """Build a rule from a policy mapping.

        Keys: ``unit`` and ``count`` (required), ``roll_forward``, ``roll_to``,
        ``warning`` (ratio in (0, 1)), ``country``, ``subdivision``, ``legal``,
        ``pause_while``.
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

    # -- counting ---------------------------------------------------------------

    def counting_calendar(self, calendar: BusinessCalendar) -> BusinessCalendar:
        """``calendar`` as this rule counts it: without closing days for a legal rule."""
        return calendar.without_closures() if self.legal else calendar

    def due(self, start: datetime, calendar: BusinessCalendar) -> datetime:
        """When the deadline falls for a clock started at ``start`` (never paused)."""
        due = self.schedule(start, calendar).due
        assert due is not None  # only a pause leaves it unknown
        return due

    def warning(self, start: datetime, calendar: BusinessCalendar) -> datetime:
        """When the deadline warns for a clock started at ``start`` (never paused)."""
        warning = self.schedule(start, calendar).warning
        assert warning is not None  # only a pause leaves it unknown
        return warning

    def schedule(
        self, start: datetime, calendar: BusinessCalendar, pauses: Iterable[Pause] = ()
    ) -> ClockSchedule:
        """Due and warning instants of a clock started at ``start``, paused by ``pauses``.

        Only the pauses in one of the rule's ``pause_while`` states count. Paused time is
        taken out of the rule's own time: opening time for opening units; for day units,
        the days the clock had left when it paused count again from the day it resumes,
        which itself does not count (as the day of receipt).
        """
        start = require_aware(start)
        calendar = self.counting_calendar(calendar)
        stops = self._stops(pauses, start)
        ended = [stop for stop in stops if stop[1] != timeline.FOREVER]
        if self.unit in OPENING_UNITS:
            schedule = self._in_opening_time(start, calendar, ended)
        else:
            schedule = self._in_days(start, calendar, ended)
        ongoing = stops[-1][0] if stops and stops[-1][1] == timeline.FOREVER else None
        if ongoing is None or schedule.due is None or ongoing >= schedule.due:
            return schedule
        warning = schedule.warning if schedule.warning and schedule.warning <= ongoing else None
        return ClockSchedule(None, warning, ongoing.astimezone(calendar.tzinfo))

    def running_time(
        self,
        start: datetime,
        end: datetime,
        calendar: BusinessCalendar,
        pauses: Iterable[Pause] = (),
    ) -> timedelta:
        """How long the clock ran from ``start`` to ``end``: in opening time for opening
        units, in real time otherwise, without the pauses in its ``pause_while`` states."""
        start, end = require_aware(start).astimezone(UTC), require_aware(end).astimezone(UTC)
        calendar = self.counting_calendar(calendar)
        stops = self._stops(pauses, start)
        return timeline.length_until(timeline.without(self._time(start, calendar), stops), end)

    def _stops(self, pauses: Iterable[Pause], start: datetime) -> list[timeline.Period]:
        """The rule's pauses from ``start`` on, merged, in UTC (an ongoing one ends FOREVER)."""
        return timeline.merged(
            (
                (p.since.astimezone(UTC), p.until.astimezone(UTC) if p.until else timeline.FOREVER)
                for p in pauses
                if p.state in self.pause_while
            ),
            start.astimezone(UTC),
        )

    def _time(self, start: datetime, calendar: BusinessCalendar) -> Iterable[timeline.Period]:
        if self.unit in OPENING_UNITS:
            self._require_hours(calendar)
            return calendar.opening_time(start)
        return timeline.all_time(start)

    def _require_hours(self, calendar: BusinessCalendar) -> None:
        if calendar.hours is None:
            raise CalendarError(Wording("rule_without_hours", rule=self.name, unit=self.unit))

    def _in_opening_time(
        self, start: datetime, calendar: BusinessCalendar, stops: Sequence[timeline.Period]
    ) -> ClockSchedule:
        begin = start.astimezone(UTC).replace(microsecond=0)
        amount = self.count * OPENING_UNITS[self.unit]
        instants = [  # opening time never ends: neither is None
            timeline.instant_after(timeline.without(self._time(begin, calendar), stops), share)
            for share in (amount, _share(amount, self.warning_ratio))
        ]
        due, warning = (i.replace(microsecond=0).astimezone(calendar.tzinfo) for i in instants)
        return ClockSchedule(due, warning)

    def _in_days(
        self, start: datetime, calendar: BusinessCalendar, stops: Sequence[timeline.Period]
    ) -> ClockSchedule:
        last = self._count_days(calendar, calendar.local_date(start), self.count)
        for since, until in stops:
            if since >= self._end_of(last, calendar):
                break  # paused once the deadline had passed: the clock was breached
            paused_on, resumed_on = calendar.local_date(since), calendar.local_date(until)
            last = self._resumed(last, paused_on, resumed_on, calendar)
        due = self._end_of(last, calendar)
        start_utc = start.astimezone(UTC)
        running = due.astimezone(UTC) - start_utc - timeline.length_until(stops, due)
        instant = timeline.instant_after(
            timeline.without(timeline.all_time(start_utc), stops),
            _share(running, self.warning_ratio),
        )
        assert instant is not None  # all time never ends
        return ClockSchedule(due, instant.replace(microsecond=0).astimezone(calendar.tzinfo))

    def _count_days(self, calendar: BusinessCalendar, after: date, count: int) -> date:
        """The last day, ``count`` of the rule's days after ``after`` (not rolled)."""
        unit = self.unit
        if unit in _WEEKDAYS_FOR_UNIT:
            return calendar.with_weekdays(_WEEKDAYS_FOR_UNIT[unit]).add_working_days(after, count)
        if unit == "calendar_days":
            return after + timedelta(days=count)
        if unit == "weeks":
            return after + timedelta(weeks=count)
        return calendar.add_months(after, count)

    def _resumed(
        self, last: date, paused_on: date, resumed_on: date, calendar: BusinessCalendar
    ) -> date:
        """The last day once a clock paused on ``paused_on`` resumes on ``resumed_on``."""
        if self.unit in _WEEKDAYS_FOR_UNIT:
            counting = calendar.with_weekdays(_WEEKDAYS_FOR_UNIT[self.unit])
            left = counting.count_working_days(paused_on, last)
            if left == 0:  # paused on its last day: it gets the next day of its own
                return counting.next_working_day(resumed_on)
            return counting.add_working_days(resumed_on, left)
        return resumed_on + (last - paused_on)

    def _end_of(self, last: date, calendar: BusinessCalendar) -> datetime:
        """23:59:59 local time of the last day, once rolled forward if the rule says so."""
        if self.roll_forward:
            rolling = calendar.with_weekdays(_WEEKDAYS_FOR_UNIT[str(self.roll_to)])
            last = rolling.next_working_day(last)
        return calendar.end_of_day(last)


def _share(span: timedelta, ratio: float) -> timedelta:
    """``ratio`` of ``span``, to the microsecond."""
    return timedelta(microseconds=round((span // _MICROSECOND) * ratio))


PRESET_RULES: Final[Mapping[str, DeadlineRule]] = MappingProxyType(
    {
        rule.name: rule
        for rule in (
            # Legal: a regulator sets these deadlines, which an organisation's closing days do
            # not extend and which never pause (docs/DEADLINES.md gives the sources).
            # ACPR 2022-R-01 and 2024-R-02: acknowledge within 10 jours ouvrables.
            DeadlineRule("acpr-acknowledgement", "working_days", 10, legal=True),
            # ACPR 2022-R-01 and 2024-R-02: answer within 2 months, rolled to a jour ouvrable.
            DeadlineRule(
                "acpr-answer", "months", 2, roll_forward=True, roll_to="working_days", legal=True
            ),
            # PSD2 art. 101(2): 15 business days, 35 with a holding reply.
            DeadlineRule("psd2-answer", "business_days", 15, legal=True),
            DeadlineRule("psd2-answer-extended", "business_days", 35, legal=True),
            # FCA DISP 1.6: summary resolution by the end of the 3rd business day; 8 weeks.
            DeadlineRule("fca-summary", "business_days", 3, legal=True),
            DeadlineRule("fca-final", "weeks", 8, legal=True),
            # CFPB: 15 calendar days, 60 when in progress.
            DeadlineRule("cfpb-response", "calendar_days", 15, legal=True),
            DeadlineRule("cfpb-final", "calendar_days", 60, legal=True),
        )
    }
)


class RuleBook:
    """Preset rules plus an organisation's custom rules (custom rules win), and the
    calendars they count on: the organisation's (``default_calendar``) and the named
    calendars of its teams or sites."""

    def __init__(
        self,
        rules: Mapping[str, DeadlineRule] | None = None,
        *,
        default_calendar: BusinessCalendar,
        calendars: Mapping[str, BusinessCalendar] | None = None,
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
        for key, calendar in (calendars or {}).items():
            if not isinstance(calendar, BusinessCalendar):
                raise TypeError(f"calendar {key!r} must be a BusinessCalendar")
        self._rules: Mapping[str, DeadlineRule] = MappingProxyType(merged)
        self._calendars: Mapping[str, BusinessCalendar] = MappingProxyType(dict(calendars or {}))
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

    @property
    def calendars(self) -> Mapping[str, BusinessCalendar]:
        """The named calendars (``[calendars.NAME]``), by name (read-only)."""
        return self._calendars

    def rule(self, name: str) -> DeadlineRule:
        """The rule called ``name``; CalendarError if unknown."""
        try:
            return self._rules[name]
        except (KeyError, TypeError):
            known = ", ".join(sorted(self._rules))
            raise CalendarError(f"Unknown deadline rule {name!r}; known: {known}") from None

    def calendar(self, name: str) -> BusinessCalendar:
        """The calendar called ``name``; CalendarError if unknown."""
        try:
            return self._calendars[name]
        except (KeyError, TypeError):
            known = ", ".join(sorted(self._calendars)) or Wording("calendar_none")
            raise CalendarError(Wording("calendar_unknown", name=repr(name), known=known)) from None

    def calendar_for(
        self, rule: DeadlineRule, calendar: BusinessCalendar | str | None = None
    ) -> BusinessCalendar:
        """The calendar a rule counts on: ``calendar`` (a calendar or the name of one) when
        given, else the rule's own country's (the organisation's closures and hours in
        that country), else the organisation's."""
        if isinstance(calendar, BusinessCalendar):
            return calendar
        if calendar is not None:
            return self.calendar(calendar)
        if rule.country is None:
            return self.default_calendar
        return self.default_calendar.for_region(rule.country, rule.subdivision)

    def due(
        self, name: str, start: datetime, calendar: BusinessCalendar | str | None = None
    ) -> datetime:
        """Due instant of rule ``name`` for a receipt at ``start``."""
        rule = self.rule(name)
        return rule.due(start, self.calendar_for(rule, calendar))

    def warning(
        self, name: str, start: datetime, calendar: BusinessCalendar | str | None = None
    ) -> datetime:
        """Warning instant of rule ``name`` for a receipt at ``start``."""
        rule = self.rule(name)
        return rule.warning(start, self.calendar_for(rule, calendar))

    def schedule(
        self,
        name: str,
        start: datetime,
        *,
        calendar: BusinessCalendar | str | None = None,
        pauses: Iterable[Pause] = (),
    ) -> ClockSchedule:
        """Due and warning instants of the clock of rule ``name`` started at ``start`` on
        ``calendar`` (see :meth:`calendar_for`), paused by ``pauses``."""
        rule = self.rule(name)
        return rule.schedule(start, self.calendar_for(rule, calendar), pauses)

    def running_time(
        self,
        name: str,
        start: datetime,
        end: datetime,
        *,
        calendar: BusinessCalendar | str | None = None,
        pauses: Iterable[Pause] = (),
    ) -> timedelta:
        """How long the clock of rule ``name`` ran from ``start`` to ``end`` (see
        :meth:`DeadlineRule.running_time`): the time to answer, as the rule counts it."""
        rule = self.rule(name)
        return rule.running_time(start, end, self.calendar_for(rule, calendar), pauses)
