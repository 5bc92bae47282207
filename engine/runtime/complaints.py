"""Complaints in a unit of work: load and lock one, start one, restore its workflow, run an
engine step with a failure recorded apart, and the checks on the data handed to a process.

A complaint is a process instance (``Instance``); most are of the process ``complaint``,
others are corrective actions or any process a version deploys.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from engine import clock
from engine.bpmn.script_helpers import build_helpers
from engine.bpmn.workflow import RunningWorkflow, ScriptError, TaskNotReady, to_json_safe
from engine.db.models import (
    AuditEvent,
    HumanTask,
    Instance,
    ProcessVersion,
    ReferenceCounter,
    Timer,
)
from engine.errors import (
    DoleanceError,
    InvalidInput,
    NotAllowed,
    NotFound,
    ProcessError,
    TaskAlreadyCompleted,
)
from engine.forms import FormDefinition, FormValidationError, validate_submission
from engine.runtime import documents
from engine.runtime.process_helpers import ProcessContext, domain_helpers
from engine.runtime.saving import WAITING_TIMER_STATES, save_run
from engine.runtime.unit_of_work import UnitOfWork
from engine.runtime.versions import form_of, latest_version_with, library_of, policy_of

T = TypeVar("T")


def load_complaint(uow: UnitOfWork, reference: str, *, lock: bool = False) -> Instance:
    """The complaint ``reference``; NotFound otherwise.

    ``lock`` holds its row until the unit of work ends, so that two actions on one complaint
    run one after the other: ``SELECT … FOR UPDATE OF instance`` on PostgreSQL (SQLite's
    writing transactions already hold the database from ``BEGIN IMMEDIATE``). Whatever
    happens, the row's version column refuses a save made from a stale copy.
    """
    query = select(Instance).where(Instance.reference == reference)
    if lock:
        query = query.with_for_update(of=Instance)
    instance = uow.session.scalar(query)
    if instance is None:
        raise NotFound(f"no complaint with reference '{reference}'")
    return instance


def load_task(uow: UnitOfWork, task_id: str, *, lock: bool = False) -> tuple[HumanTask, Instance]:
    """A ready task and its complaint (locked with ``lock``, see :func:`load_complaint`).

    A task that is no longer waiting is TaskAlreadyCompleted when the trail saw it, NotFound
    when it never existed.
    """
    session = uow.session
    task = session.get(HumanTask, str(task_id))
    if task is None:
        raise _missing_task(uow, str(task_id))
    query = select(Instance).where(Instance.id == task.instance_id)
    if lock:
        query = query.with_for_update(of=Instance)
    instance = session.scalar(query)
    if instance is None:  # deleted between the two reads
        raise NotFound(f"no task {task_id}: it does not exist or is no longer waiting")
    return task, instance


def _missing_task(uow: UnitOfWork, task_id: str) -> DoleanceError:
    try:
        uuid.UUID(task_id)
    except ValueError:
        return NotFound(f"no task {task_id}: it does not exist or is no longer waiting")
    reference = uow.session.scalar(
        select(AuditEvent.chain)
        .where(AuditEvent.kind == "task_ready", AuditEvent.data["task_id"].as_string() == task_id)
        .limit(1)
    )
    if reference is None:
        return NotFound(f"no task {task_id}: it does not exist or is no longer waiting")
    return TaskAlreadyCompleted(
        f"task {task_id} of complaint {reference} is no longer waiting: it was completed or "
        "cancelled (reload the complaint to see what happened)"
    )


def start_complaint(
    uow: UnitOfWork, process_id: str, data: Mapping[str, Any], actor: str
) -> Instance:
    """Create an instance of the newest version of ``process_id`` and run it until it waits,
    in the unit of work (commit is the caller's). A diagram failure raises ScriptError."""
    session = uow.session
    version = latest_version_with(uow, process_id)
    now = clock.now()
    reference = next_reference(uow, uow.settings.reference_prefix(process_id), now.year)
    instance = Instance(
        reference=reference,
        process_id=process_id,
        version_id=version.id,
        status="running",
        summary={},
        state=b"",
        created_at=now,
        updated_at=now,
        created_by=actor,
    )
    instance.process_version = version
    session.add(instance)
    session.flush()
    uow.record(
        instance,
        "instance_started",
        actor,
        process_id=process_id,
        data={"version": version.number, "data": to_json_safe(dict(data))},
    )
    seeded = {**data, "reference": reference, "started_at": now.isoformat()}
    helpers = script_helpers(uow, instance, actor)
    running = RunningWorkflow.start(
        library_of(version), process_id, seeded, helpers, uow.settings.script_limits
    )
    save_run(uow, instance, running, running.run(), actor)
    return instance


def restore_workflow(uow: UnitOfWork, instance: Instance, actor: str) -> RunningWorkflow:
    """The complaint's workflow as it was saved, its diagram code calling helpers bound to
    this unit of work on behalf of ``actor``. A diagram failure raises ScriptError."""
    return RunningWorkflow.restore(
        library_of(instance.process_version),
        instance.process_id,
        instance.state,
        script_helpers(uow, instance, actor),
        uow.settings.script_limits,
    )


def run_step(uow: UnitOfWork, instance: Instance, actor: str, step: Callable[[], T]) -> T:
    """Run an engine step; a diagram failure rolls the action back whole, is recorded as an
    ``error`` event on the complaint's trail (in a transaction of its own) and raises
    ProcessError with what to do."""
    try:
        return step()
    except ScriptError as exc:
        reference = instance.reference
        uow.session.rollback()
        uow.record_failure(reference, actor, str(exc), exc.element_id, exc.element_name)
        raise ProcessError(
            f"complaint {reference}: {exc} — nothing was changed; "
            "a process owner must correct the diagram or the data"
        ) from exc


def script_helpers(
    uow: UnitOfWork, instance: Instance, actor: str
) -> dict[str, Callable[..., Any]]:
    """The functions a diagram may call while this complaint runs, bound to the unit of work.

    ``start_process`` starts the linked process in the same unit of work.
    """
    policy = policy_of(instance.process_version)

    def start_linked(process_id: str, data: Mapping[str, Any]) -> str:
        return start_complaint(uow, process_id, checked_free_data(data), actor).reference

    context = ProcessContext(uow, instance, policy, actor, start_linked)
    return build_helpers({**policy.helpers(), **domain_helpers(context)})


def next_reference(uow: UnitOfWork, prefix: str, year: int) -> str:
    """The next free reference of ``prefix`` in ``year`` (``REC-2026-000042``), taken by one
    upsert so that two complaints started at once never get the same one."""
    session = uow.session
    bind = session.get_bind()
    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(ReferenceCounter)
        .values(prefix=prefix, year=year, last=1)
        .on_conflict_do_update(
            index_elements=["prefix", "year"], set_={"last": ReferenceCounter.last + 1}
        )
        .returning(ReferenceCounter.last)
    )
    number = session.execute(statement).scalar_one()
    return f"{prefix}-{year}-{number:06d}"


def cancel_waiting_timers(uow: UnitOfWork, instance: Instance) -> None:
    """A finished complaint waits for nothing: its leftover timers are cancelled."""
    uow.session.execute(
        update(Timer)
        .where(Timer.instance_id == instance.id, Timer.state.in_(WAITING_TIMER_STATES))
        .values(state="cancelled", claimed_by=None, claim_expires_at=None)
    )


def checked_free_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """Data handed to a process without a form: named values whose names diagram code can use
    (InvalidInput names the ones it cannot)."""
    if not isinstance(data, Mapping):
        raise InvalidInput("task data must be an object of named values")
    errors: dict[str, list[str]] = {}
    for key in data:
        if not isinstance(key, str) or not key.isidentifier():
            errors[str(key)] = ["names must be letters, digits and underscores"]
        elif key.startswith("_") or key == "typename":
            errors[key] = ["this name is reserved"]
    if errors:
        raise InvalidInput("some data names are not allowed", errors)
    return dict(data)


def validated_form_data(
    version: ProcessVersion, form_name: str, data: Mapping[str, Any]
) -> dict[str, Any]:
    """What a person submitted into form ``form_name`` of a version, checked and converted
    (InvalidInput with the errors of each field)."""
    definition = form_of(version, form_name)
    try:
        return validate_submission(definition, data)
    except FormValidationError as exc:
        fields = ", ".join(sorted(exc.errors))
        raise InvalidInput(f"the form '{form_name}' has errors in: {fields}", exc.errors) from exc


def document_ids(form: FormDefinition, values: Mapping[str, Any]) -> list[str]:
    """The documents a submitted form names in its file fields."""
    ids: list[str] = []
    for f in form.fields:
        value = values.get(f.key) if f.type == "file" else None
        if value:
            ids += value if isinstance(value, list) else [value]
    return ids


def complete_ready_task(
    uow: UnitOfWork, task: HumanTask, instance: Instance, data: Mapping[str, Any], actor: str
) -> None:
    """Submit ``data`` to a ready task and run the complaint until it waits again, in the unit
    of work: the data is checked against the task's form (or as free data), the documents
    its file fields name are joined to the complaint, and the run is saved."""
    version = instance.process_version
    if task.form:
        cleaned = validated_form_data(version, task.form, data)
        documents.bind(uow, instance, document_ids(form_of(version, task.form), cleaned))
    else:
        cleaned = checked_free_data(data)
    running = run_step(uow, instance, actor, lambda: restore_workflow(uow, instance, actor))
    try:
        events = run_step(uow, instance, actor, lambda: running.complete_task(task.id, cleaned))
    except TaskNotReady as exc:
        raise (TaskAlreadyCompleted if exc.completed else NotAllowed)(str(exc)) from exc
    for event in events:
        if event.kind == "task_completed" and event.task_id == task.id:
            event.data["submitted"] = to_json_safe(cleaned)
    save_run(uow, instance, running, events, actor)
