"""The inbox benchmark's loader (bench/inbox_bench.py), on a few hundred instances."""

from __future__ import annotations

from sqlalchemy import func, select

from bench import inbox_bench
from engine import services
from engine.db.models import HumanTask, Instance
from tests.journeys.desk import WEB_COMPLAINT

LOADED = 300


def test_the_load_has_the_instances_asked_for_with_ready_tasks_in_every_lane(database):
    inbox_bench.load(database, LOADED)

    contents = inbox_bench.Contents.of(database)
    assert contents.instances == LOADED
    assert set(contents.tasks_by_lane) == {"Accueil", "Conseiller", "Superviseur", "Qualité"}
    assert 0.10 * LOADED <= sum(contents.tasks_by_lane.values()) <= 0.20 * LOADED
    assert 9 * LOADED <= contents.events <= 12 * LOADED  # about ten per clone, templates whole
    assert contents.timers > LOADED


def test_each_open_clone_waits_at_one_task_and_the_agent_sees_their_claims_and_lanes(database, uow):
    inbox_bench.load(database, LOADED)

    with uow(read_only=True) as reading:
        tasks_per_instance = set(
            reading.session.scalars(
                select(func.count()).select_from(HumanTask).group_by(HumanTask.instance_id)
            )
        )
        claimed_by_colleagues = reading.session.scalar(
            select(func.count())
            .select_from(HumanTask)
            .where(HumanTask.assignee.is_not(None), HumanTask.assignee != inbox_bench.AGENT)
        )
    inbox = services.list_tasks(uow(), user=inbox_bench.AGENT, limit=LOADED)
    assert tasks_per_instance == {1}
    assert claimed_by_colleagues > 0
    assert any(task.assignee == inbox_bench.AGENT for task in inbox)
    assert all(
        task.assignee == inbox_bench.AGENT
        or (task.assignee is None and task.lane in ("Accueil", "Conseiller"))
        for task in inbox
    )
    assert len(inbox) == services.count_tasks(uow(), services.TaskFilter(user=inbox_bench.AGENT))


def test_cloned_trails_verify_and_a_new_complaint_gets_the_next_free_reference(database, uow):
    inbox_bench.load(database, LOADED)

    new = services.start_instance("complaint", WEB_COMPLAINT, "portal", uow())

    assert services.verify_audit(uow()) == []
    with uow(read_only=True) as reading:
        newest = reading.session.scalar(
            select(func.max(Instance.reference)).where(Instance.process_id == "complaint")
        )
    assert new.reference == newest


def test_a_database_that_already_holds_complaints_is_not_loaded_again(database):
    inbox_bench.load(database, LOADED)

    assert inbox_bench.load(database, LOADED) is None
    assert inbox_bench.Contents.of(database).instances == LOADED
