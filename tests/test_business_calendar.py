"""Tests for engine.rules.business_calendar: business calendars, deadline rules and presets.

Every expected date below was worked out by hand against printed month calendars
(Python's `calendar` module) and the published holiday lists, never by calling the
code under test. Easter 2025 = 20 Apr, 2026 = 5 Apr, 2027 = 28 Mar. EU summer
time 2026: 29 Mar → 25 Oct; US 2026: 8 Mar → 1 Nov.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from engine.rules.business_calendar import BusinessCalendar, CalendarError, parse_instant
from engine.rules.deadlines import PRESET_RULES, DeadlineRule, RuleBook

FR = BusinessCalendar("FR")
MOSELLE = BusinessCalendar("FR", "57")
ENG = BusinessCalendar("GB", "ENG")
SCT = BusinessCalendar("GB", "SCT")
US = BusinessCalendar("US")

CALENDARS = {"FR": FR, "MOSELLE": MOSELLE, "ENG": ENG, "SCT": SCT, "US": US}


def at(text: str) -> datetime:
    """An aware instant from ISO text (stdlib parser, not the code under test)."""
    value = datetime.fromisoformat(text)
    assert value.tzinfo is not None
    return value


# --------------------------------------------------------------------------- holidays


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 1, 1),  # Jour de l'an (Thu)
        date(2026, 4, 6),  # Lundi de Pâques
        date(2026, 5, 1),  # Fête du travail (Fri)
        date(2026, 5, 8),  # Victoire 1945 (Fri)
        date(2026, 5, 14),  # Ascension (Thu)
        date(2026, 5, 25),  # Lundi de Pentecôte
        date(2026, 7, 14),  # Fête nationale (Tue)
        date(2026, 8, 15),  # Assomption (Sat)
        date(2026, 11, 1),  # Toussaint (Sun)
        date(2026, 11, 11),  # Armistice (Wed)
        date(2026, 12, 25),  # Noël (Fri)
        date(2025, 4, 21),  # Lundi de Pâques 2025
        date(2025, 5, 29),  # Ascension 2025
        date(2025, 6, 9),  # Lundi de Pentecôte 2025
        date(2027, 3, 29),  # Lundi de Pâques 2027
        date(2027, 5, 6),  # Ascension 2027
        date(2027, 5, 17),  # Lundi de Pentecôte 2027
    ],
)
def test_french_public_holidays_are_holidays_and_not_working_days(day: date) -> None:
    assert FR.is_holiday(day)
    assert not FR.is_working_day(day)


def test_whit_monday_is_a_french_public_holiday_named_pentecost_monday() -> None:
    assert FR.holiday_name(date(2026, 5, 25)) == "Pentecost Monday"


def test_holiday_name_is_none_on_an_ordinary_day() -> None:
    assert FR.holiday_name(date(2026, 5, 26)) is None


@pytest.mark.parametrize("day", [date(2026, 4, 3), date(2026, 12, 26)])
def test_good_friday_and_saint_stephen_are_not_holidays_in_plain_france(day: date) -> None:
    assert not FR.is_holiday(day)
    assert FR.is_working_day(day) == (day.weekday() < 5)


@pytest.mark.parametrize("subdivision", ["57", "6AE", "67", "68", "Moselle", "Alsace"])
@pytest.mark.parametrize("day", [date(2026, 4, 3), date(2026, 12, 26), date(2025, 4, 18)])
def test_alsace_moselle_adds_good_friday_and_26_december(subdivision: str, day: date) -> None:
    assert BusinessCalendar("FR", subdivision).is_holiday(day)


def test_moselle_keeps_the_national_holidays() -> None:
    assert MOSELLE.is_holiday(date(2026, 7, 14))


def test_moselle_26_december_is_named_saint_stephens_day() -> None:
    assert MOSELLE.holiday_name(date(2026, 12, 26)) == "Saint Stephen's Day"


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [("Moselle", "57"), ("Alsace", "6AE"), ("67", "6AE"), ("68", "6AE")],
)
def test_subdivision_aliases_are_normalised_to_the_package_code(alias: str, canonical: str) -> None:
    assert BusinessCalendar("FR", alias).subdivision == canonical


@pytest.mark.parametrize(
    ("day", "what"),
    [
        (date(2026, 4, 3), "Good Friday"),
        (date(2026, 4, 6), "Easter Monday"),
        (date(2026, 5, 4), "early May bank holiday"),
        (date(2026, 5, 25), "spring bank holiday"),
        (date(2026, 8, 31), "summer bank holiday"),
        (date(2026, 12, 28), "Boxing Day substitute (26 Dec is a Saturday)"),
        (date(2027, 12, 27), "Christmas substitute (25 Dec is a Saturday)"),
        (date(2027, 12, 28), "Boxing Day substitute (26 Dec is a Sunday)"),
    ],
)
def test_england_bank_holidays(day: date, what: str) -> None:
    assert ENG.is_holiday(day), what
    assert not ENG.is_working_day(day), what


@pytest.mark.parametrize(
    ("day", "what"),
    [
        (date(2026, 1, 2), "2 January"),
        (date(2027, 1, 4), "2 January substitute (2 Jan 2027 is a Saturday)"),
        (date(2026, 8, 3), "Scottish summer bank holiday (first Monday of August)"),
        (date(2026, 11, 30), "St Andrew's Day (Monday)"),
        (date(2025, 12, 1), "St Andrew's Day substitute (30 Nov 2025 is a Sunday)"),
    ],
)
def test_scotland_bank_holidays(day: date, what: str) -> None:
    assert SCT.is_holiday(day), what


@pytest.mark.parametrize(
    "day", [date(2026, 1, 2), date(2026, 8, 3), date(2025, 12, 1), date(2026, 11, 30)]
)
def test_scottish_bank_holidays_are_working_days_in_england(day: date) -> None:
    assert ENG.is_working_day(day)


def test_scotland_has_no_late_august_bank_holiday() -> None:
    assert SCT.is_working_day(date(2026, 8, 31))


def test_gb_without_subdivision_only_has_uk_wide_bank_holidays() -> None:
    """A trap worth knowing: plain "GB" lacks England's Easter Monday and August holiday."""
    gb = BusinessCalendar("GB")
    assert gb.is_holiday(date(2026, 12, 25))
    assert not gb.is_holiday(date(2026, 4, 6))
    assert not gb.is_holiday(date(2026, 8, 31))


def test_uk_alias_is_normalised_to_gb() -> None:
    assert BusinessCalendar("UK", "Scotland") == SCT


# --------------------------------------------------------------------------- calendar days


def test_default_working_weekdays_are_monday_to_friday() -> None:
    assert FR.working_weekdays == frozenset({0, 1, 2, 3, 4})
    assert FR.is_working_day(date(2026, 1, 9))  # Friday
    assert not FR.is_working_day(date(2026, 1, 10))  # Saturday
    assert not FR.is_working_day(date(2026, 1, 11))  # Sunday


def test_monday_to_saturday_variant_keeps_country_and_timezone() -> None:
    ouvrables = FR.with_weekdays(range(6))
    assert ouvrables.working_weekdays == frozenset(range(6))
    assert (ouvrables.country, ouvrables.subdivision, ouvrables.timezone) == (
        "FR",
        None,
        "Europe/Paris",
    )
    assert ouvrables.is_working_day(date(2026, 5, 9))  # Saturday
    assert not ouvrables.is_working_day(date(2026, 8, 15))  # Saturday, Assomption


def test_extra_closure_is_not_a_working_day_but_not_a_public_holiday() -> None:
    closed = BusinessCalendar("FR", extra_closures=frozenset({date(2026, 12, 24)}))
    assert not closed.is_working_day(date(2026, 12, 24))
    assert not closed.is_holiday(date(2026, 12, 24))
    assert closed.next_working_day(date(2026, 12, 24)) == date(2026, 12, 28)


@pytest.mark.parametrize(
    ("day", "include_self", "expected"),
    [
        (date(2026, 5, 4), True, date(2026, 5, 4)),  # Monday, already working
        (date(2026, 5, 4), False, date(2026, 5, 5)),
        (date(2026, 5, 1), True, date(2026, 5, 4)),  # Fri holiday → Monday
        (date(2026, 5, 2), True, date(2026, 5, 4)),  # Saturday → Monday
        (date(2026, 5, 8), True, date(2026, 5, 11)),  # Fri 8 May → Monday
        (date(2026, 5, 14), True, date(2026, 5, 15)),  # Ascension → Friday
        (date(2026, 4, 4), True, date(2026, 4, 7)),  # Sat → Sun → Easter Monday → Tue
        (date(2026, 12, 31), False, date(2027, 1, 4)),  # New Year Fri, weekend → Mon
    ],
)
def test_next_working_day_rolls_forward(day: date, include_self: bool, expected: date) -> None:
    assert FR.next_working_day(day, include_self=include_self) == expected


@pytest.mark.parametrize(
    ("calendar", "day", "n", "expected"),
    [
        ("FR", date(2026, 4, 30), 1, date(2026, 5, 4)),  # skips 1 May + weekend
        ("FR", date(2026, 4, 2), 1, date(2026, 4, 3)),  # Good Friday is a working day
        ("MOSELLE", date(2026, 4, 2), 1, date(2026, 4, 7)),  # Good Friday + Easter Monday
        ("FR", date(2026, 1, 4), 1, date(2026, 1, 5)),  # from a Sunday
        ("FR", date(2026, 1, 5), 0, date(2026, 1, 5)),
        ("FR", date(2026, 5, 26), -1, date(2026, 5, 22)),  # backwards over Whit Monday
        ("FR", date(2026, 12, 30), 2, date(2027, 1, 4)),  # across the year boundary
    ],
)
def test_add_working_days_never_counts_the_start_day(
    calendar: str, day: date, n: int, expected: date
) -> None:
    assert CALENDARS[calendar].add_working_days(day, n) == expected


def test_add_working_days_on_monday_to_saturday_counts_saturday() -> None:
    assert FR.with_weekdays(range(6)).add_working_days(date(2026, 5, 8), 1) == date(2026, 5, 9)


def test_add_days_and_add_weeks_cross_the_year_boundary() -> None:
    assert FR.add_days(date(2026, 12, 30), 3) == date(2027, 1, 2)
    assert FR.add_weeks(date(2026, 12, 31), 1) == date(2027, 1, 7)


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2028, 2, 29), 1, date(2028, 3, 29)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 8, 31), 2, date(2026, 10, 31)),
        (date(2026, 10, 31), 1, date(2026, 11, 30)),
        (date(2026, 12, 30), 1, date(2027, 1, 30)),
        (date(2026, 12, 31), 1, date(2027, 1, 31)),
        (date(2026, 12, 31), 2, date(2027, 2, 28)),
        (date(2027, 12, 31), 2, date(2028, 2, 29)),  # leap year
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
    ],
)
def test_add_months_keeps_the_day_number_clamped_to_month_end(
    day: date, n: int, expected: date
) -> None:
    assert FR.add_months(day, n) == expected


@pytest.mark.parametrize(
    ("calendar", "day", "expected"),
    [
        ("FR", date(2026, 1, 12), "2026-01-12T23:59:59+01:00"),
        ("FR", date(2026, 7, 14), "2026-07-14T23:59:59+02:00"),
        ("ENG", date(2026, 1, 12), "2026-01-12T23:59:59+00:00"),
        ("US", date(2026, 1, 12), "2026-01-12T23:59:59-05:00"),
    ],
)
def test_end_of_day_is_2359_59_local_time(calendar: str, day: date, expected: str) -> None:
    assert CALENDARS[calendar].end_of_day(day).isoformat() == expected


@pytest.mark.parametrize(
    ("calendar", "instant", "expected"),
    [
        ("FR", "2026-03-10T22:30:00+00:00", date(2026, 3, 10)),  # 23:30 in Paris
        ("FR", "2026-03-10T23:30:00+00:00", date(2026, 3, 11)),  # 00:30 in Paris
        ("FR", "2026-07-13T22:30:00+00:00", date(2026, 7, 14)),  # 00:30 CEST
        ("US", "2026-03-11T02:00:00+00:00", date(2026, 3, 10)),  # 22:00 EDT
    ],
)
def test_local_date_uses_the_calendar_timezone(calendar: str, instant: str, expected: date) -> None:
    assert CALENDARS[calendar].local_date(at(instant)) == expected


@pytest.mark.parametrize(
    ("country", "timezone"),
    [
        ("FR", "Europe/Paris"),
        ("GB", "Europe/London"),
        ("US", "America/New_York"),
        ("BE", "Europe/Brussels"),
        ("CH", "Europe/Zurich"),
        ("LU", "Europe/Luxembourg"),
        ("CA", "America/Toronto"),
        ("DE", "Europe/Berlin"),
        ("ES", "Europe/Madrid"),
        ("IT", "Europe/Rome"),
    ],
)
def test_timezone_defaults_from_the_country(country: str, timezone: str) -> None:
    assert BusinessCalendar(country).timezone == timezone


def test_explicit_timezone_allows_a_country_without_default() -> None:
    assert BusinessCalendar("JP", timezone="Asia/Tokyo").timezone == "Asia/Tokyo"


# --------------------------------------------------------------------------- presets

PRESET_CASES = [
    # acpr-acknowledgement: 10 jours ouvrables (Mon–Sat minus holidays)
    ("acpr-acknowledgement", "FR", "2026-01-05T10:00:00+01:00", "2026-01-16T23:59:59+01:00"),
    ("acpr-acknowledgement", "FR", "2026-04-30T09:00:00+02:00", "2026-05-15T23:59:59+02:00"),
    ("acpr-acknowledgement", "FR", "2026-12-21T09:00:00+01:00", "2027-01-04T23:59:59+01:00"),
    ("acpr-acknowledgement", "MOSELLE", "2026-12-21T09:00:00+01:00", "2027-01-05T23:59:59+01:00"),
    ("acpr-acknowledgement", "FR", "2026-10-30T09:00:00+01:00", "2026-11-12T23:59:59+01:00"),
    # acpr-answer: 2 months, rolled to the next jour ouvrable
    ("acpr-answer", "FR", "2026-01-05T10:00:00+01:00", "2026-03-05T23:59:59+01:00"),
    ("acpr-answer", "FR", "2026-12-31T10:00:00+01:00", "2027-03-01T23:59:59+01:00"),
    ("acpr-answer", "FR", "2026-05-14T10:00:00+02:00", "2026-07-15T23:59:59+02:00"),
    ("acpr-answer", "FR", "2026-09-01T10:00:00+02:00", "2026-11-02T23:59:59+01:00"),
    ("acpr-answer", "FR", "2026-02-05T10:00:00+01:00", "2026-04-07T23:59:59+02:00"),
    ("acpr-answer", "FR", "2026-01-07T10:00:00+01:00", "2026-03-07T23:59:59+01:00"),
    ("acpr-answer", "FR", "2026-08-31T10:00:00+02:00", "2026-10-31T23:59:59+01:00"),
    # psd2-answer: 15 business days (Mon–Fri minus holidays)
    ("psd2-answer", "FR", "2026-01-05T10:00:00+01:00", "2026-01-26T23:59:59+01:00"),
    ("psd2-answer", "FR", "2026-04-30T10:00:00+02:00", "2026-05-27T23:59:59+02:00"),
    ("psd2-answer", "ENG", "2026-08-21T10:00:00+01:00", "2026-09-14T23:59:59+01:00"),
    ("psd2-answer", "SCT", "2026-08-21T10:00:00+01:00", "2026-09-11T23:59:59+01:00"),
    # psd2-answer-extended: 35 business days
    ("psd2-answer-extended", "FR", "2026-01-05T10:00:00+01:00", "2026-02-23T23:59:59+01:00"),
    ("psd2-answer-extended", "FR", "2026-04-01T10:00:00+02:00", "2026-05-27T23:59:59+02:00"),
    # fca-summary: 3rd business day after receipt
    ("fca-summary", "ENG", "2026-08-28T15:00:00+01:00", "2026-09-03T23:59:59+01:00"),
    ("fca-summary", "ENG", "2026-12-23T15:00:00+00:00", "2026-12-30T23:59:59+00:00"),
    ("fca-summary", "ENG", "2026-05-01T15:00:00+01:00", "2026-05-07T23:59:59+01:00"),
    ("fca-summary", "ENG", "2026-05-22T15:00:00+01:00", "2026-05-28T23:59:59+01:00"),
    ("fca-summary", "ENG", "2025-12-31T15:00:00+00:00", "2026-01-06T23:59:59+00:00"),
    ("fca-summary", "SCT", "2025-12-31T15:00:00+00:00", "2026-01-07T23:59:59+00:00"),
    ("fca-summary", "ENG", "2025-11-28T15:00:00+00:00", "2025-12-03T23:59:59+00:00"),
    ("fca-summary", "SCT", "2025-11-28T15:00:00+00:00", "2025-12-04T23:59:59+00:00"),
    # fca-final: 8 weeks, calendar, no roll
    ("fca-final", "ENG", "2026-01-05T10:00:00+00:00", "2026-03-02T23:59:59+00:00"),
    ("fca-final", "ENG", "2026-02-04T10:00:00+00:00", "2026-04-01T23:59:59+01:00"),
    ("fca-final", "ENG", "2026-03-01T10:00:00+00:00", "2026-04-26T23:59:59+01:00"),  # Sunday
    # cfpb-response: 15 calendar days, no roll
    ("cfpb-response", "US", "2026-01-05T12:00:00-05:00", "2026-01-20T23:59:59-05:00"),
    ("cfpb-response", "US", "2026-10-20T12:00:00-04:00", "2026-11-04T23:59:59-05:00"),
    ("cfpb-response", "US", "2026-06-19T12:00:00-04:00", "2026-07-04T23:59:59-04:00"),
    # cfpb-final: 60 calendar days, no roll
    ("cfpb-final", "US", "2026-01-05T12:00:00-05:00", "2026-03-06T23:59:59-05:00"),
    ("cfpb-final", "US", "2026-11-01T12:00:00-05:00", "2026-12-31T23:59:59-05:00"),
    ("cfpb-final", "US", "2026-12-15T12:00:00-05:00", "2027-02-13T23:59:59-05:00"),
]


@pytest.mark.parametrize(("rule", "calendar", "received", "expected"), PRESET_CASES)
def test_preset_due_date(rule: str, calendar: str, received: str, expected: str) -> None:
    assert PRESET_RULES[rule].due(at(received), CALENDARS[calendar]).isoformat() == expected


def test_every_preset_has_at_least_two_cases() -> None:
    counts = {name: 0 for name in PRESET_RULES}
    for name, *_ in PRESET_CASES:
        counts[name] += 1
    assert min(counts.values()) >= 2, counts


def test_presets_are_exactly_the_documented_ones() -> None:
    assert set(PRESET_RULES) == {
        "acpr-acknowledgement",
        "acpr-answer",
        "psd2-answer",
        "psd2-answer-extended",
        "fca-summary",
        "fca-final",
        "cfpb-response",
        "cfpb-final",
    }


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        ("2026-01-03T10:00:00+01:00", "2026-01-15T23:59:59+01:00"),  # Saturday
        ("2026-01-04T10:00:00+01:00", "2026-01-15T23:59:59+01:00"),  # Sunday
    ],
)
def test_weekend_receipt_day_does_not_count(received: str, expected: str) -> None:
    due = PRESET_RULES["acpr-acknowledgement"].due(at(received), FR)
    assert due.isoformat() == expected


def test_weekend_receipt_for_business_days() -> None:
    due = PRESET_RULES["fca-summary"].due(at("2026-01-03T10:00:00+00:00"), ENG)
    assert due.isoformat() == "2026-01-07T23:59:59+00:00"


@pytest.mark.parametrize(
    ("received_utc", "expected"),
    [
        # 23:30 Paris on Monday 5 Jan is still the Monday: same as a morning receipt.
        ("2026-01-05T22:30:00+00:00", "2026-01-16T23:59:59+01:00"),
        # 00:30 Paris on Tuesday 6 Jan: Tuesday is the day of receipt.
        ("2026-01-05T23:30:00+00:00", "2026-01-17T23:59:59+01:00"),
    ],
)
def test_late_evening_receipt_uses_the_local_date(received_utc: str, expected: str) -> None:
    due = PRESET_RULES["acpr-acknowledgement"].due(at(received_utc), FR)
    assert due.isoformat() == expected


def test_late_evening_receipt_in_new_york_uses_the_local_date() -> None:
    # 03:30 UTC on 1 Apr is 23:30 EDT on 31 Mar.
    due = PRESET_RULES["cfpb-response"].due(at("2026-04-01T03:30:00+00:00"), US)
    assert due.isoformat() == "2026-04-15T23:59:59-04:00"


@pytest.mark.parametrize(
    ("rule", "calendar", "received", "expected"),
    [
        # late October: summer time ends Sunday 25 Oct 2026
        ("acpr-acknowledgement", "FR", "2026-10-12T10:00:00+02:00", "2026-10-23T23:59:59+02:00"),
        ("acpr-acknowledgement", "FR", "2026-10-19T10:00:00+02:00", "2026-10-30T23:59:59+01:00"),
        ("acpr-answer", "FR", "2026-08-25T10:00:00+02:00", "2026-10-26T23:59:59+01:00"),
        ("fca-final", "ENG", "2026-08-27T10:00:00+01:00", "2026-10-22T23:59:59+01:00"),
        ("fca-final", "ENG", "2026-09-01T10:00:00+01:00", "2026-10-27T23:59:59+00:00"),
        # late March: summer time starts Sunday 29 Mar 2026
        ("psd2-answer", "FR", "2026-03-02T10:00:00+01:00", "2026-03-23T23:59:59+01:00"),
        ("psd2-answer", "FR", "2026-03-09T10:00:00+01:00", "2026-03-30T23:59:59+02:00"),
        ("fca-final", "ENG", "2026-01-26T10:00:00+00:00", "2026-03-23T23:59:59+00:00"),
        ("fca-final", "ENG", "2026-02-02T10:00:00+00:00", "2026-03-30T23:59:59+01:00"),
    ],
)
def test_deadline_across_dst_change_has_the_local_offset(
    rule: str, calendar: str, received: str, expected: str
) -> None:
    assert PRESET_RULES[rule].due(at(received), CALENDARS[calendar]).isoformat() == expected


def test_due_is_in_the_calendar_timezone_whatever_the_receipt_offset() -> None:
    due = PRESET_RULES["psd2-answer"].due(at("2026-01-05T09:00:00+00:00"), FR)
    assert str(due.tzinfo) == "Europe/Paris"


# --------------------------------------------------------------------------- warnings


def test_warning_is_at_80_percent_of_elapsed_time() -> None:
    # due 2026-01-16T23:59:59+01:00; span 11 d 13:59:59 = 1 000 799 s; 80 % = 800 639.2 s
    # = 9 d 06:23:59.2 → floored to the second.
    warning = PRESET_RULES["acpr-acknowledgement"].warning(at("2026-01-05T10:00:00+01:00"), FR)
    assert warning.isoformat() == "2026-01-14T16:23:59+01:00"


def test_warning_is_rounded_down_to_the_second() -> None:
    # due 2026-01-20T23:59:59-05:00; span 1 382 398.1 s; 80 % = 1 105 918.48 s after
    # 00:00:00.9 → 1 105 919.38 s after midnight = 12 d 19:11:59.38 → :59.
    warning = PRESET_RULES["cfpb-response"].warning(at("2026-01-05T00:00:00.900000-05:00"), US)
    assert warning.isoformat() == "2026-01-17T19:11:59-05:00"


def test_warning_counts_real_elapsed_time_across_dst_end() -> None:
    # receipt 2026-10-19T22:00Z, due 2026-10-30T23:59:59+01:00 = 22:59:59Z: span 953 999 s,
    # half = 476 999.5 s = 5 d 12:29:59.5 → 2026-10-25T10:29:59Z = 11:29:59+01:00.
    rule = DeadlineRule("ten-days", "calendar_days", 10, warning_ratio=0.5)
    warning = rule.warning(at("2026-10-20T00:00:00+02:00"), FR)
    assert warning.isoformat() == "2026-10-25T11:29:59+01:00"


def test_warning_with_a_zoneinfo_receipt_counts_real_time_across_dst_end() -> None:
    # Same instants as above, but the receipt carries the calendar's own ZoneInfo
    # (same-tzinfo subtraction in Python is wall-clock, which would be an hour short).
    rule = DeadlineRule("ten-days", "calendar_days", 10, warning_ratio=0.5)
    received = datetime(2026, 10, 20, 0, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert rule.warning(received, FR).isoformat() == "2026-10-25T11:29:59+01:00"


def test_warning_is_in_the_calendar_timezone() -> None:
    warning = PRESET_RULES["psd2-answer"].warning(at("2026-01-05T09:00:00+00:00"), FR)
    assert str(warning.tzinfo) == "Europe/Paris"


# --------------------------------------------------------------------------- rules


def test_rule_from_mapping_reads_every_key() -> None:
    rule = DeadlineRule.from_mapping(
        "sla",
        {
            "unit": "months",
            "count": 1,
            "roll_forward": True,
            "roll_to": "working_days",
            "warning": 0.75,
            "country": "FR",
            "subdivision": "57",
        },
    )
    assert rule == DeadlineRule(
        "sla", "months", 1, True, "working_days", 0.75, country="FR", subdivision="57"
    )


def test_rule_from_mapping_defaults() -> None:
    rule = DeadlineRule.from_mapping("sla", {"unit": "business_days", "count": 2})
    assert (rule.roll_forward, rule.roll_to, rule.warning_ratio, rule.country) == (
        False,
        "business_days",
        0.8,
        None,
    )


def test_roll_to_defaults_to_the_unit_for_working_days() -> None:
    assert DeadlineRule("x", "working_days", 3).roll_to == "working_days"


def test_calendar_unit_with_business_roll_moves_off_saturday() -> None:
    # 2026-01-07 + 2 months = Saturday 7 Mar 2026 → Monday 9 Mar.
    rule = DeadlineRule("x", "months", 2, roll_forward=True)
    assert rule.due(at("2026-01-07T10:00:00+01:00"), FR).isoformat() == (
        "2026-03-09T23:59:59+01:00"
    )


def test_working_day_rule_ignores_the_calendar_weekdays() -> None:
    mon_sat = FR.with_weekdays(range(6))
    due = PRESET_RULES["psd2-answer"].due(at("2026-01-05T10:00:00+01:00"), mon_sat)
    assert due.isoformat() == "2026-01-26T23:59:59+01:00"


@pytest.mark.parametrize(
    ("mapping", "fragment"),
    [
        ({"unit": "fortnights", "count": 1}, "unknown unit 'fortnights'"),
        ({"unit": "business_days", "count": 0}, "count must be a positive integer, got 0"),
        ({"unit": "business_days", "count": -3}, "got -3"),
        ({"unit": "business_days", "count": 1.5}, "got 1.5"),
        ({"unit": "business_days", "count": "2"}, "got '2'"),
        ({"unit": "business_days", "count": True}, "got True"),
        ({"unit": "business_days", "count": 2, "warning": 0}, "warning must be"),
        ({"unit": "business_days", "count": 2, "warning": 1}, "got 1"),
        ({"unit": "business_days", "count": 2, "warning": 1.2}, "got 1.2"),
        ({"unit": "business_days", "count": 2, "warning": "0.8"}, "got '0.8'"),
        ({"unit": "business_days", "count": 2, "colour": "red"}, "unknown key 'colour'"),
        ({"unit": "business_days", "count": 2, "warning_ratio": 0.5}, "unknown key"),
        ({"count": 2}, "missing required key 'unit'"),
        ({"unit": "business_days"}, "missing required key 'count'"),
        ({"unit": "business_days", "count": 2, "roll_forward": "yes"}, "roll_forward"),
        ({"unit": "months", "count": 2, "roll_to": "weeks"}, "unknown roll_to 'weeks'"),
        ({"unit": "business_days", "count": 2, "country": "XX"}, "Unknown country 'XX'"),
        (
            {"unit": "business_days", "count": 2, "country": "FR", "subdivision": "ZZ"},
            "Unknown subdivision 'ZZ' for FR",
        ),
        ({"unit": "business_days", "count": 2, "subdivision": "57"}, "needs a country"),
        ({"unit": "business_days", "count": 2, "country": "JP"}, "No default timezone"),
    ],
)
def test_bad_rule_mapping_raises_a_one_line_calendar_error(
    mapping: dict[str, object], fragment: str
) -> None:
    with pytest.raises(CalendarError) as excinfo:
        DeadlineRule.from_mapping("my-rule", mapping)
    message = str(excinfo.value)
    assert fragment in message
    assert "'my-rule'" in message
    assert "\n" not in message


def test_rule_mapping_must_be_a_mapping() -> None:
    with pytest.raises(CalendarError, match="expected a mapping"):
        DeadlineRule.from_mapping("my-rule", ["business_days", 2])  # type: ignore[arg-type]


def test_calendar_error_is_a_value_error() -> None:
    assert issubclass(CalendarError, ValueError)


# --------------------------------------------------------------------------- rule book


def test_rulebook_uses_the_default_calendar() -> None:
    book = RuleBook(default_calendar=FR)
    due = book.due("psd2-answer", at("2026-04-30T10:00:00+02:00"))
    assert due.isoformat() == "2026-05-27T23:59:59+02:00"


def test_rulebook_explicit_calendar_wins_over_the_default() -> None:
    book = RuleBook(default_calendar=FR)
    due = book.due("fca-summary", at("2026-08-28T15:00:00+01:00"), ENG)
    assert due.isoformat() == "2026-09-03T23:59:59+01:00"


def test_rulebook_warning_matches_the_rule_warning() -> None:
    book = RuleBook(default_calendar=FR)
    warning = book.warning("acpr-acknowledgement", at("2026-01-05T10:00:00+01:00"))
    assert warning.isoformat() == "2026-01-14T16:23:59+01:00"


def test_custom_rule_overrides_a_preset() -> None:
    custom = DeadlineRule("psd2-answer", "business_days", 1)
    book = RuleBook({"psd2-answer": custom}, default_calendar=FR)
    assert book.rule("psd2-answer") is custom
    due = book.due("psd2-answer", at("2026-04-30T10:00:00+02:00"))
    assert due.isoformat() == "2026-05-04T23:59:59+02:00"


def test_custom_rule_is_added_next_to_presets() -> None:
    book = RuleBook.from_policy(
        {"internal-sla": {"unit": "business_days", "count": 2}}, default_calendar=FR
    )
    assert book.rule("internal-sla").count == 2
    assert book.rule("acpr-answer") == PRESET_RULES["acpr-answer"]


def test_rule_country_override_selects_that_country_calendar() -> None:
    rule = DeadlineRule("uk-sla", "business_days", 3, country="GB", subdivision="ENG")
    book = RuleBook({"uk-sla": rule}, default_calendar=FR)
    assert book.calendar_for(rule) == ENG
    due = book.due("uk-sla", at("2026-08-28T15:00:00+01:00"))
    assert due.isoformat() == "2026-09-03T23:59:59+01:00"


def test_rule_without_override_uses_the_default_calendar() -> None:
    book = RuleBook(default_calendar=MOSELLE)
    assert book.calendar_for(PRESET_RULES["psd2-answer"]) is MOSELLE


def test_unknown_rule_lists_the_known_ones() -> None:
    book = RuleBook(default_calendar=FR)
    with pytest.raises(CalendarError) as excinfo:
        book.rule("nope")
    assert str(excinfo.value) == (
        "Unknown deadline rule 'nope'; known: acpr-acknowledgement, acpr-answer, "
        "cfpb-final, cfpb-response, fca-final, fca-summary, psd2-answer, psd2-answer-extended"
    )


def test_rule_registered_under_another_name_is_rejected() -> None:
    with pytest.raises(CalendarError, match="registered under name 'b'"):
        RuleBook({"b": DeadlineRule("a", "weeks", 1)}, default_calendar=FR)


# --------------------------------------------------------------------------- instants


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-05T10:00:00Z", "2026-01-05T10:00:00+00:00"),
        ("2026-01-05T10:00:00+01:00", "2026-01-05T10:00:00+01:00"),
        ("2026-07-01T09:15:00-04:00", "2026-07-01T09:15:00-04:00"),
    ],
)
def test_parse_instant_honours_offsets(text: str, expected: str) -> None:
    assert parse_instant(text).isoformat() == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-07-01T09:00:00", "2026-07-01T09:00:00+02:00"),
        ("2026-01-05T09:00:00", "2026-01-05T09:00:00+01:00"),
        ("2026-01-05", "2026-01-05T00:00:00+01:00"),
    ],
)
def test_parse_instant_reads_naive_text_as_calendar_local_time(text: str, expected: str) -> None:
    assert parse_instant(text, FR).isoformat() == expected


@pytest.mark.parametrize("text", ["garbage", "", "2026-13-01T00:00:00Z", "05/01/2026"])
def test_parse_instant_rejects_garbage(text: str) -> None:
    with pytest.raises(CalendarError, match="Invalid instant"):
        parse_instant(text, FR)


def test_parse_instant_rejects_naive_text_without_calendar() -> None:
    with pytest.raises(CalendarError, match="no offset"):
        parse_instant("2026-01-05T09:00:00")


# --------------------------------------------------------------------------- errors


def test_unknown_country_is_rejected() -> None:
    with pytest.raises(CalendarError, match=r"^Unknown country 'XX'$"):
        BusinessCalendar("XX")


def test_unknown_subdivision_is_rejected_with_known_codes() -> None:
    with pytest.raises(CalendarError) as excinfo:
        BusinessCalendar("FR", "ZZ")
    message = str(excinfo.value)
    assert message.startswith("Unknown subdivision 'ZZ' for FR; known: ")
    assert "57" in message
    assert "6AE" in message


def test_unknown_uk_subdivision_lists_the_nations() -> None:
    with pytest.raises(CalendarError, match=r"known: ENG, NIR, SCT, WLS$"):
        BusinessCalendar("GB", "LDN")


def test_country_without_default_timezone_asks_for_one() -> None:
    with pytest.raises(CalendarError, match="No default timezone for country 'JP'"):
        BusinessCalendar("JP")


def test_unknown_timezone_is_rejected() -> None:
    with pytest.raises(CalendarError, match="Unknown timezone 'Mars/Olympus'"):
        BusinessCalendar("FR", timezone="Mars/Olympus")


@pytest.mark.parametrize("weekdays", [frozenset(), frozenset({7}), frozenset({-1})])
def test_invalid_working_weekdays_are_rejected(weekdays: frozenset[int]) -> None:
    with pytest.raises(CalendarError, match="working_weekdays"):
        BusinessCalendar("FR", working_weekdays=weekdays)


def test_local_date_rejects_a_naive_datetime() -> None:
    with pytest.raises(CalendarError, match="Naive datetime"):
        FR.local_date(datetime(2026, 1, 5, 10, 0))


def test_due_rejects_a_naive_receipt() -> None:
    with pytest.raises(CalendarError, match="Naive datetime"):
        PRESET_RULES["psd2-answer"].due(datetime(2026, 1, 5, 10, 0), FR)


def test_day_operations_reject_a_datetime() -> None:
    with pytest.raises(TypeError, match="local_date"):
        FR.is_working_day(datetime(2026, 5, 1, 10, 0, tzinfo=UTC))
