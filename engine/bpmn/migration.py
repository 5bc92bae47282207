"""Moving a running workflow to another version: what stops it (an element it has reached that
changed or disappeared), as SpiffWorkflow's diff of the workflow against the new specs tells."""

from __future__ import annotations

from dataclasses import dataclass

from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn.util.diff import filter_tasks

from engine.bpmn.failures import owner_id
from engine.bpmn.serialization import SERIALIZER


@dataclass(frozen=True)
class MigrationConflict:
    """One reason a running workflow cannot move to another version.

    ``change`` is ``changed``, ``removed`` or ``replaced`` (an element the workflow has
    reached, in ``state``; a replaced one was matched to another element, named in
    ``attributes``), or ``process_removed`` (the process is missing from the version).
    """

    process_id: str
    element_id: str | None
    element_name: str | None
    state: str  # completed, started, ready, waiting, error; "" for a whole process
    change: str
    attributes: tuple[str, ...] = ()


#: Tasks in these states block a migration when their element changed or was removed.
_REACHED = (
    TaskState.COMPLETED | TaskState.STARTED | TaskState.READY | TaskState.WAITING | TaskState.ERROR
)


def reached_conflicts(process_id: str, diff) -> list[MigrationConflict]:
    """The reached tasks of one workflow diff whose element changed or was removed."""
    removed = {task.id for task in diff.removed}
    conflicts = []
    for task in filter_tasks(diff.changed + diff.removed, state=_REACHED):
        spec = task.task_spec
        new_spec = None if task.id in removed else diff.alignment.get(task)
        if new_spec is None:
            change, attributes = "removed", ()
        elif new_spec.name != spec.name:  # matched by its place in the flow, not by its id
            change, attributes = "replaced", (new_spec.bpmn_id or new_spec.name,)
        else:
            change, attributes = "changed", _changed_attributes(spec, new_spec)
        conflicts.append(
            MigrationConflict(
                process_id,
                spec.bpmn_id or owner_id(spec),
                spec.bpmn_name if spec.bpmn_id else None,
                TaskState.get_name(task.state).lower(),
                change,
                attributes,
            )
        )
    return conflicts


def _changed_attributes(old_spec, new_spec) -> tuple[str, ...]:
    old = SERIALIZER.registry.convert(old_spec)
    new = SERIALIZER.registry.convert(new_spec)
    return tuple(sorted(key for key in old.keys() | new.keys() if old.get(key) != new.get(key)))
