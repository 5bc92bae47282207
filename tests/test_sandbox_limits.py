"""Diagram code that runs away is stopped: the action rolls back whole, the next one works.

A loop that never ends, a number too large to compute or a list too large to hold used to hang
the request (or the scheduler) for good. Such code now runs in a worker process with a time and
a memory limit; code that provably finishes quickly, such as all of the shipped processes', runs
in-process as before.
"""

from __future__ import annotations

import dataclasses

import pytest
from lxml import etree
from sqlalchemy import select

from engine import services
from engine.bpmn import sandbox
from engine.bpmn.sandbox.bounds import analyse
from engine.config import MEGABYTE, PROJECT_ROOT, ScriptLimits
from engine.db.models import Instance
from engine.errors import ProcessError
from tests.diagrams import gateway, task_then_script
from tests.journeys.desk import SUPERVISOR, Desk, deploy_processes
from tests.test_journeys import critical_complaint
from tests.test_transactions import table_counts

LIMITS = ScriptLimits(seconds=1, memory_bytes=64 * MEGABYTE)
RUNAWAYS = {
    "an endless loop": ("while True:\n        i = i + 1", "took longer than 1 s"),
    "a huge power": ("i = 10**10**8", "took longer than 1 s"),
    "a huge list": ("i = [0] * 10**9", "used more than 64 MB"),
    "a huge text in one call": ("i = 'a'.ljust(10**10)", "used more than 64 MB"),
}

RUNAWAY = 'i = 0\nif mode == "runaway":\n    {code}\npriority = "normal"'


def scored(script: str) -> dict[str, str]:
    return {"scored.bpmn": task_then_script("scored", "Saisir", "Calculer la priorité", script)}


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, script_limits=LIMITS)


def stored_state(database) -> bytes:
    with database.unit_of_work() as check:
        return check.session.scalar(select(Instance.state))


@pytest.mark.parametrize("code, stopped", RUNAWAYS.values(), ids=RUNAWAYS.keys())
def test_a_runaway_script_is_stopped_and_its_task_can_be_completed_again(
    deployed, uow, database, code, stopped
):
    services.deploy_version(scored(RUNAWAY.format(code=code)), "tester", uow())
    reference = services.start_instance("scored", {}, "alice", uow()).reference
    (task,) = services.list_tasks(uow(), reference=reference)
    before, state_before = table_counts(database), stored_state(database)

    with pytest.raises(ProcessError) as raised:
        services.complete_task(task.id, {"mode": "runaway"}, "alice", uow())

    assert f"complaint {reference}: 'Calculer la priorité' {stopped}" in str(raised.value)
    assert "nothing was changed" in str(raised.value)
    assert table_counts(database) == {**before, "audit_event": before["audit_event"] + 1}
    assert stored_state(database) == state_before
    error = services.instance_history(reference, uow())[-1]
    assert (error.kind, error.element_id) == ("error", "compute")
    assert stopped in error.data["message"]
    services.complete_task(task.id, {"mode": "calm"}, "alice", uow())
    instance = services.get_instance(reference, uow())
    assert instance.status == "completed"


@pytest.mark.parametrize(
    "condition, stopped",
    [("10**10**8 > 0", "took longer than 1 s"), ("len('a'.ljust(10**10)) > 0", "used more than")],
    ids=["a huge power", "a huge text"],
)
def test_a_runaway_condition_stops_the_start_and_leaves_nothing(
    deployed, uow, database, condition, stopped
):
    services.deploy_version({"g.bpmn": gateway("gated", "Orienter", condition)}, "tester", uow())
    before = table_counts(database)

    with pytest.raises(ProcessError, match=f"'gated' could not start: 'Orienter' {stopped}"):
        services.start_instance("gated", {}, "alice", uow())

    assert table_counts(database) == before
    started = services.start_instance("claim", {"amount": 1}, "alice", uow())
    assert started.reference == "REC-2026-000001"


def test_code_in_a_worker_calls_the_engines_helpers_and_reads_its_clock(deployed, uow):
    script = "total = 0\nfor day in [1, 2]:\n    total = total + len(in_days(day))\nat = now()"
    services.deploy_version(scored(script), "tester", uow())
    reference = services.start_instance("scored", {}, "alice", uow()).reference
    (task,) = services.list_tasks(uow(), reference=reference)
    in_worker = sandbox.runs()["in_worker"]

    services.complete_task(task.id, {"mode": "calm"}, "alice", uow())

    assert sandbox.runs()["in_worker"] == in_worker + 1
    (event,) = [e for e in services.instance_history(reference, uow()) if e.element_id == "compute"]
    assert event.data["changes"]["total"][1] == 2 * len("2026-11-24T09:00:00+00:00")
    assert event.data["changes"]["at"][1] == "2026-11-23T09:00:00+00:00"


# --- the shipped processes stay in-process --------------------------------------------------


def diagram_code():
    """(file, element id, mode, code) of every condition, script and timer in processes/."""
    modes = {
        "script": "exec",
        "preScript": "exec",
        "postScript": "exec",
        "conditionExpression": "eval",
        "timeDate": "eval",
        "timeDuration": "eval",
        "timeCycle": "eval",
    }
    for path in sorted((PROJECT_ROOT / "processes").glob("*.bpmn")):
        for element in etree.parse(str(path)).iter():
            tag = etree.QName(element).localname if isinstance(element.tag, str) else ""
            if tag in modes and element.text and element.text.strip():
                owner = next(e for e in element.iterancestors() if e.get("id"))
                yield path.name, owner.get("id"), modes[tag], element.text


@pytest.mark.parametrize("file, element, mode, code", list(diagram_code()))
def test_every_piece_of_the_shipped_diagrams_code_is_provably_bounded(file, element, mode, code):
    assert analyse(code, mode).bounded


def test_a_complaint_through_the_shipped_processes_never_needs_a_worker(
    uow, database, frozen_clock
):
    deploy_processes(uow)
    desk = Desk(uow, database, frozen_clock)
    before = sandbox.runs()

    reference = critical_complaint(desk)
    desk.decides(reference, remedy="refund", amount="80.00")
    desk.does(reference, "approve", SUPERVISOR, approved=True)
    desk.answers(reference)

    after = sandbox.runs()
    assert after["in_worker"] == before["in_worker"]
    assert after["in_process"] > before["in_process"] + 50
