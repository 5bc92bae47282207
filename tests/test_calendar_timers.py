"""A diagram's timer counts business hours on the calendar its expression names.

Thursday 25 March 2027 at 16:00 in Paris: Good Friday (26 March) is a holiday in Moselle
only, Easter Monday (29 March) everywhere in France, and summer time begins on Sunday 28.
"""

from __future__ import annotations

from datetime import datetime

from engine import services
from engine.services import read_deployment_files
from tests.conftest import DATA

POLICY = """
[organisation]
country = "FR"
[organisation.hours]
monday = "09:00-18:00"
tuesday = "09:00-18:00"
wednesday = "09:00-18:00"
thursday = "09:00-18:00"
friday = "09:00-18:00"

[calendars.metz]
subdivision = "57"

[deadlines.answer]
unit = "business_hours"
count = 4
warning = 0.5
"""


def start_answer_clock(uow, calendar: str | None) -> dict[str, datetime]:
    folder = DATA / "deadlines"
    files = read_deployment_files(folder, folder)
    diagram = next(name for name in files if name.endswith("answer.bpmn"))
    if calendar is not None:
        for helper in ("deadline", "warning"):
            files[diagram] = files[diagram].replace(
                f'{helper}("answer", started_at)', f'{helper}("answer", started_at, "{calendar}")'
            )
    files["policy.toml"] = POLICY
    services.deploy_version(files, "tester", uow())
    reference = services.start_instance("answer_clock", {}, "alice", uow()).reference
    return {t.bpmn_id: t.due_at for t in services.instance_timers(reference, uow())}


def test_a_timer_on_the_organisation_calendar_falls_on_good_friday(database, uow, frozen_clock):
    frozen_clock.freeze(datetime.fromisoformat("2027-03-25T16:00:00+01:00"))

    timers = start_answer_clock(uow, None)

    # 16:00–18:00 on Thursday, 09:00–11:00 on Friday (CET); the warning after 2 hours.
    assert timers == {
        "answer_warning": datetime.fromisoformat("2027-03-25T17:00:00+00:00"),
        "answer_breach": datetime.fromisoformat("2027-03-26T10:00:00+00:00"),
    }


def test_a_timer_on_the_moselle_calendar_waits_for_tuesday(database, uow, frozen_clock):
    frozen_clock.freeze(datetime.fromisoformat("2027-03-25T16:00:00+01:00"))

    timers = start_answer_clock(uow, "metz")

    # Good Friday, the weekend and Easter Monday are off: Tuesday 09:00–11:00 CEST.
    assert timers == {
        "answer_warning": datetime.fromisoformat("2027-03-25T17:00:00+00:00"),
        "answer_breach": datetime.fromisoformat("2027-03-30T09:00:00+00:00"),
    }
