"""Closing days, opening hours and team calendars as process owners write them in policy.toml.

Expected instants are worked out by hand (see tests/test_business_hours.py for the calendar
facts); the policy of docs/DEADLINES.md is read from the documentation itself, so that its
examples keep working as written.
"""

from __future__ import annotations

import re
import shlex
from datetime import date, datetime

import pytest
from click.testing import CliRunner

from cli.main import main
from engine.config import PROJECT_ROOT
from engine.rules.deadlines import Pause
from engine.rules.policy import PolicyError, parse_policy

DEADLINES_DOC = PROJECT_ROOT / "docs" / "DEADLINES.md"
HOURS = '[organisation.hours]\nmonday = "09:00-18:00"\n'


def documented_policy() -> str:
    """The example policy of docs/DEADLINES.md (the TOML block with the critical rule)."""
    blocks = re.findall(r"```toml\n(.*?)```", DEADLINES_DOC.read_text(encoding="utf-8"), re.S)
    (policy,) = [
        b for b in blocks if "[deadlines.first_response_critical]" in b and "[calendars" in b
    ]
    return policy


def documented_commands() -> list[tuple[str, list[str]]]:
    """Each ``$ doleance deadline …`` of docs/DEADLINES.md with the lines it prints."""
    text = DEADLINES_DOC.read_text(encoding="utf-8")
    examples = []
    for block in re.findall(r"```console\n(.*?)```", text, re.S):
        for command, output in re.findall(
            r"^\$ (doleance deadline .*)\n((?:[^$].*\n)*)", block, re.M
        ):
            examples.append((command, output.splitlines()))
    return examples


def problems_of(text: str) -> list[tuple[str | None, str | None, dict]]:
    with pytest.raises(PolicyError) as raised:
        parse_policy(text)
    return [(p.element_id, p.code, dict(p.params)) for p in raised.value.problems]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --------------------------------------------------------------------------- as documented


def test_the_critical_first_answer_of_the_docs_is_due_on_saturday_2_january(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text(documented_policy(), encoding="utf-8")

    result = CliRunner().invoke(
        main,
        [
            "deadline",
            "first_response_critical",
            "--from",
            "2026-12-23T16:00:00+01:00",
            "--policy",
            str(policy),
        ],
        env={"DOLEANCE_PROCESSES_DIR": str(tmp_path / "empty")},
    )

    # Wed 23 Dec: 16:00–18:00; 24 closed, 25 Christmas, 26 Dec–1 Jan closed; Sat 2 Jan 09:00.
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["2027-01-02T11:00:00+01:00", "2027-01-02T10:00:00+01:00"]


def test_every_deadline_command_of_the_docs_prints_what_the_docs_say(tmp_path):
    (tmp_path / "policy.toml").write_text(documented_policy(), encoding="utf-8")
    examples = documented_commands()

    assert len(examples) >= 6
    for command, expected in examples:
        arguments = shlex.split(command)[1:]
        result = CliRunner().invoke(
            main,
            [a.replace("policy.toml", str(tmp_path / "policy.toml")) for a in arguments],
            env={"DOLEANCE_PROCESSES_DIR": str(tmp_path / "empty")},
        )
        assert result.stdout.splitlines() == expected, command


def test_the_documented_policy_validates(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text(documented_policy(), encoding="utf-8")

    result = CliRunner().invoke(main, ["validate", str(policy)])

    assert result.exit_code == 0, result.output


def test_an_unknown_calendar_on_the_command_line_is_one_error_line(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text(documented_policy(), encoding="utf-8")
    arguments = ["deadline", "first_response_critical", "--from", "2026-12-23T16:00:00+01:00"]

    result = CliRunner().invoke(main, [*arguments, "--policy", str(policy), "--calendar", "lyon"])

    assert result.exit_code == 2
    assert result.stderr == "error: Unknown calendar 'lyon'; known: edinburgh, metz\n"


# --------------------------------------------------------------------------- reading calendars


def test_closures_and_ranges_and_yearly_days_are_read_from_the_organisation():
    policy = parse_policy(
        "[organisation]\n"
        'closures = ["2026-12-24", "2026-12-30..2027-01-02", 2027-05-07]\n'
        'yearly_closures = ["08-14", "02-29"]\n'
    )

    assert policy.calendar.extra_closures == {
        date(2026, 12, 24),
        date(2026, 12, 30),
        date(2026, 12, 31),
        date(2027, 1, 1),
        date(2027, 1, 2),
        date(2027, 5, 7),
    }
    assert policy.calendar.yearly_closures == {(8, 14), (2, 29)}


def test_the_preview_lists_the_closing_days_of_the_coming_year():
    policy = parse_policy(
        '[organisation]\nclosures = ["2026-12-24", "2026-12-26..2027-01-01"]\n'
        'yearly_closures = ["07-31"]\n'
    )

    assert policy.closures_ahead(at("2026-11-23T10:00:00+01:00")) == [
        (date(2026, 12, 24), date(2026, 12, 24)),
        (date(2026, 12, 26), date(2027, 1, 1)),
        (date(2027, 7, 31), date(2027, 7, 31)),
    ]


def test_a_team_calendar_takes_the_organisation_settings_it_does_not_give():
    policy = parse_policy(
        '[organisation]\ncountry = "FR"\nclosures = ["2026-12-24"]\n'
        + HOURS
        + '[calendars.metz]\nsubdivision = "57"\n'
        + '[calendars.edinburgh]\ncountry = "GB"\nsubdivision = "SCT"\nclosures = []\n'
    )
    metz, edinburgh = policy.rulebook.calendar("metz"), policy.rulebook.calendar("edinburgh")

    assert (metz.country, metz.subdivision, metz.timezone) == ("FR", "57", "Europe/Paris")
    assert metz.extra_closures == {date(2026, 12, 24)} and metz.hours == policy.calendar.hours
    # Its own country: that country's time zone, no subdivision but its own; its own closures.
    assert (edinburgh.country, edinburgh.subdivision, edinburgh.timezone) == (
        "GB",
        "SCT",
        "Europe/London",
    )
    assert edinburgh.extra_closures == frozenset() and edinburgh.hours == policy.calendar.hours


def test_a_team_calendar_with_hours_of_its_own_replaces_the_whole_week():
    policy = parse_policy(
        HOURS + '[calendars.weekend]\n[calendars.weekend.hours]\nsaturday = "10:00-16:00"\n'
    )
    weekend = policy.rulebook.calendar("weekend").hours

    assert weekend.on(0) == () and weekend.on(5) == ((600, 960),)


def test_a_rule_counts_on_a_named_calendar_through_the_diagram_helpers():
    policy = parse_policy(
        '[organisation]\ncountry = "FR"\n'
        '[calendars.metz]\nsubdivision = "57"\n'
        '[deadlines.ack]\nunit = "working_days"\ncount = 1\n'
    )
    received = "2026-12-24T10:00:00+01:00"  # Christmas Friday, then Saint Stephen's Saturday

    assert policy.deadline("ack", received) == "2026-12-26T22:59:59+00:00"
    assert policy.deadline("ack", received, "metz") == "2026-12-28T22:59:59+00:00"
    # 80 % of 4 d 13:59:59 (395999 s) is 316799 s, 3 d 15:59:59 after 24 Dec 09:00 UTC.
    assert policy.warning("ack", received, calendar="metz") == "2026-12-28T00:59:59+00:00"


def test_a_custom_rule_pauses_while_the_customer_is_awaited():
    policy = parse_policy(
        '[organisation]\ncountry = "FR"\n[organisation.hours]\nfriday = "09:00-18:00"\n'
        'monday = "09:00-18:00"\n'
        '[deadlines.sla]\nunit = "business_hours"\ncount = 8\npause_while = ["waiting_customer"]\n'
    )
    wait = Pause(
        "waiting_customer", at("2026-11-20T16:00:00+01:00"), at("2026-11-23T11:00:00+01:00")
    )

    schedule = policy.rulebook.schedule("sla", at("2026-11-20T10:00:00+01:00"), pauses=[wait])

    # 6h on Friday (10:00–16:00), then 2h from Monday 11:00.
    assert schedule.due.isoformat() == "2026-11-23T13:00:00+01:00"


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[organisation]\nclosures = ["2027-01-01..2026-12-26"]\n',
            ("organisation.closures", "closure_reversed", {"value": "2027-01-01..2026-12-26"}),
        ),
        (
            '[organisation]\nclosures = ["2026-02-30"]\n',
            ("organisation.closures", "closure_invalid", {"value": "2026-02-30"}),
        ),
        (
            '[organisation]\nclosures = ["2026-12-24.."]\n',
            ("organisation.closures", "closure_invalid", {"value": "2026-12-24.."}),
        ),
        (
            '[organisation]\nclosures = "2026-12-24"\n',
            (
                "organisation.closures",
                "closures_not_list",
                {"key": "closures", "example": '["2026-12-24", "2026-12-26..2027-01-01"]'},
            ),
        ),
        (
            '[organisation]\nyearly_closures = ["24/12"]\n',
            ("organisation.yearly_closures", "yearly_closure_invalid", {"value": "24/12"}),
        ),
        (
            '[organisation.hours]\nmonday = "9-18"\n',
            (
                "organisation.hours.monday",
                "hours_invalid",
                {"hours": "9-18", "example": "09:00-12:30,13:30-18:00"},
            ),
        ),
        (
            '[organisation.hours]\nmonday = "09:00-12:30,12:00-18:00"\n',
            (
                "organisation.hours.monday",
                "hours_overlap",
                {"first": "09:00-12:30", "second": "12:00-18:00"},
            ),
        ),
        (
            '[organisation.hours]\nmonday = "18:00-09:00"\n',
            ("organisation.hours.monday", "hours_empty_period", {"period": "18:00-09:00"}),
        ),
        (
            '[organisation.hours]\nmonday = "09:00-24:30"\n',
            (
                "organisation.hours.monday",
                "hours_invalid",
                {"hours": "09:00-24:30", "example": "09:00-12:30,13:30-18:00"},
            ),
        ),
        (
            '[organisation.hours]\nlundi = "09:00-18:00"\n',
            (
                "organisation.hours.lundi",
                "hours_unknown_day",
                {
                    "day": "lundi",
                    "known": "monday, tuesday, wednesday, thursday, friday, saturday, sunday",
                },
            ),
        ),
        ("[organisation.hours]\n", ("organisation.hours", "hours_never_open", {})),
        (
            '[organisation]\nclosure = ["2026-12-24"]\n',
            (
                "organisation",
                "calendar_unknown_key",
                {
                    "key": "'closure'",
                    "allowed": "country, subdivision, timezone, closures, yearly_closures, hours",
                },
            ),
        ),
        (
            '[calendars.edinburgh]\ncountry = "GB"\nsubdivision = "EDI"\n',
            (
                "calendars.edinburgh",
                "calendar_subdivision_of",
                {"subdivision": "'EDI'", "country": "GB", "known": "ENG, NIR, SCT, WLS"},
            ),
        ),
        ('calendars = ["metz"]\n', ("calendars", "policy_not_table", {"key": "calendars"})),
        (
            '[deadlines.answer]\npreset = "acpr-answer"\npause_while = ["waiting_customer"]\n',
            ("deadlines.answer", "rule_pause_legal", {"rule": "answer"}),
        ),
        (
            '[deadlines.ack]\nunit = "working_days"\ncount = 10\nlegal = true\n'
            'pause_while = ["waiting_customer"]\n',
            ("deadlines.ack", "rule_pause_legal", {"rule": "ack"}),
        ),
        (
            '[deadlines.sla]\nunit = "business_days"\ncount = 2\npause_while = ["lunch"]\n',
            (
                "deadlines.sla",
                "rule_pause_state",
                {"rule": "sla", "state": "'lunch'", "known": "waiting_customer"},
            ),
        ),
        (
            '[deadlines.sla]\nunit = "business_days"\ncount = 2\n'
            'pause_while = "waiting_customer"\n',
            ("deadlines.sla", "rule_pause_while", {"rule": "sla", "value": "'waiting_customer'"}),
        ),
        (
            '[deadlines.sla]\nunit = "business_days"\ncount = 2\nlegal = "yes"\n',
            ("deadlines.sla", "rule_legal", {"rule": "sla", "value": "'yes'"}),
        ),
        (
            '[deadlines.sla]\nunit = "business_hours"\ncount = 4\n',
            ("deadlines.sla", "rule_without_hours", {"rule": "sla", "unit": "business_hours"}),
        ),
        (
            HOURS + '[deadlines.sla]\nunit = "business_hours"\ncount = 4\nroll_forward = true\n',
            ("deadlines.sla", "rule_roll_opening", {"rule": "sla", "unit": "business_hours"}),
        ),
    ],
)
def test_validate_refuses_what_a_calendar_or_a_rule_cannot_mean(text, expected):
    assert problems_of(text) == [expected]


def test_validate_reports_each_bad_closure_and_each_bad_day_at_once():
    problems = problems_of(
        '[organisation]\nclosures = ["2026-13-01", "2027-01-02..2026-12-01"]\n'
        '[organisation.hours]\nmonday = "9-18"\ntuesday = "08:00-12:00,11:00-13:00"\n'
    )

    assert [(element, code) for element, code, _ in problems] == [
        ("organisation.closures", "closure_invalid"),
        ("organisation.closures", "closure_reversed"),
        ("organisation.hours.monday", "hours_invalid"),
        ("organisation.hours.tuesday", "hours_overlap"),
    ]


def test_a_refused_pause_reads_as_one_line_on_the_command_line(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text(
        '[deadlines.answer]\npreset = "fca-final"\npause_while = ["waiting_customer"]\n'
    )

    result = CliRunner().invoke(main, ["validate", str(policy)])

    assert result.exit_code == 1
    assert (
        "deadlines.answer: Deadline rule 'answer': a legal deadline never pauses (the regulator's "
        "clock runs while the organisation waits); remove pause_while"
    ) in result.output
