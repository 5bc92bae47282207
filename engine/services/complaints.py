"""One function per user action; each runs in one transaction (its unit of work).

Every function takes the unit of work last and commits it itself: workflow state, task
rows, timers, outbox messages and audit events are written together or not at all.
Results are plain dataclasses, never ORM objects.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.security import generate_password_hash

from engine import clock
from engine.bpmn.domain_helpers import COMPLAINT_PROCESS, ProcessContext, domain_helpers
from engine.bpmn.script_helpers import build_helpers
from engine.bpmn.validation import FORMS_PREFIX, check_deployment
from engine.bpmn.workflow import (
    EngineEvent,
    NoWaitingReceiver,
    RunningWorkflow,
    ScriptError,
    TaskNotReady,
    library_for,
    to_json_safe,
)
from engine.config import Settings
from engine.db.models import (
    AuditEvent,
    HumanTask,
    Instance,
    ProcessVersion,
    ReferenceCounter,
    Role,
    Timer,
    User,
    UserRole,
)
from engine.db.session import UnitOfWork
from engine.errors import (
    ConcurrentUpdate,
    DeploymentError,
    DoleanceError,
    InvalidInput,
    NotAllowed,
    NotFound,
    ProcessError,
    TaskAlreadyClaimed,
    TaskAlreadyCompleted,
)
from engine.forms.definitions import FormValidationError, parse_form_definition, validate_submission
from engine.messages import outbox
from engine.rules.policy import DEFAULT_POLICY, POLICY_FILE, Policy, parse_policy
from engine.runtime import documents as attachments
from engine.services.accounts import SUPERVISOR_ROLE, WORKING_ROLES, check_new_password
from engine.trace import audit

SYSTEM_ACTOR = "system"
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
    "language",  # the customer's: messages to them are written in it (engine.messages.outbox)
)

BUILTIN_ROLES = {
    "agent": ("Agent", ["Accueil", "Conseiller"]),
    "supervisor": ("Superviseur", ["Superviseur", "Accueil", "Conseiller"]),
    "quality": ("Qualité", ["Qualité"]),
    "process_owner": ("Propriétaire de processus", []),
    "auditor": ("Auditeur", []),
    "admin": ("Administrateur", []),
}


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionView:
    number: int
    content_hash: str
    process_ids: list[str]
    deployed_by: str
    deployed_at: datetime
    created: bool


@dataclass(frozen=True)
class InstanceView:
    reference: str
    process_id: str
    version: int
    status: str
    stage: str | None
    summary: dict
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
    summary: dict


@dataclass(frozen=True)
class EventView:
    seq: int
    at: datetime
    actor: str
    kind: str
    process_id: str | None
    element_id: str | None
    element_name: str | None
    data: dict


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


# --- deployment ------------------------------------------------------------------------------


def content_hash(files: Mapping[str, str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name].encode()).digest())
    return digest.hexdigest()


def deploy_version(files: Mapping[str, str], actor: str, uow: UnitOfWork) -> VersionView:
    """Validate and store a set of process files; nothing new when the content is unchanged."""
    with uow:
        version, created = store_version(uow.session, files, actor)
        if created:
            _commit(uow)
        return _version_view(version, created=created)


def store_version(
    session: Session, files: Mapping[str, str], actor: str
) -> tuple[ProcessVersion, bool]:
    """Validate and add a version inside the caller's transaction: (version, created).

    Files identical to a deployed version give that version back, with ``created`` false.
    """
    digest = content_hash(files)
    existing = session.scalar(select(ProcessVersion).where(ProcessVersion.content_hash == digest))
    if existing is not None:
        return existing, False
    parsed, problems = check_deployment(files)
    if problems:
        raise DeploymentError(f"{len(problems)} problem(s) in the process files", problems)
    number = (session.scalar(select(func.max(ProcessVersion.number))) or 0) + 1
    version = ProcessVersion(
        number=number,
        content_hash=digest,
        files=dict(files),
        specs=parsed.specs,
        process_ids=parsed.process_ids,
        flows=parsed.flows,
        deployed_by=actor,
        deployed_at=clock.now(),
    )
    session.add(version)
    audit.append(
        session,
        None,
        "process_deployed",
        actor,
        data={
            "version": number,
            "content_hash": digest,
            "files": sorted(files),
            "processes": parsed.process_ids,
        },
    )
    return version, True


def list_versions(uow: UnitOfWork) -> list[VersionView]:
    with uow:
        rows = uow.session.scalars(select(ProcessVersion).order_by(ProcessVersion.number))
        return [_version_view(v, created=False) for v in rows]


def _version_view(version: ProcessVersion, created: bool) -> VersionView:
    return VersionView(
        version.number,
        version.content_hash,
        list(version.process_ids),
        version.deployed_by,
        version.deployed_at,
        created,
    )


def _latest_version_with(session: Session, process_id: str) -> ProcessVersion:
    for version in session.scalars(select(ProcessVersion).order_by(ProcessVersion.number.desc())):
        if process_id in version.process_ids:
            return version
    known = sorted({p for v in session.scalars(select(ProcessVersion)) for p in v.process_ids})
    hint = f"; deployed processes: {', '.join(known)}" if known else "; run 'doleance deploy' first"
    raise NotFound(f"no deployed process '{process_id}'{hint}")


def _library(version: ProcessVersion):
    return library_for(version.content_hash, lambda: (version.specs, version.flows))


def _restore(
    instance: Instance, session: Session, settings: Settings, actor: str
) -> RunningWorkflow:
    helpers = _helpers(session, settings, instance, actor)
    library = _library(instance.process_version)
    return RunningWorkflow.restore(
        library, instance.process_id, instance.state, helpers, settings.script_limits
    )


# --- instances ---------------------------------------------------------------------------------


def start_instance(
    process_id: str,
    data: Mapping[str, Any],
    actor: str,
    uow: UnitOfWork,
    on_started: Callable[[Session, Instance], None] | None = None,
) -> InstanceView:
    """Start a new instance (a complaint) of the newest deployed version of ``process_id``.

    ``on_started`` runs in the same transaction once the instance has run (the portal binds
    the customer's documents and creates the tracking link there): if it raises, nothing
    is saved.
    """
    data = _checked_free_data(data)
    with uow:
        try:
            instance = _start(uow.session, uow.settings, process_id, data, actor)
        except ScriptError as exc:
            raise ProcessError(
                f"'{process_id}' could not start: {exc} — nothing was saved; "
                "a process owner must correct the diagram or the data"
            ) from exc
        if on_started is not None:
            on_started(uow.session, instance)
        _commit(uow)
        return _instance_view(instance)


def _start(
    session: Session, settings: Settings, process_id: str, data: Mapping[str, Any], actor: str
) -> Instance:
    """Create and run an instance inside the caller's transaction."""
    version = _latest_version_with(session, process_id)
    now = clock.now()
    reference = _next_reference(session, settings.reference_prefix(process_id), now.year)
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
    audit.append(
        session,
        instance,
        "instance_started",
        actor,
        process_id=process_id,
        data={"version": version.number, "data": to_json_safe(dict(data))},
    )
    seeded = {**data, "reference": reference, "started_at": now.isoformat()}
    helpers = _helpers(session, settings, instance, actor)
    running = RunningWorkflow.start(
        _library(version), process_id, seeded, helpers, settings.script_limits
    )
    _save(session, settings, instance, running, running.run(), actor)
    return instance


def get_instance(reference: str, uow: UnitOfWork) -> InstanceView:
    with uow:
        return _instance_view(_instance(uow.session, reference))


def list_instances(
    uow: UnitOfWork, status: str | None = None, limit: int = 100
) -> list[InstanceView]:
    with uow:
        query = select(Instance).order_by(Instance.id.desc()).limit(limit)
        if status:
            query = query.where(Instance.status == status)
        return [_instance_view(i) for i in uow.session.scalars(query)]


def instance_history(reference: str, uow: UnitOfWork) -> list[EventView]:
    with uow:
        _instance(uow.session, reference)
        rows = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.chain == reference).order_by(AuditEvent.seq)
        )
        return [
            EventView(
                e.seq, e.at, e.actor, e.kind, e.process_id, e.element_id, e.element_name, e.data
            )
            for e in rows
        ]


def instance_data(reference: str, uow: UnitOfWork) -> dict:
    """Everything the complaint's process knows right now (its freshest task data)."""
    with uow:
        instance = _instance(uow.session, reference)
        running = _restore(instance, uow.session, uow.settings, SYSTEM_ACTOR)
        return to_json_safe(running.current_data())


def customer_complaints(
    email: str, uow: UnitOfWork, exclude: str | None = None, limit: int = 20
) -> list[InstanceView]:
    """The complaints of the customer with this e-mail address, newest first."""
    if not email:
        return []
    with uow:
        query = (
            select(Instance)
            .where(
                Instance.process_id == COMPLAINT_PROCESS,
                Instance.summary["customer_email"].as_string() == email,
            )
            .order_by(Instance.created_at.desc(), Instance.id.desc())
            .limit(limit)
        )
        if exclude is not None:
            query = query.where(Instance.reference != exclude)
        return [_instance_view(i) for i in uow.session.scalars(query)]


def instance_timers(reference: str, uow: UnitOfWork) -> list[TimerView]:
    with uow:
        instance = _instance(uow.session, reference)
        rows = uow.session.scalars(
            select(Timer).where(Timer.instance_id == instance.id).order_by(Timer.due_at)
        )
        return [TimerView.of(t, reference) for t in rows]


def _instance(session: Session, reference: str, for_update: bool = False) -> Instance:
    query = select(Instance).where(Instance.reference == reference)
    if for_update:
        query = query.with_for_update(of=Instance)
    instance = session.scalar(query)
    if instance is None:
        raise NotFound(f"no complaint with reference '{reference}'")
    return instance


def _instance_view(instance: Instance) -> InstanceView:
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


def _next_reference(session: Session, prefix: str, year: int) -> str:
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
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


# --- tasks -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskFilter:
    """Which ready tasks to show: a role's lanes, a user's inbox, one complaint, a search."""

    role: str | None = None
    user: str | None = None
    reference: str | None = None
    search: str | None = None  # part of a reference or of the customer's name, any case
    lane: str | None = None  # only this lane's tasks
    mine: bool = False  # only the tasks assigned to ``user``


#: How a task list may be sorted; ties go to the older complaint, then to the task id.
TASK_SORTS = {
    "due": (HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at),
    "created": (HumanTask.created_at, HumanTask.due_at.is_(None), HumanTask.due_at),
}


def list_tasks(
    uow: UnitOfWork,
    role: str | None = None,
    user: str | None = None,
    reference: str | None = None,
    search: str | None = None,
    limit: int = 200,
    offset: int = 0,
    lane: str | None = None,
    mine: bool = False,
    sort: str = "due",
) -> list[TaskView]:
    """Ready tasks, due first (or oldest first with ``sort="created"``): for a role's lanes, a
    user (roles + assignments), or a complaint; ``lane`` and ``mine`` narrow the list.

    One statement: the page's task ids are chosen (and sorted) among the task rows alone,
    and only those tasks are joined to their complaints. Ties go to the older complaint,
    then to the task id, so that pages neither repeat nor skip a task.
    """
    if sort not in TASK_SORTS:
        raise InvalidInput(f"unknown sort '{sort}': choose one of {', '.join(TASK_SORTS)}")
    order = (*TASK_SORTS[sort], HumanTask.instance_id, HumanTask.id)
    task_filter = TaskFilter(role, user, reference, search, lane, mine)
    with uow:
        page = (
            _task_query(uow.session, task_filter, HumanTask.id)
            .order_by(*order)
            .limit(limit)
            .offset(offset)
            .subquery()
        )
        query = (
            select(HumanTask, Instance.reference, Instance.stage, Instance.summary)
            .join(page, page.c.id == HumanTask.id)
            .join(Instance, HumanTask.instance_id == Instance.id)
            .order_by(*order)
        )
        return [
            _task_row_view(task, ref, stage, summary)
            for task, ref, stage, summary in uow.session.execute(query)
        ]


def count_tasks(uow: UnitOfWork, task_filter: TaskFilter) -> int:
    """How many ready tasks ``list_tasks`` would give for the same filter, without a limit."""
    with uow:
        return uow.session.scalar(_task_query(uow.session, task_filter, func.count()))


def _task_query(session: Session, task_filter: TaskFilter, *columns):
    """``columns`` of the ready tasks that ``task_filter`` keeps; complaints are joined only
    when the filter looks at them (a reference or a search)."""
    query = select(*columns).select_from(HumanTask)
    if task_filter.reference is not None or task_filter.search:
        query = query.join(Instance, HumanTask.instance_id == Instance.id)
    if task_filter.role is not None:
        query = query.where(_lane_filter(_role(session, task_filter.role).lanes))
    if task_filter.user is not None:
        lanes = _lanes_of(session, _user(session, task_filter.user))
        query = query.where(
            or_(
                HumanTask.assignee == task_filter.user,
                _lane_filter(lanes) & HumanTask.assignee.is_(None),
            )
        )
    if task_filter.lane is not None:
        query = query.where(HumanTask.lane == task_filter.lane)
    if task_filter.mine:
        query = query.where(HumanTask.assignee == task_filter.user)
    if task_filter.reference is not None:
        query = query.where(Instance.reference == task_filter.reference)
    if task_filter.search:
        needle = task_filter.search.strip().lower()
        customer = func.lower(Instance.summary["customer_name"].as_string())
        query = query.where(
            or_(
                func.lower(Instance.reference).contains(needle, autoescape=True),
                customer.contains(needle, autoescape=True),
            )
        )
    return query


def get_task(task_id: str, uow: UnitOfWork) -> TaskView:
    """A ready task as lists show it (who may act on it is each action's own check)."""
    with uow:
        return _task_view(*_task_and_instance(uow.session, task_id))


def claim_task(task_id: str, actor: str, uow: UnitOfWork) -> TaskView:
    """Take a task for yourself; a conditional update, so two agents cannot both get it."""
    with uow:
        session = uow.session
        task, instance = _task_and_instance(session, task_id, for_update=True)
        _require_lane(session, actor, task)
        claimed = session.execute(
            update(HumanTask)
            .where(HumanTask.id == task_id, HumanTask.assignee.is_(None))
            .values(assignee=actor, claimed_at=clock.now())
        ).rowcount
        session.refresh(task)
        if not claimed:
            if task.assignee == actor:
                return _task_view(task, instance)
            raise TaskAlreadyClaimed(f"task '{task.name}' is already claimed by {task.assignee}")
        return _record_assignment(uow, task, instance, "task_claimed", actor)


def release_task(task_id: str, actor: str, uow: UnitOfWork) -> TaskView:
    """Give a claimed task back to its lane: its assignee may, or a supervisor of the lane."""
    with uow:
        session = uow.session
        task, instance = _task_and_instance(session, task_id, for_update=True)
        _require_lane(session, actor, task)
        if task.assignee != actor:
            _require_supervisor(
                session,
                actor,
                task,
                f"task '{task.name}' is assigned to {task.assignee or 'nobody'}; "
                f"only that person or a supervisor of the {task.lane} lane can release it",
            )
        task.assignee, task.claimed_at = None, None
        return _record_assignment(uow, task, instance, "task_released", actor)


def reassign_task(task_id: str, assignee: str, actor: str, uow: UnitOfWork) -> TaskView:
    """A supervisor of the task's lane hands it to someone who works in that lane."""
    with uow:
        session = uow.session
        task, instance = _task_and_instance(session, task_id, for_update=True)
        _require_supervisor(
            session,
            actor,
            task,
            f"only a supervisor of the {task.lane} lane can reassign task '{task.name}'",
        )
        _require_lane(session, assignee, task)
        previous = task.assignee
        task.assignee, task.claimed_at = assignee, clock.now()
        return _record_assignment(
            uow, task, instance, "task_reassigned", actor, {"from": previous, "to": assignee}
        )


def _record_assignment(
    uow: UnitOfWork, task: HumanTask, instance: Instance, kind: str, actor: str, data=None
) -> TaskView:
    audit.append(
        uow.session,
        instance,
        kind,
        actor,
        process_id=task.process_id,
        element_id=task.bpmn_id,
        element_name=task.name,
        data=data,
    )
    instance.updated_at = clock.now()
    _commit(uow)
    return _task_view(task, instance)


def task_form_context(task_id: str, actor: str, uow: UnitOfWork, with_data: bool = True) -> dict:
    """What a task page needs: the task, its form definition and the data it starts from,
    for ``actor``, who must work in the task's lane.

    ``documentation`` is the diagram's documentation of the task; ``instructions`` its
    instructions for the person doing it (a template over the task data, as written).
    ``with_data=False`` skips restoring the workflow (a form being submitted needs only the
    task and its form); ``data`` is then empty and the two texts None.
    """
    with uow:
        task, instance = _task_and_instance(uow.session, task_id)
        _require_lane(uow.session, actor, task)
        form = _form_definition(instance.process_version, task.form) if task.form else None
        data, documentation, instructions = {}, None, None
        if with_data:
            running = _restore(instance, uow.session, uow.settings, SYSTEM_ACTOR)
            data = to_json_safe(running.task_data(task_id))
            info = next((t for t in running.human_tasks() if t.id == task.id), None)
            if info is not None:
                documentation, instructions = info.documentation, info.instructions
        return {
            "task": _task_view(task, instance),
            "form": form,
            "data": data,
            "documentation": documentation,
            "instructions": instructions,
        }


def complete_task(
    task_id: str, data: Mapping[str, Any], actor: str, uow: UnitOfWork
) -> InstanceView:
    """Submit a task's form and move the complaint forward until it waits again."""
    with uow:
        session = uow.session
        task, instance = _task_and_instance(session, task_id, for_update=True)
        _require_lane(session, actor, task)
        if task.assignee not in (None, actor):
            raise NotAllowed(
                f"task '{task.name}' is assigned to {task.assignee}; "
                + (
                    "release it or reassign it to yourself first"
                    if _supervises(session, actor, task)
                    else f"ask a supervisor of the {task.lane} lane to reassign it"
                )
            )
        version = instance.process_version
        if task.form:
            cleaned = _validated_form_data(version, task.form, data)
            attachments.bind(
                session, instance, _attachment_ids(_form_definition(version, task.form), cleaned)
            )
        else:
            cleaned = _checked_free_data(data)
        running = _guard(
            lambda: _restore(instance, session, uow.settings, actor), instance, actor, uow
        )
        try:
            events = _guard(lambda: running.complete_task(task_id, cleaned), instance, actor, uow)
        except TaskNotReady as exc:
            raise (TaskAlreadyCompleted if exc.completed else NotAllowed)(str(exc)) from exc
        for event in events:
            if event.kind == "task_completed" and event.task_id == task_id:
                event.data["submitted"] = to_json_safe(cleaned)
        _save(session, uow.settings, instance, running, events, actor)
        _commit(uow)
        return _instance_view(instance)


def _task_and_instance(session: Session, task_id: str, for_update: bool = False):
    task = session.get(HumanTask, str(task_id))
    if task is None:
        raise _missing_task(session, str(task_id))
    query = select(Instance).where(Instance.id == task.instance_id)
    if for_update:
        query = query.with_for_update(of=Instance)
    return task, session.scalar(query)


def _missing_task(session: Session, task_id: str) -> DoleanceError:
    """Why ``task_id`` has no row: a task the trail saw waiting is done; else it never was."""
    try:
        uuid.UUID(task_id)
    except ValueError:
        return NotFound(f"no task {task_id}: it does not exist or is no longer waiting")
    reference = session.scalar(
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


def _task_view(task: HumanTask, instance: Instance) -> TaskView:
    return _task_row_view(task, instance.reference, instance.stage, instance.summary)


def _task_row_view(task: HumanTask, reference: str, stage: str | None, summary) -> TaskView:
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


def _validated_form_data(version: ProcessVersion, form_name: str, data: Mapping[str, Any]) -> dict:
    definition = _form_definition(version, form_name)
    try:
        return validate_submission(definition, data)
    except FormValidationError as exc:
        fields = ", ".join(sorted(exc.errors))
        raise InvalidInput(f"the form '{form_name}' has errors in: {fields}", exc.errors) from exc


_FORM_CACHE: dict[tuple[str, str], Any] = {}


def _form_definition(version: ProcessVersion, form_name: str):
    key = (version.content_hash, form_name)
    if key not in _FORM_CACHE:
        text = version.files.get(FORMS_PREFIX + form_name)
        if text is None:
            raise NotFound(f"form '{form_name}' is not part of version {version.number}")
        _FORM_CACHE[key] = parse_form_definition(text, form_name)
    return _FORM_CACHE[key]


_VERSION_FORM_NAMES: dict[str, list[str]] = {}


def form_definitions(uow: UnitOfWork, reference: str | None = None) -> dict[str, Any]:
    """The forms deployed with complaint ``reference``'s version (else the newest), by name.

    Screens take field labels and choice labels (category, channel, remedy…) from them.
    """
    with uow:
        if reference is not None:
            version = _instance(uow.session, reference).process_version
        else:
            version = uow.session.scalar(
                select(ProcessVersion).order_by(ProcessVersion.number.desc()).limit(1)
            )
            if version is None:
                return {}
        if version.content_hash not in _VERSION_FORM_NAMES:
            _VERSION_FORM_NAMES[version.content_hash] = sorted(
                name.removeprefix(FORMS_PREFIX)
                for name in version.files
                if name.startswith(FORMS_PREFIX)
            )
        names = _VERSION_FORM_NAMES[version.content_hash]
        return {name: _form_definition(version, name) for name in names}


def _attachment_ids(form, values: Mapping[str, Any]) -> list[str]:
    """The documents a submitted form names in its file fields."""
    ids: list[str] = []
    for f in form.fields:
        value = values.get(f.key) if f.type == "file" else None
        if value:
            ids += value if isinstance(value, list) else [value]
    return ids


def _checked_free_data(data: Mapping[str, Any]) -> dict:
    if not isinstance(data, Mapping):
        raise InvalidInput("task data must be an object of named values")
    errors = {}
    for key in data:
        if not isinstance(key, str) or not key.isidentifier():
            errors[str(key)] = ["names must be letters, digits and underscores"]
        elif key.startswith("_") or key == "typename":
            errors[key] = ["this name is reserved"]
    if errors:
        raise InvalidInput("some data names are not allowed", errors)
    return dict(data)


# --- messages and timers --------------------------------------------------------------------------


def deliver_message(
    reference: str,
    message_name: str,
    payload: Mapping[str, Any],
    actor: str,
    uow: UnitOfWork,
    form: str | None = None,
) -> InstanceView:
    """Hand an incoming message (for example the customer's reply) to the waiting complaint.

    With ``form`` (e.g. ``customer_checkin_reply.json``), the payload is what a person typed
    into that form of the complaint's version: it is validated and converted like a task's.
    """
    payload = _checked_free_data(payload)
    with uow:
        session = uow.session
        instance = _instance(session, reference, for_update=True)
        if form is not None:
            payload = _validated_form_data(instance.process_version, form, payload)
        running = _guard(
            lambda: _restore(instance, session, uow.settings, actor), instance, actor, uow
        )
        try:
            events = _guard(
                lambda: running.deliver_message(message_name, payload), instance, actor, uow
            )
        except NoWaitingReceiver as exc:
            raise NotAllowed(f"complaint {reference}: {exc}") from exc
        _save(session, uow.settings, instance, running, events, actor)
        _commit(uow)
        return _instance_view(instance)


def fire_due_timers(reference: str, uow: UnitOfWork, actor: str = "scheduler") -> list[TimerView]:
    """Fire every timer of the instance that is due now; returns the timers that fired."""
    with uow:
        session = uow.session
        instance = _instance(session, reference, for_update=True)
        if instance.status != "running":
            _cancel_timers(session, instance)
            _commit(uow)
            return []
        running = _guard(
            lambda: _restore(instance, session, uow.settings, actor), instance, actor, uow
        )
        events = _guard(running.fire_due_timers, instance, actor, uow)
        fired = _save(session, uow.settings, instance, running, events, actor)
        _commit(uow)
        return [TimerView.of(t, reference) for t in fired]


def _cancel_timers(session: Session, instance: Instance) -> None:
    """A finished instance waits for nothing: its leftover timers are cancelled."""
    session.execute(
        update(Timer)
        .where(Timer.instance_id == instance.id, Timer.state.in_(("pending", "firing")))
        .values(state="cancelled", claimed_by=None, claim_expires_at=None)
    )


def due_timer_references(uow: UnitOfWork, until: datetime | None = None) -> list[str]:
    """References of running instances with a pending timer due by ``until`` (default now)."""
    until = until or clock.now()
    with uow:
        rows = uow.session.execute(
            select(Instance.reference, func.min(Timer.due_at))
            .join(Timer, Timer.instance_id == Instance.id)
            .where(Timer.state == "pending", Timer.due_at < until)  # fires strictly after
            .group_by(Instance.reference)
            .order_by(func.min(Timer.due_at))
        )
        return [ref for ref, _ in rows]


# --- saving a run: projections and audit ----------------------------------------------------------


def _save(
    session: Session,
    settings: Settings,
    instance: Instance,
    running: RunningWorkflow,
    events: list[EngineEvent],
    actor: str,
) -> list[Timer]:
    """Write the run's outcome: state, stage, summary, task and timer rows, outbox, audit."""
    now = clock.now()
    fired, pending = _project_timers(session, instance, running, now)
    _project_tasks(session, instance, running, pending, now)
    summary = to_json_safe({k: v for k, v in running.current_data().items() if k in SUMMARY_KEYS})
    for message in running.sent_messages():  # rendered now, in the customer's language
        session.add(
            outbox.written_message(instance, message.name, message.payload, summary, settings, now)
        )
    for event in events:
        data = event.data
        if event.kind in ("task_ready", "task_completed") and event.task_id:
            data = {**data, "task_id": event.task_id}  # how a stale task link is recognised
        audit.append(
            session,
            instance,
            event.kind,
            actor if event.kind == "task_completed" else _engine_actor(actor, event),
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
        audit.append(
            session,
            instance,
            "instance_completed",
            SYSTEM_ACTOR,
            process_id=instance.process_id,
            at=now,
        )
    return fired


def _engine_actor(actor: str, event: EngineEvent) -> str:
    """Who did it: the person for what their action caused directly, else the engine."""
    return actor if event.kind in ("message_received",) else SYSTEM_ACTOR


def _project_tasks(
    session: Session, instance: Instance, running: RunningWorkflow, pending: list[Timer], now
) -> None:
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


def _project_timers(
    session: Session, instance: Instance, running: RunningWorkflow, now
) -> tuple[list[Timer], list[Timer]]:
    """Sync timer rows with the waiting timers; returns (fired timers, still-waiting timers)."""
    waiting = {(t.task_id, t.due_at): t for t in running.waiting_timers()}
    rows = session.scalars(
        select(Timer).where(
            Timer.instance_id == instance.id, Timer.state.in_(("pending", "firing"))
        )
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


# --- users and roles ------------------------------------------------------------------------------


def ensure_builtin_roles(uow: UnitOfWork) -> list[str]:
    """Create the built-in roles that do not exist yet; returns the names created."""
    with uow:
        created = []
        for name, (label, lanes) in BUILTIN_ROLES.items():
            if uow.session.get(Role, name) is None:
                uow.session.add(Role(name=name, label=label, lanes=lanes))
                created.append(name)
        _commit(uow)
        return created


def create_user(
    username: str,
    roles: list[str],
    uow: UnitOfWork,
    display_name: str | None = None,
    password: str | None = None,
    actor: str = SYSTEM_ACTOR,
) -> None:
    username = (username or "").strip()
    if not username or len(username) > 120 or any(c.isspace() for c in username):
        raise InvalidInput("a user name is 1 to 120 characters without spaces")
    if not roles:
        raise InvalidInput("give the user at least one role")
    with uow:
        session = uow.session
        if session.get(User, username) is not None:
            raise InvalidInput(f"user '{username}' already exists")
        for role in roles:
            _role(session, role)
        user = User(
            username=username,
            display_name=display_name or username,
            password_hash=generate_password_hash(password) if password else None,
            created_at=clock.now(),
        )
        user.role_links = [UserRole(role=role) for role in sorted(set(roles))]
        session.add(user)
        audit.append(
            session, None, "user_created", actor, data={"user": username, "roles": sorted(roles)}
        )
        _commit(uow)


def set_user_roles(username: str, roles: list[str], actor: str, uow: UnitOfWork) -> None:
    """Give a user exactly ``roles``; nobody removes their own admin role."""
    roles = sorted(set(roles))
    if not roles:
        raise InvalidInput("give the user at least one role", {"roles": ["at least one role"]})
    with uow:
        session = uow.session
        user = _any_user(session, username)
        for role in roles:
            _role(session, role)
        before = user.roles
        if actor == username and "admin" in before and "admin" not in roles:
            raise NotAllowed(
                "you cannot remove your own admin role; ask another administrator to do it"
            )
        if before == roles:
            return
        user.role_links = [link for link in user.role_links if link.role in roles] + [
            UserRole(role=role) for role in roles if role not in before
        ]
        audit.append(
            session,
            None,
            "user_roles_changed",
            actor,
            data={"user": username, "from": before, "to": roles},
        )
        _commit(uow)


def set_user_active(username: str, active: bool, actor: str, uow: UnitOfWork) -> None:
    """Let a user sign in again, or stop them (from their next request); not yourself."""
    with uow:
        session = uow.session
        user = _any_user(session, username)
        if actor == username and not active:
            raise NotAllowed("you cannot deactivate yourself; ask another administrator")
        if user.active == active:
            return
        user.active = active
        kind = "user_reactivated" if active else "user_deactivated"
        audit.append(session, None, kind, actor, data={"user": username})
        _commit(uow)


def reset_password(username: str, password: str, actor: str, uow: UnitOfWork) -> None:
    """Set a new password (at least ``MIN_PASSWORD_LENGTH`` characters); the trail notes who."""
    check_new_password(password)
    with uow:
        session = uow.session
        user = _any_user(session, username)
        user.password_hash = generate_password_hash(password)
        audit.append(session, None, "password_reset", actor, data={"user": username})
        _commit(uow)


def _any_user(session: Session, username: str) -> User:
    """A user, active or not (administration reaches both)."""
    user = session.get(User, username)
    if user is None:
        raise NotFound(f"no user '{username}'")
    return user


def _role(session: Session, name: str) -> Role:
    role = session.get(Role, name)
    if role is None:
        known = ", ".join(session.scalars(select(Role.name).order_by(Role.name)))
        raise NotFound(f"no role '{name}' (known roles: {known or 'none; run doleance init'})")
    return role


def _user(session: Session, username: str) -> User:
    user = session.get(User, username)
    if user is None or not user.active:
        raise NotFound(f"no active user '{username}'")
    return user


def _lanes_of(session: Session, user: User) -> set[str]:
    rows = session.scalars(
        select(Role.lanes)
        .join(UserRole, UserRole.role == Role.name)
        .where(UserRole.username == user.username)
    )
    return {lane for lanes in rows for lane in lanes}


def _lane_filter(lanes):
    lanes = list(lanes)
    return HumanTask.lane.in_(lanes) if lanes else HumanTask.lane.is_(None) & False


def _require_lane(session: Session, username: str, task: HumanTask) -> None:
    """Only people whose roles work in the task's lane act on it (admins on every lane)."""
    user = _user(session, username)
    if not WORKING_ROLES & set(user.roles):
        raise NotAllowed(
            f"{username}'s roles ({', '.join(user.roles) or 'none'}) do not work tasks"
        )
    if "admin" in user.roles or task.lane is None:
        return
    if task.lane not in _lanes_of(session, user):
        raise NotAllowed(
            f"task '{task.name}' belongs to the {task.lane} lane, "
            f"which none of {username}'s roles ({', '.join(user.roles)}) work in"
        )


def _require_supervisor(session: Session, username: str, task: HumanTask, refusal: str) -> None:
    """Refuse (NotAllowed) unless ``username`` supervises the task's lane."""
    if not _supervises(session, username, task):
        raise NotAllowed(refusal)


def _supervises(session: Session, username: str, task: HumanTask) -> bool:
    """A supervisor supervises the lanes their roles work in; admins supervise every lane."""
    user = _user(session, username)
    if "admin" in user.roles:
        return True
    return SUPERVISOR_ROLE in user.roles and (
        task.lane is None or task.lane in _lanes_of(session, user)
    )


# --- audit ----------------------------------------------------------------------------------------


def verify_audit(uow: UnitOfWork, reference: str | None = None) -> list[audit.ChainBreak]:
    with uow:
        if reference is not None:
            _instance(uow.session, reference)
        return audit.verify(uow.session, reference)


# --- transactions and failures ----------------------------------------------------------------


_POLICY_CACHE: dict[str, Policy] = {}


def policy_of(version: ProcessVersion) -> Policy:
    """The policy deployed with a version (the built-in defaults when it has none)."""
    if version.content_hash not in _POLICY_CACHE:
        text = version.files.get(POLICY_FILE)
        _POLICY_CACHE[version.content_hash] = parse_policy(text) if text else DEFAULT_POLICY
    return _POLICY_CACHE[version.content_hash]


def _helpers(session: Session, settings: Settings, instance: Instance, actor: str) -> dict:
    """The functions a diagram may call while this instance runs, bound to this transaction."""
    policy = policy_of(instance.process_version)

    def start_linked(process_id: str, data: Mapping[str, Any]) -> str:
        return _start(session, settings, process_id, _checked_free_data(data), actor).reference

    context = ProcessContext(session, settings, instance, policy, actor, start_linked)
    return build_helpers({**policy.helpers(), **domain_helpers(context)})


def _guard(action, instance: Instance, actor: str, uow: UnitOfWork):
    """Run an engine step; a diagram failure rolls the action back and is recorded on its own."""
    try:
        return action()
    except ScriptError as exc:
        reference = instance.reference
        uow.session.rollback()
        _record_failure(uow, reference, actor, exc)
        raise ProcessError(
            f"complaint {reference}: {exc} — nothing was changed; "
            "a process owner must correct the diagram or the data"
        ) from exc


def _record_failure(uow: UnitOfWork, reference: str, actor: str, exc: ScriptError) -> None:
    """Keep a trace of a failed action in the audit trail, in a transaction of its own."""
    with uow.database.unit_of_work() as failure_uow:
        instance = failure_uow.session.scalar(
            select(Instance).where(Instance.reference == reference)
        )
        if instance is None:  # the instance itself was being created: nothing to attach to
            return
        audit.append(
            failure_uow.session,
            instance,
            "error",
            actor,
            element_id=exc.element_id,
            element_name=exc.element_name,
            data={"message": str(exc)},
        )
        failure_uow.commit()


def _commit(uow: UnitOfWork) -> None:
    try:
        uow.commit()
    except StaleDataError as exc:
        raise ConcurrentUpdate(
            "someone else changed this complaint at the same time; reload it and try again"
        ) from exc
    except IntegrityError as exc:
        raise ConcurrentUpdate(
            f"the change conflicts with another one made at the same time "
            f"({exc.orig}); reload and try again"
        ) from exc
    except OperationalError as exc:
        if "locked" in str(exc).lower():
            raise ConcurrentUpdate(
                "the database was busy with a conflicting change; reload and try again"
            ) from exc
        raise
