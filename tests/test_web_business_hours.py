"""Closing days and business hours on the web: the studio's policy preview, the portal.

The studio's preview of policy.toml shows the closing days and which deadlines ignore them;
the portal words a deadline in business hours. The clock is frozen on Monday 23 November
2026 (tests/conftest.py).
"""

from __future__ import annotations

import pytest

from engine import services
from engine.config import PROJECT_ROOT
from engine.services import read_deployment_files
from tests.test_web_support import text

pytest_plugins = ["tests.test_web_support"]

CLOSURES = (
    '[organisation]\ncountry = "FR"\ntimezone = "Europe/Paris"\n'
    'closures = ["2026-12-24", "2026-12-26..2027-01-01"]\n'
)


@pytest.fixture
def olivia(browser, organisation):
    browser.login("olivia")
    return browser


def preview(browser, policy: str) -> str:
    return text(browser.post("/studio/files/policy.toml/preview", {"text": policy}))


def shipped_policy_with_closures() -> str:
    shipped = (PROJECT_ROOT / "processes" / "policy.toml").read_text(encoding="utf-8")
    return shipped.replace(
        '[organisation]\ncountry = "FR"              # public holidays come from the `holidays` '
        'package\n# subdivision = "57"        # e.g. Moselle / Alsace have extra holidays\n'
        'timezone = "Europe/Paris"   # a deadline falls at 23:59:59 local time of its last day\n',
        CLOSURES,
    )


def test_the_policy_preview_lists_the_closing_days_of_the_coming_year(olivia):
    policy = shipped_policy_with_closures()
    assert CLOSURES in policy

    fragment = preview(olivia, policy)

    closures = fragment.split('class="help deadline-closures"')[1].split("</p>")[0]
    assert "24/12/2026" in closures and "du 26/12/2026 au 01/01/2027" in closures


def test_the_policy_preview_marks_the_legal_deadlines_that_ignore_closures(olivia):
    fragment = preview(olivia, shipped_policy_with_closures())

    answer = fragment.split('data-deadline="answer"')[1].split("</tr>")[0]
    internal = fragment.split('data-deadline="internal_sla_high"')[1].split("</tr>")[0]
    assert "légal : ignore les fermetures" in answer
    assert "légal" not in internal
    # 5 business days from Monday 23 November, none of them closed: Monday 30 November.
    assert "30/11/2026" in internal


def test_closing_days_move_an_internal_deadline_in_the_preview(olivia):
    policy = CLOSURES + '[deadlines.year_end]\nunit = "business_days"\ncount = 23\n'

    fragment = preview(olivia, policy)

    # From Monday 23 November: the 22nd business day is Wednesday 23 December; 24, 25 December
    # and 28 December–1 January are closed: the 23rd is Monday 4 January, not 24 December.
    year_end = fragment.split('data-deadline="year_end"')[1].split("</tr>")[0]
    assert "04/01/2027" in year_end


def test_a_policy_without_closures_previews_without_a_closures_line(olivia):
    fragment = preview(olivia, '[deadlines.callback]\nunit = "calendar_days"\ncount = 2\n')

    assert 'data-deadline="callback"' in fragment
    assert "deadline-closures" not in fragment


def test_the_portal_words_an_acknowledgement_in_business_hours(client, organisation, uow):
    files = read_deployment_files(PROJECT_ROOT / "processes", PROJECT_ROOT / "forms")
    files["policy.toml"] = files["policy.toml"].replace(
        '[deadlines.acknowledgement]\npreset = "acpr-acknowledgement"\nwarning = 0.8\n',
        '[deadlines.acknowledgement]\nunit = "business_hours"\ncount = 48\n'
        '[organisation.hours]\nmonday = "09:00-18:00"\n',
    )
    assert "business_hours" in files["policy.toml"]
    services.deploy_version(files, "olivia", uow())

    response = client.get("/portal/policy")

    assert response.status_code == 200
    assert "48 heures ouvrées (pendant nos heures d&#39;ouverture)" in text(response)
