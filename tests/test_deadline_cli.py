"""``doleance deadline RULE --from ISO_DATETIME``: when a deadline falls, then when it warns."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli.main import main
from tests.conftest import DATA


@pytest.fixture
def deadline(tmp_path):
    """Run ``doleance deadline …`` with an empty processes folder unless told otherwise."""

    def invoke(*arguments: str, processes_dir=tmp_path):
        env = {"DOLEANCE_PROCESSES_DIR": str(processes_dir)}
        return CliRunner().invoke(main, ["deadline", *arguments], env=env)

    return invoke


def test_prints_the_due_instant_then_the_warning_in_local_time(deadline):
    result = deadline("acpr-answer", "--from", "2026-11-12T10:00:00+01:00")

    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "2027-01-12T23:59:59+01:00",
        "2026-12-31T16:23:59+01:00",
    ]


def test_a_start_without_offset_is_local_time_of_the_calendar(deadline):
    result = deadline("cfpb-response", "--from", "2026-11-12T23:30")  # 22:30 UTC

    assert result.stdout.splitlines()[0] == "2026-11-27T23:59:59+01:00"


def test_country_and_subdivision_choose_the_public_holidays(deadline):
    # Friday 27 November; Monday 30 November is St Andrew's Day in Scotland only.
    start = ("fca-summary", "--from", "2026-11-27T10:00:00", "--country", "GB")

    scotland = deadline(*start, "--subdivision", "SCT")
    england = deadline(*start, "--subdivision", "ENG")

    assert scotland.stdout.splitlines()[0] == "2026-12-03T23:59:59+00:00"
    assert england.stdout.splitlines()[0] == "2026-12-02T23:59:59+00:00"


def test_a_country_without_a_default_time_zone_takes_one(deadline):
    result = deadline(
        "fca-final", "--from", "2026-11-12", "--country", "JP", "--timezone", "Asia/Tokyo"
    )

    assert result.stdout.splitlines()[0] == "2027-01-07T23:59:59+09:00"


def test_rules_of_the_processes_folder_policy_are_known(deadline):
    result = deadline(
        "answer", "--from", "2026-11-23T10:00:00+01:00", processes_dir=DATA / "deadlines"
    )

    assert result.stdout.splitlines()[0] == "2026-12-14T23:59:59+01:00"


def test_rules_of_a_given_policy_file_are_known(deadline, tmp_path):
    policy = tmp_path / "elsewhere.toml"
    policy.write_text('[deadlines.callback]\nunit = "calendar_days"\ncount = 2\n')

    result = deadline("callback", "--from", "2026-11-12T10:00:00+01:00", "--policy", str(policy))

    assert result.stdout.splitlines()[0] == "2026-11-14T23:59:59+01:00"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("nope", "--from", "2026-11-12"), "error: Unknown deadline rule 'nope'; known: "),
        (("fca-final", "--from", "next tuesday"), "error: Invalid instant 'next tuesday'"),
        (("fca-final", "--from", "2026-11-12", "--country", "ZZ"), "error: Unknown country 'ZZ'"),
        (
            ("fca-final", "--from", "2026-11-12", "--country", "GB", "--subdivision", "XX"),
            "error: Unknown subdivision 'XX' for GB",
        ),
        (
            ("fca-final", "--from", "2026-11-12", "--policy", "missing.toml"),
            "error: missing.toml: -: cannot be read",
        ),
    ],
)
def test_a_mistake_gets_one_line_and_exit_status_2(deadline, arguments, message):
    result = deadline(*arguments)

    assert result.exit_code == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(message)


def test_a_broken_policy_file_gets_one_line_and_exit_status_2(deadline, tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text('[deadlines.answer]\npreset = "nope"\n')

    result = deadline("answer", "--from", "2026-11-12")

    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {policy}: deadlines.answer: Deadline rule 'answer': unknown")
