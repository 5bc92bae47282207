"""What use cases hand back: plain, frozen views of versions, complaints, tasks, events and
timers, never ORM objects (they outlive their transaction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.db.models import AuditEvent, HumanTask, Instance, ProcessVersion, Timer


@dataclass(frozen=True)
class VersionView:
    number: int
    content_hash: str
    process_ids: list[str]
    deployed_by: str
    deployed_at: datetime
    created: bool  # false when the files were those of a version already deployed


@dataclass(frozen=True)
class InstanceView:
    reference: str
    process_id: str
    version: int
    status: str
    stage: str | None
    summary: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class TaskView:
    id: str
    reference: str
    process_id: str
    bpmn_id: str
    name: str
    lane: str | None
    form: str | None
    created_at: datetime
    due_at: datetime | None
    assignee: str | None
    stage: str | None
    summary: dict[str, Any]


@dataclass(frozen=True)
class EventView:
    seq: int
    at: datetime
    actor: str
    kind: str
    process_id: str | None
    element_id: str | None
    element_name: str | None
    data: dict[str, Any]


@dataclass(frozen=True)
class TimerView:
    id: int
    reference: str
    bpmn_id: str
    name: str
    clock: str | None
    clock_role: str | None
    due_at: datetime
    state: str
    fired_at: datetime | None

    @classmethod
    def of(cls, timer: Timer, reference: str) -> TimerView:
        return cls(
            timer.id,
            reference,
            timer.bpmn_id,
            timer.name,
            timer.clock,
            timer.clock_role,
            timer.due_at,
            timer.state,
            timer.fired_at,
        )


def version_view(version: ProcessVersion, created: bool) -> VersionView:
    return VersionView(
        version.number,
        version.content_hash,
        list(version.process_ids),
        version.deployed_by,
        version.deployed_at,
        created,
    )


def instance_view(instance: Instance) -> InstanceView:
    return InstanceView(
        instance.reference,
        instance.process_id,
        instance.process_version.number,
        instance.status,
        instance.stage,
        dict(instance.summary or {}),
        instance.created_at,
        instance.updated_at,
    )


def task_view(task: HumanTask, instance: Instance) -> TaskView:
    return task_row_view(task, instance.reference, instance.stage, instance.summary)


def task_row_view(
    task: HumanTask, reference: str, stage: str | None, summary: dict[str, Any] | None
) -> TaskView:
    """A task with the few columns of its complaint that lists show (one joined row)."""
    return TaskView(
        task.id,
        reference,
        task.process_id,
        task.bpmn_id,
        task.name,
        task.lane,
        task.form,
        task.created_at,
        task.due_at,
        task.assignee,
        stage,
        dict(summary or {}),
    )


def event_view(event: AuditEvent) -> EventView:
    return EventView(
        event.seq,
        event.at,
        event.actor,
        event.kind,
        event.process_id,
        event.element_id,
        event.element_name,
        event.data,
    )
