"""Process owners name their deadline rules in policy.toml; diagrams use them by name."""

from __future__ import annotations

from datetime import datetime

import pytest

from engine import services
from engine.errors import DeploymentError
from engine.rules.policy import DEFAULT_POLICY, PolicyError, load_policy, parse_policy
from engine.services import read_deployment_files
from tests.conftest import DATA

RECEIVED = "2026-11-12T10:00:00+01:00"  # a Thursday, in Paris


def test_a_preset_is_used_under_the_name_the_policy_gives_it():
    policy = parse_policy('[deadlines.answer]\npreset = "acpr-answer"\n')

    assert policy.deadline("answer", RECEIVED) == "2027-01-12T22:59:59+00:00"
    assert policy.warning("answer", RECEIVED) == "2026-12-31T15:23:59+00:00"


def test_a_preset_can_warn_earlier_than_80_percent():
    policy = parse_policy('[deadlines.answer]\npreset = "acpr-answer"\nwarning = 0.5\n')

    assert policy.deadline("answer", RECEIVED) == "2027-01-12T22:59:59+00:00"
    assert policy.warning("answer", RECEIVED) == "2026-12-13T03:59:59+00:00"


def test_every_preset_is_available_under_its_own_name_without_a_policy():
    assert DEFAULT_POLICY.deadline("psd2-answer", RECEIVED) == "2026-12-03T22:59:59+00:00"


def test_a_custom_rule_counts_its_own_unit_and_count():
    policy = parse_policy('[deadlines.callback]\nunit = "calendar_days"\ncount = 3\n')

    assert policy.deadline("callback", RECEIVED) == "2026-11-15T22:59:59+00:00"


def test_the_organisation_country_decides_which_public_holidays_count():
    rule = '[deadlines.quick]\nunit = "business_days"\ncount = 3\n'
    received = "2026-12-23T10:00:00+00:00"

    in_france = parse_policy('[organisation]\ncountry = "FR"\n' + rule)
    in_britain = parse_policy('[organisation]\ncountry = "GB"\n' + rule)

    assert in_france.deadline("quick", received) == "2026-12-29T22:59:59+00:00"
    assert in_britain.deadline("quick", received) == "2026-12-30T23:59:59+00:00"  # Boxing Day


def test_a_rule_can_count_with_another_country_than_the_organisation():
    policy = parse_policy(
        '[organisation]\ncountry = "FR"\n'
        '[deadlines.scottish]\nunit = "business_days"\ncount = 3\n'
        'country = "GB"\nsubdivision = "SCT"\n'
    )

    # Friday 27 November; Monday 30 November is St Andrew's Day in Scotland.
    assert policy.deadline("scottish", "2026-11-27T10:00:00+00:00") == "2026-12-03T23:59:59+00:00"


def test_helpers_read_a_start_without_offset_as_organisation_local_time():
    policy = parse_policy('[deadlines.callback]\nunit = "calendar_days"\ncount = 3\n')

    assert policy.deadline("callback", "2026-11-12T23:30:00") == "2026-11-15T22:59:59+00:00"


def test_a_diagram_timer_falls_on_the_policy_deadline(database, uow, frozen_clock):
    folder = DATA / "deadlines"
    services.deploy_version(read_deployment_files(folder, folder), "tester", uow())

    reference = services.start_instance("answer_clock", {}, "alice", uow()).reference

    timers = {t.bpmn_id: t.due_at for t in services.instance_timers(reference, uow())}
    # 15 business days after Monday 23 November: Monday 14 December, 23:59:59 in Paris.
    assert timers == {
        "answer_warning": datetime.fromisoformat("2026-12-10T15:23:59+00:00"),
        "answer_breach": datetime.fromisoformat("2026-12-14T22:59:59+00:00"),
    }


@pytest.mark.parametrize(
    ("text", "element", "message"),
    [
        ('[deadlines.answer]\npreset = "acpr-anwser"\n', "deadlines.answer", "unknown preset"),
        (
            '[deadlines.answer]\nunit = "fortnights"\ncount = 2\n',
            "deadlines.answer",
            "unknown unit",
        ),
        (
            '[deadlines.answer]\nunit = "weeks"\n',
            "deadlines.answer",
            "missing required key 'count'",
        ),
        ('[deadlines.answer]\nunit = "weeks"\ncount = 0\n', "deadlines.answer", "positive integer"),
        (
            '[deadlines.answer]\npreset = "fca-final"\nwarning = 80\n',
            "deadlines.answer",
            "strictly between 0 and 1",
        ),
        (
            '[deadlines.answer]\npreset = "fca-final"\ncount = 3\n',
            "deadlines.answer",
            "a preset only takes 'warning' beside it, not count",
        ),
        ('[organisation]\ncountry = "XX"\n', "organisation", "Unknown country 'XX'"),
        ('[organisation]\nsubdivision = "99"\n', "organisation", "Unknown subdivision '99'"),
        ('organisation = "FR"\n', "organisation", "must be a table"),
        ("deadlines = 5\n", "deadlines", "must be a table"),
    ],
)
def test_a_bad_policy_names_the_setting_and_what_is_wrong(text, element, message):
    with pytest.raises(PolicyError) as raised:
        parse_policy(text)

    (problem,) = raised.value.problems
    assert (problem.file, problem.element_id) == ("policy.toml", element)
    assert message in problem.message


def test_a_bad_rule_region_is_worded_from_codes_a_screen_can_translate():
    with pytest.raises(PolicyError) as raised:
        parse_policy('[deadlines.answer]\nunit = "weeks"\ncount = 2\ncountry = "XX"\n')

    (problem,) = raised.value.problems
    assert problem.message == "Deadline rule 'answer': Unknown country 'XX'"
    assert problem.code == "rule_in_calendar"
    assert problem.params["problem"].code == "calendar_country"


def test_invalid_toml_gives_the_line():
    with pytest.raises(PolicyError) as raised:
        parse_policy('[organisation]\ncountry = "FR"\ncountry "GB"\n')

    (problem,) = raised.value.problems
    assert problem.line == 3
    assert "not valid TOML" in problem.message


def test_every_bad_rule_is_reported_at_once():
    with pytest.raises(PolicyError) as raised:
        parse_policy('[deadlines.a]\npreset = "nope"\n[deadlines.b]\nunit = "days"\ncount = 1\n')

    assert [p.element_id for p in raised.value.problems] == ["deadlines.a", "deadlines.b"]


def test_a_missing_policy_file_is_a_problem_not_a_crash(tmp_path):
    with pytest.raises(PolicyError, match="cannot be read: No such file or directory"):
        load_policy(tmp_path / "policy.toml")


def test_a_deployment_with_a_bad_policy_is_refused(database, uow):
    folder = DATA / "deadlines"
    files = {**read_deployment_files(folder, folder), "policy.toml": "[deadlines.answer]\n"}

    with pytest.raises(DeploymentError) as raised:
        services.deploy_version(files, "tester", uow())

    assert [(p.file, p.element_id) for p in raised.value.problems] == [
        ("policy.toml", "deadlines.answer")
    ]
