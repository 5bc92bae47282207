"""Moving running complaints to another version: the dry run (each complaint and whether it
can move), then one transaction per complaint, each checked again as it moves; a move back is
a revert. SpiffWorkflow's diff says what a complaint has reached that changed."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn.workflow import MigrationConflict, RunningWorkflow, ScriptError
from engine.db.models import AuditEvent, HumanTask, Instance, ProcessVersion
from engine.errors import (
    ConcurrentUpdate,
    DoleanceError,
    InvalidInput,
)
from engine.problems import Wording
from engine.runtime import (
    FORMS_PREFIX,
    SYSTEM_ACTOR,
    UnitOfWork,
    library_of,
    load_complaint,
    restore_workflow,
    save_run,
    script_helpers,
    version_numbered,
)
from engine.services.studio.changes import FileChange
from engine.services.studio.versions import diff_files

MIGRATED = "instance_migrated"


class MigrationRefused(DoleanceError):
    """A complaint cannot move to the version asked for; ``reasons`` says why."""

    def __init__(self, message: str, reasons: Sequence[Reason]):
        super().__init__(message)
        self.reasons = list(reasons)


@dataclass(frozen=True)
class Reason:
    """Why one complaint cannot move. ``code``: element_changed, element_removed,
    element_replaced (by the element in ``attributes``), process_removed, form_changed,
    not_running, not_on_version, failed."""

    code: str
    process_id: str | None = None
    element_id: str | None = None
    element_name: str | None = None
    state: str | None = None
    attributes: tuple[str, ...] = ()
    message: str | None = None
    version: int | None = None


@dataclass(frozen=True)
class Candidate:
    reference: str
    process_id: str
    stage: str | None
    summary: dict
    reasons: list[Reason] = field(default_factory=list)

    @property
    def movable(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class MigrationPlan:
    source: int
    target: int
    revert: bool
    candidates: list[Candidate]
    changes: list[FileChange]  # from the source version's files to the target's

    @property
    def movable(self) -> list[Candidate]:
        return [c for c in self.candidates if c.movable]

    @property
    def refused(self) -> list[Candidate]:
        return [c for c in self.candidates if not c.movable]


@dataclass(frozen=True)
class MigrationReport:
    source: int
    target: int
    revert: bool
    moved: list[str]
    refused: list[Candidate]


def plan_migration(
    source: int, target: int, uow: UnitOfWork, revert: bool = False
) -> MigrationPlan:
    """The dry run: each running complaint of version ``source``, and whether it can move.

    With ``revert``, only the complaints that were migrated from ``target`` to ``source``
    are listed (moving them back is the revert); the same checks apply.
    """
    if source == target:
        raise InvalidInput(Wording("same_versions"))
    with uow:
        session = uow.session
        old, new = version_numbered(uow, source), version_numbered(uow, target)
        candidates = [
            Candidate(
                instance.reference,
                instance.process_id,
                instance.stage,
                dict(instance.summary or {}),
                _reasons(session, uow, instance, new),
            )
            for instance in _instances_to_move(session, old, new, revert)
        ]
        return MigrationPlan(source, target, revert, candidates, diff_files(old.files, new.files))


def migrate_complaints(
    source: int,
    target: int,
    actor: str,
    new_uow: Callable[[], UnitOfWork],
    revert: bool = False,
) -> MigrationReport:
    """Move every complaint of the plan that can move, one transaction per complaint.

    Each complaint is locked and checked again as it moves; one that cannot is reported and
    left as it was. Each move is recorded in the complaint's audit trail (instance_migrated).
    """
    plan = plan_migration(source, target, new_uow(read_only=True), revert)
    moved, refused = [], list(plan.refused)
    for candidate in plan.movable:
        try:
            migrate_complaint(candidate.reference, source, target, actor, new_uow(), revert)
        except MigrationRefused as exc:
            refused.append(dataclasses.replace(candidate, reasons=exc.reasons))
        except ConcurrentUpdate as exc:
            failure = Reason("failed", message=str(exc))
            refused.append(dataclasses.replace(candidate, reasons=[failure]))
        else:
            moved.append(candidate.reference)
    return MigrationReport(source, target, revert, moved, refused)


def migrate_complaint(
    reference: str, source: int, target: int, actor: str, uow: UnitOfWork, revert: bool = False
) -> None:
    """Move one complaint from version ``source`` to ``target`` when it is safe, or refuse."""
    with uow:
        session = uow.session
        instance = load_complaint(uow, reference, lock=True)
        new = version_numbered(uow, target)
        current = instance.process_version.number
        if current != source:
            raise MigrationRefused(
                f"{reference} is on version {current}, not {source}",
                [Reason("not_on_version", version=current)],
            )
        try:
            running = restore_workflow(uow, instance, actor)
            reasons = _reasons(session, uow, instance, new, running)
            if reasons:
                raise MigrationRefused(f"{reference} cannot move to version {target}", reasons)
            instance.version_id, instance.process_version = new.id, new
            helpers = script_helpers(uow, instance, actor)
            running.migrate(library_of(new), helpers)
            events = running.run()
        except ScriptError as exc:
            failure = Reason(
                "failed",
                element_id=exc.element_id,
                element_name=exc.element_name,
                message=str(exc),
            )
            raise MigrationRefused(
                f"{reference} cannot move to version {target}", [failure]
            ) from exc
        uow.record(
            instance,
            MIGRATED,
            actor,
            process_id=instance.process_id,
            data={"from": source, "to": target, "revert": revert, "content_hash": new.content_hash},
        )
        save_run(uow, instance, running, events, actor)
        uow.commit()


def _instances_to_move(
    session: Session, old: ProcessVersion, new: ProcessVersion, revert: bool
) -> list[Instance]:
    running = list(
        session.scalars(
            select(Instance)
            .where(Instance.version_id == old.id, Instance.status == "running")
            .order_by(Instance.id)
        )
    )
    if not revert:
        return running
    last_moves = {}
    for event in session.scalars(
        select(AuditEvent)
        .where(AuditEvent.kind == MIGRATED, AuditEvent.chain.in_([i.reference for i in running]))
        .order_by(AuditEvent.chain, AuditEvent.seq)
    ):
        last_moves[event.chain] = event.data
    return [
        i
        for i in running
        if last_moves.get(i.reference, {}).get("from") == new.number
        and last_moves[i.reference].get("to") == old.number
    ]


def _reasons(
    session: Session,
    uow: UnitOfWork,
    instance: Instance,
    new: ProcessVersion,
    running: RunningWorkflow | None = None,
) -> list[Reason]:
    """Every reason the complaint cannot move to ``new`` (SpiffWorkflow's diff, then forms)."""
    if instance.status != "running":
        return [Reason("not_running", state=instance.status)]
    if running is None:
        running = restore_workflow(uow, instance, SYSTEM_ACTOR)
    reasons = [_reason(c) for c in running.migration_conflicts(library_of(new))]
    old_files = instance.process_version.files
    for task in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)):
        form = FORMS_PREFIX + task.form if task.form else None
        if form and old_files.get(form) != new.files.get(form):
            reasons.append(
                Reason(
                    "form_changed", task.process_id, task.bpmn_id, task.name, "ready", (task.form,)
                )
            )
    return reasons


def _reason(conflict: MigrationConflict) -> Reason:
    code = {
        "changed": "element_changed",
        "removed": "element_removed",
        "replaced": "element_replaced",
    }.get(conflict.change, "process_removed")
    return Reason(
        code,
        conflict.process_id,
        conflict.element_id,
        conflict.element_name,
        conflict.state,
        conflict.attributes,
    )
