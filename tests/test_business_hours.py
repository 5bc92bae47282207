"""Closing days, opening hours, team calendars and pauses: deadlines as a helpdesk counts them.

Every expected instant below was worked out by hand from printed month calendars and the
published holiday lists, never by calling the code under test. 2026-11-16 and 2026-11-23 are
Mondays; 25 December 2026 and 1 January 2027 are Fridays. Summer time: Paris and London go
forward on Sunday 28 March 2027 and back on Sunday 25 October 2026. Easter 2027 is 28 March
(Good Friday 26 March, Easter Monday 29 March). St Andrew's Day 2026 is Monday 30 November.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from engine.rules.business_calendar import BusinessCalendar, CalendarError
from engine.rules.deadlines import DeadlineRule, Pause, RuleBook
from engine.rules.hours import opening_hours

OFFICE = "09:00-12:30,13:30-18:00"  # 8 hours a day, with a lunch break
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


def hours(**days: str):
    """Opening hours from ``monday="09:00-18:00"``-style keywords."""
    read, problems = opening_hours(days)
    assert problems == []
    return read


OFFICE_HOURS = hours(**dict.fromkeys(WEEKDAYS, OFFICE))
WITH_SATURDAY = hours(**dict.fromkeys(WEEKDAYS, OFFICE), saturday="09:00-12:00")
ALWAYS = hours(**dict.fromkeys((*WEEKDAYS, "saturday", "sunday"), "00:00-24:00"))

PARIS = BusinessCalendar("FR", hours=WITH_SATURDAY)
PARIS_WEEKDAYS = BusinessCalendar("FR", hours=OFFICE_HOURS)
CHRISTMAS_CLOSURES = frozenset(
    [date(2026, 12, 24), *(date(2026, 12, 26) + timedelta(days=n) for n in range(7))]
)
PARIS_CLOSED = BusinessCalendar("FR", hours=WITH_SATURDAY, extra_closures=CHRISTMAS_CLOSURES)

FOUR_HOURS = DeadlineRule("first_response", "business_hours", 4)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def due(rule: DeadlineRule, start: str, calendar: BusinessCalendar) -> str:
    return rule.due(at(start), calendar).isoformat()


# --------------------------------------------------------------------------- opening hours


@pytest.mark.parametrize(
    ("start", "expected", "why"),
    [
        ("2026-11-16T10:00:00+01:00", "2026-11-16T15:00:00+01:00", "2h30 before lunch, 1h30 after"),
        ("2026-11-16T12:00:00+01:00", "2026-11-16T17:00:00+01:00", "30 min, lunch, 3h30"),
        ("2026-11-16T13:00:00+01:00", "2026-11-16T17:30:00+01:00", "started at lunch: 13:30"),
        ("2026-11-16T14:00:00+01:00", "2026-11-16T18:00:00+01:00", "runs out at closing time"),
        ("2026-11-16T17:59:00+01:00", "2026-11-17T13:59:00+01:00", "1 min, then 3h59 on Tue"),
        ("2026-11-16T18:01:00+01:00", "2026-11-17T14:00:00+01:00", "starts Tue 09:00"),
        ("2026-11-16T07:30:00+01:00", "2026-11-16T14:00:00+01:00", "starts at 09:00"),
        ("2026-11-16T17:59:30+01:00", "2026-11-17T13:59:30+01:00", "exact to the second"),
        ("2026-11-20T16:00:00+01:00", "2026-11-21T11:00:00+01:00", "2h Fri, 2h Saturday"),
        ("2026-11-21T11:00:00+01:00", "2026-11-23T12:00:00+01:00", "1h Sat, Sunday closed"),
        ("2026-11-22T10:00:00+01:00", "2026-11-23T14:00:00+01:00", "Sunday: Monday 09:00"),
        ("2026-11-10T16:00:00+01:00", "2026-11-12T11:00:00+01:00", "11 November, Armistice"),
    ],
)
def test_four_business_hours_count_opening_time_only(start: str, expected: str, why: str):
    assert due(FOUR_HOURS, start, PARIS) == expected, why


def test_the_warning_falls_at_its_share_of_opening_time_not_of_wall_time():
    rule = DeadlineRule("first_response", "business_hours", 4, warning_ratio=0.75)

    # Friday 16:00: 2 hours on Friday, then 09:00–11:00 on Saturday; 3 hours = Sat 10:00.
    assert rule.warning(at("2026-11-20T16:00:00+01:00"), PARIS).isoformat() == (
        "2026-11-21T10:00:00+01:00"
    )


def test_the_warning_at_a_closing_time_falls_at_closing_time():
    rule = DeadlineRule("callback", "business_hours", 8, warning_ratio=0.5)

    # Monday 14:00: 4 hours run out at 18:00 on Monday, not at 09:00 on Tuesday.
    assert rule.warning(at("2026-11-16T14:00:00+01:00"), PARIS).isoformat() == (
        "2026-11-16T18:00:00+01:00"
    )


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("2026-11-16T12:00:00+01:00", "2026-11-16T14:30:00+01:00"),  # 30 min + 60 min
        ("2026-11-16T17:45:00+01:00", "2026-11-17T10:15:00+01:00"),  # 15 min + 75 min
    ],
)
def test_business_minutes_count_minutes_of_opening_time(start: str, expected: str):
    rule = DeadlineRule("call_back", "business_minutes", 90)

    assert due(rule, start, PARIS) == expected


def test_a_day_unit_skips_a_saturday_whatever_the_opening_hours():
    rule = DeadlineRule("review", "business_days", 1)

    assert due(rule, "2026-11-20T10:00:00+01:00", PARIS) == "2026-11-23T23:59:59+01:00"


def test_a_rule_in_opening_time_on_a_calendar_without_hours_is_refused():
    with pytest.raises(CalendarError, match="has no opening hours"):
        FOUR_HOURS.due(at("2026-11-16T10:00:00+01:00"), BusinessCalendar("FR"))


# --------------------------------------------------------------------------- closing days


@pytest.mark.parametrize(
    ("rule", "start", "expected"),
    [
        # Wed 23 Dec 16:00: 2h; 24 closed, 25 holiday, 26 Dec–1 Jan closed; Sat 2 Jan 09:00.
        (FOUR_HOURS, "2026-12-23T16:00:00+01:00", "2027-01-02T11:00:00+01:00"),
        # Started on a closing day: the clock starts at the next opening, Sat 2 Jan 09:00.
        (FOUR_HOURS, "2026-12-24T10:00:00+01:00", "2027-01-04T10:00:00+01:00"),
        # Jours ouvrés: Mon 4 Jan is the first, Tue 5 the second.
        (DeadlineRule("r", "business_days", 2), "2026-12-23T10:00:00+01:00", "2027-01-05"),
        # Jours ouvrables: Sat 2 Jan, Mon 4, Tue 5.
        (DeadlineRule("r", "working_days", 3), "2026-12-23T10:00:00+01:00", "2027-01-05"),
        # 24 Dec, a closing day, rolls to the next business day: Monday 4 January.
        (
            DeadlineRule("r", "calendar_days", 1, roll_forward=True),
            "2026-12-23T10:00:00+01:00",
            "2027-01-04",
        ),
        # Without rolling, a calendar day is a calendar day, closed or not.
        (DeadlineRule("r", "calendar_days", 1), "2026-12-23T10:00:00+01:00", "2026-12-24"),
    ],
)
def test_closing_days_and_ranges_count_like_public_holidays(rule, start, expected):
    assert due(rule, start, PARIS_CLOSED).startswith(expected)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        # 24 Dec counts (closures ignored), 25 holiday, Mon 28 counts.
        (DeadlineRule("r", "business_days", 2, legal=True), "2026-12-28T23:59:59+01:00"),
        # The ACPR's 10 jours ouvrables: only Christmas and New Year's Day are skipped.
        (DeadlineRule("r", "working_days", 10, legal=True), "2027-01-06T23:59:59+01:00"),
        # 24 December is a Thursday, a working day for a regulator: no roll.
        (
            DeadlineRule("r", "calendar_days", 1, roll_forward=True, legal=True),
            "2026-12-24T23:59:59+01:00",
        ),
    ],
)
def test_a_legal_rule_is_unaffected_by_closing_days(rule, expected):
    assert due(rule, "2026-12-23T10:00:00+01:00", PARIS_CLOSED) == expected


def test_a_yearly_closure_closes_that_day_every_year():
    closed = BusinessCalendar("FR", hours=OFFICE_HOURS, yearly_closures=frozenset({(12, 24)}))

    # Thu 23 Dec 2027 16:00: 2h; Fri 24 closed (every year), Sat 25 Christmas, Sunday; Mon 27.
    assert due(FOUR_HOURS, "2027-12-23T16:00:00+01:00", closed) == "2027-12-27T11:00:00+01:00"
    assert closed.is_closure(date(2026, 12, 24)) and closed.is_closure(date(2031, 12, 24))
    assert not closed.is_holiday(date(2027, 12, 24))


def test_closing_runs_list_the_closures_of_a_period():
    runs = PARIS_CLOSED.closed_runs(date(2026, 12, 1), date(2027, 12, 31))

    assert runs == [
        (date(2026, 12, 24), date(2026, 12, 24)),
        (date(2026, 12, 26), date(2027, 1, 1)),
    ]


def test_a_calendar_closed_for_ever_is_a_clear_error_not_a_hang():
    leap_year = (date(2028, 1, 1) + timedelta(days=n) for n in range(366))
    closed = BusinessCalendar("FR", yearly_closures=frozenset((d.month, d.day) for d in leap_year))

    with pytest.raises(CalendarError, match="no working day in the ten years"):
        DeadlineRule("r", "business_days", 1).due(at("2026-11-16T10:00:00+01:00"), closed)


# --------------------------------------------------------------------------- summer time


@pytest.mark.parametrize(
    ("calendar", "start", "expected"),
    [
        # Paris, spring: Fri 26 Mar 2027 16:00 CET, 2h; Mon 29 Easter Monday; Tue 30 in CEST.
        (PARIS_WEEKDAYS, "2027-03-26T16:00:00+01:00", "2027-03-30T11:00:00+02:00"),
        # Paris, autumn: Fri 23 Oct 2026 16:00 CEST, 2h; Mon 26 09:00 CET + 2h.
        (PARIS_WEEKDAYS, "2026-10-23T16:00:00+02:00", "2026-10-26T11:00:00+01:00"),
        # London, spring: Fri 26 Mar 2027 is Good Friday, Mon 29 Easter Monday: Tue 30, BST.
        (
            BusinessCalendar("GB", "ENG", hours=hours(**dict.fromkeys(WEEKDAYS, "09:00-17:00"))),
            "2027-03-26T15:00:00+00:00",
            "2027-03-30T13:00:00+01:00",
        ),
        # London, autumn: Fri 23 Oct 2026 15:00 BST, 2h; Mon 26 09:00 GMT + 2h.
        (
            BusinessCalendar("GB", "ENG", hours=hours(**dict.fromkeys(WEEKDAYS, "09:00-17:00"))),
            "2026-10-23T15:00:00+01:00",
            "2026-10-26T11:00:00+00:00",
        ),
    ],
)
def test_business_hours_across_a_summer_time_weekend(calendar, start, expected):
    assert due(FOUR_HOURS, start, calendar) == expected


@pytest.mark.parametrize(
    ("timezone", "start", "expected"),
    [
        # 12h left on Saturday; Sunday 28 March lasts 23 hours: 12 more hours is 13:00 CEST.
        ("Europe/Paris", "2027-03-27T12:00:00+01:00", "2027-03-28T13:00:00+02:00"),
        # Sunday 25 October lasts 25 hours: 12 more hours is 11:00 CET.
        ("Europe/Paris", "2026-10-24T12:00:00+02:00", "2026-10-25T11:00:00+01:00"),
        ("Europe/London", "2027-03-27T12:00:00+00:00", "2027-03-28T13:00:00+01:00"),
        ("Europe/London", "2026-10-24T12:00:00+01:00", "2026-10-25T11:00:00+00:00"),
    ],
)
def test_an_hour_is_a_real_hour_on_the_night_summer_time_changes(timezone, start, expected):
    always_open = BusinessCalendar("FR", timezone=timezone, hours=ALWAYS)
    rule = DeadlineRule("around_the_clock", "business_hours", 24)

    assert due(rule, start, always_open) == expected


# --------------------------------------------------------------------------- team calendars


def office_book() -> RuleBook:
    organisation = BusinessCalendar("FR", hours=OFFICE_HOURS)
    scottish_hours = hours(**dict.fromkeys(WEEKDAYS, "09:00-17:00"))
    return RuleBook(
        {
            "first_response": FOUR_HOURS,
            "ack": DeadlineRule("ack", "working_days", 1),
        },
        default_calendar=organisation,
        calendars={
            "metz": organisation.for_region("FR", "57"),
            "edinburgh": BusinessCalendar("GB", "SCT", hours=scottish_hours),
        },
    )


def test_a_team_in_moselle_has_good_friday_off():
    book = office_book()
    start = at("2027-03-25T16:00:00+01:00")  # Thursday before Good Friday

    assert book.due("first_response", start).isoformat() == "2027-03-26T11:00:00+01:00"
    # Good Friday, the weekend and Easter Monday: Tuesday, in summer time.
    assert book.due("first_response", start, "metz").isoformat() == "2027-03-30T11:00:00+02:00"


def test_a_team_in_moselle_has_saint_stephens_day_off():
    book = office_book()
    start = at("2026-12-24T10:00:00+01:00")  # 25 December Friday, 26 December Saturday

    assert book.due("ack", start).isoformat() == "2026-12-26T23:59:59+01:00"
    assert book.due("ack", start, "metz").isoformat() == "2026-12-28T23:59:59+01:00"


def test_clocks_of_one_complaint_run_on_the_calendars_of_its_teams():
    book = office_book()
    received = at("2026-11-27T15:00:00+00:00")  # Friday; Monday 30 is St Andrew's Day

    in_paris = book.schedule("first_response", received)
    in_edinburgh = book.schedule("first_response", received, calendar="edinburgh")
    acknowledgement = book.schedule("acpr-acknowledgement", received)

    # Paris: 16:00–18:00 CET on Friday, then Monday 09:00–11:00.
    assert in_paris.due.isoformat() == "2026-11-30T11:00:00+01:00"
    # Edinburgh: 15:00–17:00 GMT on Friday, Monday a bank holiday, Tuesday 09:00–11:00.
    assert in_edinburgh.due.isoformat() == "2026-12-01T11:00:00+00:00"
    # The regulatory clock stays on the organisation's calendar: 10 ouvrables from 27 Nov.
    assert acknowledgement.due.isoformat() == "2026-12-09T23:59:59+01:00"


def test_an_unknown_calendar_lists_the_known_ones():
    with pytest.raises(CalendarError) as raised:
        office_book().schedule("first_response", at("2026-11-27T15:00:00+00:00"), calendar="lyon")

    assert str(raised.value) == "Unknown calendar 'lyon'; known: edinburgh, metz"


# --------------------------------------------------------------------------- pauses

SLA = DeadlineRule(
    "internal_sla", "business_hours", 8, warning_ratio=0.5, pause_while=("waiting_customer",)
)
FRIDAY_10 = at("2026-11-20T10:00:00+01:00")
WEEKEND_WAIT = Pause(
    "waiting_customer", at("2026-11-20T16:00:00+01:00"), at("2026-11-23T11:00:00+01:00")
)


def test_a_pause_over_a_weekend_moves_the_deadline_by_the_opening_time_spent_waiting():
    # Unpaused: 7h on Friday, Monday 09:00–10:00. Paused Fri 16:00–Mon 11:00, 4 opening hours:
    # 5h on Friday, then Monday 11:00–12:30 and 13:30–15:00.
    schedule = SLA.schedule(FRIDAY_10, PARIS_WEEKDAYS, [WEEKEND_WAIT])

    assert SLA.due(FRIDAY_10, PARIS_WEEKDAYS).isoformat() == "2026-11-23T10:00:00+01:00"
    assert schedule.due.isoformat() == "2026-11-23T15:00:00+01:00"
    assert schedule.warning.isoformat() == "2026-11-20T15:00:00+01:00"  # 4h, before the pause
    assert schedule.paused_since is None


def test_a_clock_waiting_now_has_no_due_instant_and_says_since_when():
    waiting = Pause("waiting_customer", at("2026-11-20T16:00:00+01:00"))

    schedule = SLA.schedule(FRIDAY_10, PARIS_WEEKDAYS, [waiting])

    assert schedule.due is None
    assert schedule.paused_since.isoformat() == "2026-11-20T16:00:00+01:00"
    assert schedule.warning.isoformat() == "2026-11-20T15:00:00+01:00"


def test_the_time_to_answer_leaves_out_the_pause():
    answered = at("2026-11-23T15:00:00+01:00")

    assert SLA.running_time(FRIDAY_10, answered, PARIS_WEEKDAYS, [WEEKEND_WAIT]) == timedelta(
        hours=8
    )
    assert SLA.running_time(FRIDAY_10, answered, PARIS_WEEKDAYS) == timedelta(hours=12)


def test_a_pause_in_days_counts_the_days_left_again_from_the_day_it_resumes():
    rule = DeadlineRule("review", "business_days", 5, pause_while=("waiting_customer",))
    start = at("2026-11-16T10:00:00+01:00")  # due Monday 23 unpaused
    wait = Pause(
        "waiting_customer", at("2026-11-20T15:00:00+01:00"), at("2026-11-23T10:00:00+01:00")
    )

    schedule = rule.schedule(start, PARIS_WEEKDAYS, [wait])

    # One business day was left after Friday; it counts again after Monday: Tuesday 24.
    assert schedule.due.isoformat() == "2026-11-24T23:59:59+01:00"
    # 80 % of the time it ran (8d 14h − 67h paused = 500399 s) is 400319 s: Fri 15:00 plus 36719 s
    # after Monday 10:00.
    assert schedule.warning.isoformat() == "2026-11-23T20:11:59+01:00"


def test_a_pause_within_one_day_does_not_move_a_deadline_in_days():
    rule = DeadlineRule("review", "business_days", 5, pause_while=("waiting_customer",))
    wait = Pause(
        "waiting_customer", at("2026-11-18T10:00:00+01:00"), at("2026-11-18T16:00:00+01:00")
    )

    schedule = rule.schedule(at("2026-11-16T10:00:00+01:00"), PARIS_WEEKDAYS, [wait])

    assert schedule.due.isoformat() == "2026-11-23T23:59:59+01:00"


def test_only_the_states_a_rule_pauses_for_stop_it():
    other = Pause("waiting_expert", WEEKEND_WAIT.since, WEEKEND_WAIT.until)
    legal = DeadlineRule("regulator", "business_hours", 8, legal=True)

    assert SLA.schedule(FRIDAY_10, PARIS_WEEKDAYS, [other]).due.isoformat() == (
        "2026-11-23T10:00:00+01:00"
    )
    assert legal.schedule(FRIDAY_10, PARIS_WEEKDAYS, [WEEKEND_WAIT]).due.isoformat() == (
        "2026-11-23T10:00:00+01:00"
    )


def test_a_pause_that_ends_before_it_begins_is_refused():
    with pytest.raises(CalendarError, match=r"ends .* before it begins"):
        Pause("waiting_customer", at("2026-11-23T11:00:00+01:00"), at("2026-11-20T16:00:00+01:00"))


def test_a_rulebook_schedule_passes_the_pauses_to_the_rule_on_its_calendar():
    book = RuleBook({"internal_sla": SLA}, default_calendar=PARIS_WEEKDAYS)

    schedule = book.schedule("internal_sla", FRIDAY_10, pauses=[WEEKEND_WAIT])

    assert schedule.due.isoformat() == "2026-11-23T15:00:00+01:00"
