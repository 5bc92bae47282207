"""One user action is one transaction: it lands whole, or nothing of it does."""

from __future__ import annotations

import threading
import zlib

import pytest
from sqlalchemy import func, select

from engine import runtime, services
from engine.bpmn.workflow import RunningWorkflow
from engine.db.models import AuditEvent, HumanTask, Instance, OutboxMessage, Timer
from engine.errors import ConcurrentUpdate, ProcessError


def table_counts(database):
    with database.unit_of_work() as check:
        return {
            model.__tablename__: check.session.scalar(select(func.count()).select_from(model))
            for model in (Instance, HumanTask, Timer, OutboxMessage, AuditEvent)
        }


def test_a_failing_script_rolls_back_the_task_completion(deployed, uow, database):
    instance = services.start_instance("fragile", {"amount": 10}, "alice", uow())
    (task,) = services.list_tasks(uow(), reference=instance.reference)
    before = table_counts(database)
    with database.unit_of_work() as check:
        state_before = check.session.scalar(select(Instance.state))

    with pytest.raises(
        ProcessError, match=r"'Divide' failed.*ZeroDivisionError.*nothing was changed"
    ):
        services.complete_task(task.id, {"divisor": 0}, "alice", uow())

    after = table_counts(database)
    assert after == {**before, "audit_event": before["audit_event"] + 1}
    history = services.instance_history(instance.reference, uow())
    assert (history[-1].kind, history[-1].element_id) == ("error", "divide")
    with database.unit_of_work() as check:
        assert check.session.scalar(select(Instance.state)) == state_before
    (still_there,) = services.list_tasks(uow(), reference=instance.reference)
    assert still_there.id == task.id
    services.complete_task(task.id, {"divisor": 5}, "alice", uow())
    assert services.list_tasks(uow(), reference=instance.reference)[0].name == "Check the ratio"


def test_a_process_that_fails_on_start_leaves_nothing_behind(deployed, uow, database, tmp_path):
    broken = tmp_path / "starts_badly.bpmn"
    broken.write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"
                  targetNamespace="t">
  <bpmn:process id="starts_badly" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="boom" />
    <bpmn:scriptTask id="boom" name="Boom">
      <bpmn:script>x = missing + 1</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="boom" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>"""
    )
    services.deploy_version({"starts_badly.bpmn": broken.read_text()}, "tester", uow())
    before = table_counts(database)

    with pytest.raises(ProcessError, match=r"could not start.*'Boom' failed.*missing"):
        services.start_instance("starts_badly", {}, "alice", uow())

    assert table_counts(database) == before
    assert services.start_instance("claim", {"amount": 1}, "alice", uow()).reference == (
        "REC-2026-000001"
    )


def test_two_agents_completing_the_same_task_at_once_one_wins(deployed, uow, database):
    services.create_user("bob", ["agent"], uow())
    instance = services.start_instance("claim", {"amount": 1}, "alice", uow())
    (task,) = services.list_tasks(uow(), reference=instance.reference)
    barrier = threading.Barrier(2)
    outcomes = {}

    def complete(user):
        barrier.wait()
        try:
            services.complete_task(task.id, {"accepted": False}, user, uow())
            outcomes[user] = "done"
        except Exception as exc:  # any failure must show up in the assertion below
            outcomes[user] = type(exc).__name__

    threads = [threading.Thread(target=complete, args=(user,)) for user in ("alice", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes.values()) in (
        ["TaskAlreadyCompleted", "done"],
        ["ConcurrentUpdate", "done"],
    )
    kinds = [e.kind for e in services.instance_history(instance.reference, uow())]
    assert kinds.count("task_completed") == 1
    assert services.verify_audit(uow(), instance.reference) == []


def test_a_stale_copy_of_a_complaint_cannot_overwrite_a_newer_one(deployed, uow, database):
    instance = services.start_instance("claim", {"amount": 1}, "alice", uow())
    (task,) = services.list_tasks(uow(), reference=instance.reference)
    stale = database.unit_of_work(read_only=True)
    with stale:
        row = stale.session.scalar(select(Instance))
        assert row.lock_version >= 1

        services.complete_task(task.id, {"accepted": False}, "alice", uow())

        row.stage = "stale edit"
        with pytest.raises(ConcurrentUpdate, match="reload"):
            stale.commit()

    assert services.get_instance(instance.reference, uow()).stage != "stale edit"


def test_the_stored_state_carries_no_spec(deployed, uow, database):
    services.start_instance("claim", {"amount": 1}, "alice", uow())

    with database.unit_of_work() as check:
        row = check.session.scalar(select(Instance))
        library = runtime.library_of(row.process_version)
        restored = RunningWorkflow.restore(library, "claim", row.state)
        assert b'"spec"' not in zlib.decompress(row.state)
    assert [t.name for t in restored.human_tasks()] == ["Review the claim"]
