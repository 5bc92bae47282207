"""A claim goes through the basic test process: start, claim, complete, timers, messages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from engine import services
from engine.db.models import HumanTask, Instance, OutboxMessage, Timer
from engine.errors import InvalidInput, NotAllowed, NotFound, TaskAlreadyClaimed
from tests.conftest import START


def start_claim(uow, amount=40):
    return services.start_instance(
        "claim", {"amount": amount, "customer_name": "Ana"}, "alice", uow()
    )


def only_task(uow, reference):
    (task,) = services.list_tasks(uow(), reference=reference)
    return task


def kinds(uow, reference):
    return [event.kind for event in services.instance_history(reference, uow())]


def test_starting_a_claim_gives_a_reference_a_stage_and_a_review_task(deployed, uow):
    instance = start_claim(uow)

    assert instance.reference == "REC-2026-000001"
    assert instance.stage == "Reçue"
    assert instance.summary == {"customer_name": "Ana"}
    task = only_task(uow, instance.reference)
    assert (task.name, task.lane, task.form) == ("Review the claim", "Conseiller", "review.json")
    assert task.due_at == START + timedelta(days=2)


def test_references_count_up_within_the_year(deployed, uow):
    references = [start_claim(uow).reference for _ in range(3)]

    assert references == ["REC-2026-000001", "REC-2026-000002", "REC-2026-000003"]


def test_an_agent_sees_the_task_in_the_lanes_of_their_role(deployed, uow):
    instance = start_claim(uow)

    assert [t.reference for t in services.list_tasks(uow(), role="agent")] == [instance.reference]
    assert services.list_tasks(uow(), role="quality") == []
    assert [t.reference for t in services.list_tasks(uow(), user="alice")] == [instance.reference]


def test_accepted_claim_computes_the_refund_sends_the_answer_and_waits_for_the_customer(
    deployed, uow, database
):
    instance = start_claim(uow, amount=40)
    task = only_task(uow, instance.reference)

    after = services.complete_task(task.id, {"accepted": "yes"}, "alice", uow())

    assert after.status == "running"
    assert services.list_tasks(uow(), reference=instance.reference) == []
    with database.unit_of_work() as check:
        outbox = check.session.scalars(select(OutboxMessage)).all()
        assert [(m.name, m.payload) for m in outbox] == [("answer_to_customer", {"refund": 80})]
    history = services.instance_history(instance.reference, uow())
    gateway = next(e for e in history if e.kind == "gateway_passed")
    assert gateway.data["flows"] == [{"flow": "f_accepted", "name": "yes", "target": "compute"}]
    completed = next(e for e in history if e.kind == "task_completed")
    assert (completed.actor, completed.data["submitted"]) == ("alice", {"accepted": True})


def test_the_customer_reply_closes_the_claim(deployed, uow):
    instance = start_claim(uow)
    services.complete_task(
        only_task(uow, instance.reference).id, {"accepted": True}, "alice", uow()
    )

    done = services.deliver_message(
        instance.reference, "customer_reply", {"happy": True}, "portal", uow()
    )

    assert done.status == "completed"
    assert kinds(uow, instance.reference)[-3:] == [
        "message_received",
        "process_ended",
        "instance_completed",
    ]


def test_a_message_nobody_waits_for_is_refused(deployed, uow):
    instance = start_claim(uow)

    with pytest.raises(NotAllowed, match="not waiting for the message 'customer_reply'"):
        services.deliver_message(instance.reference, "customer_reply", {}, "portal", uow())


def test_rejected_claim_ends_without_an_answer(deployed, uow):
    instance = start_claim(uow)

    done = services.complete_task(
        only_task(uow, instance.reference).id, {"accepted": False}, "alice", uow()
    )

    assert done.status == "completed"
    gateway = next(
        e
        for e in services.instance_history(instance.reference, uow())
        if e.kind == "gateway_passed"
    )
    assert gateway.data["flows"][0]["flow"] == "f_rejected"


def test_an_overdue_review_moves_to_the_supervisor_when_its_timer_fires(
    deployed, uow, frozen_clock
):
    instance = start_claim(uow)
    frozen_clock.advance(timedelta(days=2, seconds=1))

    assert services.due_timer_references(uow()) == [instance.reference]
    fired = services.fire_due_timers(instance.reference, uow())

    assert [(t.bpmn_id, t.state) for t in fired] == [("review_overdue", "fired")]
    task = only_task(uow, instance.reference)
    assert (task.name, task.lane) == ("Handle the overdue claim", "Superviseur")
    assert "timer_fired" in kinds(uow, instance.reference)
    assert services.due_timer_references(uow()) == []


def test_a_timer_not_yet_due_does_not_fire(deployed, uow, frozen_clock):
    instance = start_claim(uow)
    frozen_clock.advance(timedelta(days=1))

    assert services.fire_due_timers(instance.reference, uow()) == []
    assert only_task(uow, instance.reference).name == "Review the claim"


def test_completing_the_review_in_time_cancels_its_timer(deployed, uow, database):
    instance = start_claim(uow)

    services.complete_task(
        only_task(uow, instance.reference).id, {"accepted": False}, "alice", uow()
    )

    with database.unit_of_work() as check:
        states = check.session.scalars(select(Timer.state)).all()
    assert states == ["cancelled"]


def test_claiming_is_exclusive(deployed, uow):
    services.create_user("bob", ["agent"], uow())
    task = only_task(uow, start_claim(uow).reference)

    services.claim_task(task.id, "alice", uow())

    with pytest.raises(TaskAlreadyClaimed, match="already claimed by alice"):
        services.claim_task(task.id, "bob", uow())
    with pytest.raises(NotAllowed, match="assigned to alice"):
        services.complete_task(task.id, {"accepted": True}, "bob", uow())


def test_a_claimed_task_leaves_other_agents_inboxes_until_released(deployed, uow):
    services.create_user("bob", ["agent"], uow())
    task = only_task(uow, start_claim(uow).reference)
    services.claim_task(task.id, "alice", uow())

    assert services.list_tasks(uow(), user="bob") == []
    services.release_task(task.id, "alice", uow())
    assert [t.id for t in services.list_tasks(uow(), user="bob")] == [task.id]


def test_a_supervisor_reassigns_a_task(deployed, uow):
    services.create_user("bob", ["agent"], uow())
    task = only_task(uow, start_claim(uow).reference)
    services.claim_task(task.id, "alice", uow())

    with pytest.raises(NotAllowed, match="only a supervisor"):
        services.reassign_task(task.id, "bob", "alice", uow())
    moved = services.reassign_task(task.id, "bob", "sam", uow())

    assert moved.assignee == "bob"


def test_a_task_outside_the_users_lanes_is_refused(deployed, uow):
    task = only_task(uow, start_claim(uow).reference)

    with pytest.raises(NotAllowed, match="Conseiller lane"):
        services.complete_task(task.id, {"accepted": True}, "quinn", uow())


def test_form_errors_are_reported_per_field_and_nothing_moves(deployed, uow):
    instance = start_claim(uow)
    task = only_task(uow, instance.reference)

    with pytest.raises(InvalidInput) as raised:
        services.complete_task(task.id, {"comment": "x", "colour": "blue"}, "alice", uow())

    assert set(raised.value.errors) == {"accepted", "colour"}
    assert only_task(uow, instance.reference).id == task.id


def test_starting_an_unknown_process_names_the_deployed_ones(deployed, uow):
    with pytest.raises(NotFound, match="no deployed process 'nope'; deployed processes: claim"):
        services.start_instance("nope", {}, "alice", uow())


def test_reserved_data_names_are_refused(deployed, uow):
    with pytest.raises(InvalidInput) as raised:
        services.start_instance("claim", {"typename": 1, "_x": 2}, "alice", uow())

    assert set(raised.value.errors) == {"typename", "_x"}


def test_a_workflow_restored_from_the_database_continues_where_it_stopped(deployed, uow, database):
    instance = start_claim(uow, amount=5)
    task = only_task(uow, instance.reference)
    database.dispose()  # nothing survives but what was committed

    services.complete_task(task.id, {"accepted": True}, "alice", uow())
    done = services.deliver_message(instance.reference, "customer_reply", {}, "portal", uow())

    assert done.status == "completed"
    with database.unit_of_work() as check:
        assert check.session.scalar(select(func.count()).select_from(HumanTask)) == 0
        row = check.session.scalar(select(Instance))
        assert row.completed_at is not None
        assert row.status == "completed"


def test_a_leftover_timer_of_a_finished_claim_is_cancelled_not_fired(deployed, uow, database):
    instance = start_claim(uow)
    services.complete_task(
        only_task(uow, instance.reference).id, {"accepted": False}, "alice", uow()
    )
    with database.unit_of_work() as fix:  # as if a scheduler had claimed it before the end
        fix.session.execute(update(Timer).values(state="firing", claimed_by="scheduler-1"))
        fix.commit()

    assert services.fire_due_timers(instance.reference, uow()) == []

    with database.unit_of_work() as check:
        assert check.session.scalars(select(Timer.state)).all() == ["cancelled"]


def test_an_inbox_searches_by_reference_or_customer_and_pages_in_the_database(deployed, uow):
    names = ["Ana Martin", "Bruno Lefèvre", "ANAÏS Roy"]
    refs = [
        services.start_instance(
            "claim", {"amount": 1, "customer_name": n}, "alice", uow()
        ).reference
        for n in names
    ]
    search = services.TaskFilter(user="alice", search="ana")

    assert services.count_tasks(uow(), search) == 2
    assert {t.reference for t in services.list_tasks(uow(), user="alice", search="ana")} == {
        refs[0],
        refs[2],
    }
    assert [t.reference for t in services.list_tasks(uow(), user="alice", search=refs[1])] == [
        refs[1]
    ]
    first, second = (services.list_tasks(uow(), user="alice", limit=2, offset=n) for n in (0, 2))
    assert len(first) == 2 and len(second) == 1
    assert {t.reference for t in first + second} == set(refs)
