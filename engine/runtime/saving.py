"""Saving a run: the one place where what the engine did becomes rows.

After every engine step that changed a complaint, :func:`save_run` writes, in the caller's
unit of work: the compressed workflow state, the stage and the summary, the projections pages
and the scheduler read (ready tasks with their due dates, waiting timers), the messages the
process sent (rendered into the outbox) and one audit event per thing that happened. Pages,
inboxes and timers never restore a workflow: they query these rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from engine import clock
from engine.bpmn.workflow import EngineEvent, RunningWorkflow, to_json_safe
from engine.db.models import HumanTask, Instance, Timer
from engine.messages.rendering import written_message
from engine.runtime.unit_of_work import UnitOfWork
from engine.trail.events import SYSTEM_ACTOR

#: The process data copied onto the complaint row for lists, searches and messages.
SUMMARY_KEYS = (
    "customer_name",
    "customer_email",
    "category",
    "product",
    "priority",
    "kind",
    "channel",
    "subject",
    "team",
    "remedy",
    "closure_reason",
    "language",  # the customer's: messages to them are written in it (engine.messages)
)
#: Timer rows the engine still waits on.
WAITING_TIMER_STATES = ("pending", "firing")


def save_run(
    uow: UnitOfWork,
    instance: Instance,
    running: RunningWorkflow,
    events: list[EngineEvent],
    actor: str,
) -> list[Timer]:
    """Write the run's outcome (see the module); returns the timers that fired in it."""
    session = uow.session
    now = clock.now()
    fired, pending = project_timers(uow, instance, running, now)
    project_tasks(uow, instance, running, pending, now)
    summary = to_json_safe({k: v for k, v in running.current_data().items() if k in SUMMARY_KEYS})
    for message in running.sent_messages():  # rendered now, in the customer's language
        session.add(
            written_message(instance, message.name, message.payload, summary, uow.settings, now)
        )
    for event in events:
        data = event.data
        if event.kind in ("task_ready", "task_completed") and event.task_id:
            data = {**data, "task_id": event.task_id}  # how a stale task link is recognised
        uow.record(
            instance,
            event.kind,
            actor if event.kind == "task_completed" else engine_actor(actor, event),
            process_id=event.process_id,
            element_id=event.element_id,
            element_name=event.element_name,
            data=data,
            at=now,
        )
    milestones = [event for event in events if event.kind == "milestone_reached"]
    if milestones:
        instance.stage = milestones[-1].element_name or milestones[-1].element_id
    instance.summary = summary
    instance.state = running.dump()
    instance.updated_at = now
    if running.completed and instance.status != "completed":
        instance.status, instance.completed_at = "completed", now
        uow.record(
            instance, "instance_completed", SYSTEM_ACTOR, process_id=instance.process_id, at=now
        )
    return fired


def engine_actor(actor: str, event: EngineEvent) -> str:
    """Who did it: the person for what their action caused directly, else the engine."""
    return actor if event.kind in ("message_received",) else SYSTEM_ACTOR


def project_tasks(
    uow: UnitOfWork,
    instance: Instance,
    running: RunningWorkflow,
    pending: list[Timer],
    now: datetime,
) -> None:
    """Make the complaint's task rows the workflow's ready tasks, each due when the earliest
    interrupting (or breach) timer around it falls."""
    session = uow.session
    ready = {task.id: task for task in running.human_tasks()}
    existing = {
        task.id: task
        for task in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id))
    }
    gone = [task_id for task_id in existing if task_id not in ready]
    if gone:
        session.execute(delete(HumanTask).where(HumanTask.id.in_(gone)))
    for task_id, info in ready.items():
        enclosing = set(running.enclosing_task_ids(task_id))
        dues = [
            t.due_at
            for t in pending
            if t.attached_task_id in enclosing and (t.interrupting or t.clock_role == "breach")
        ]
        due = min(dues) if dues else None
        row = existing.get(task_id)
        if row is None:
            session.add(
                HumanTask(
                    id=task_id,
                    instance_id=instance.id,
                    process_id=info.process_id,
                    bpmn_id=info.bpmn_id,
                    name=info.name,
                    lane=info.lane,
                    form=info.form,
                    created_at=now,
                    due_at=due,
                )
            )
        elif row.due_at != due:
            row.due_at = due


def project_timers(
    uow: UnitOfWork, instance: Instance, running: RunningWorkflow, now: datetime
) -> tuple[list[Timer], list[Timer]]:
    """Sync timer rows with the waiting timers; returns (fired timers, still-waiting timers)."""
    session = uow.session
    waiting = {(t.task_id, t.due_at): t for t in running.waiting_timers()}
    rows = session.scalars(
        select(Timer).where(Timer.instance_id == instance.id, Timer.state.in_(WAITING_TIMER_STATES))
    ).all()
    fired, still_waiting = [], []
    for row in rows:
        if waiting.pop((row.task_id, row.due_at), None) is not None:
            still_waiting.append(row)
            continue
        if row.due_at <= now:
            row.state, row.fired_at = "fired", now
            fired.append(row)
        else:
            row.state = "cancelled"
        row.claimed_by, row.claim_expires_at = None, None
    for info in waiting.values():
        timer = Timer(
            instance_id=instance.id,
            task_id=info.task_id,
            bpmn_id=info.bpmn_id,
            name=info.name,
            attached_to=info.attached_to,
            interrupting=info.interrupting,
            attached_task_id=info.attached_task_id,
            clock=info.clock,
            clock_role=info.clock_role,
            due_at=info.due_at,
            state="pending",
        )
        session.add(timer)
        still_waiting.append(timer)
    return fired, still_waiting
