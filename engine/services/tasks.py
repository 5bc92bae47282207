"""Tasks: the lists people work from, and claiming, releasing, reassigning and completing one.

Who may act is the runtime's check (:mod:`engine.runtime.access`), made by every action:
screens only hide what a person may not do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

from sqlalchemy import Select, func, or_, select, update

from engine import clock
from engine.bpmn.workflow import to_json_safe
from engine.db.models import HumanTask, Instance
from engine.errors import InvalidInput, NotAllowed, TaskAlreadyClaimed
from engine.forms import FormDefinition
from engine.runtime import (
    SYSTEM_ACTOR,
    InstanceView,
    TaskView,
    UnitOfWork,
    active_user,
    complete_ready_task,
    documents,
    form_of,
    instance_view,
    lane_filter,
    lanes_of,
    load_task,
    require_lane,
    require_supervisor,
    restore_workflow,
    role_named,
    supervises,
    task_row_view,
    task_view,
)
from engine.runtime.documents import ReceivedDocument

AGENT_SOURCE = "agent"  # documents staff send with a task's form


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


class TaskForm(TypedDict):
    """What a task page needs: the task, its form and the data it starts from.

    ``documentation`` is the diagram's documentation of the task; ``instructions`` its
    instructions for the person doing it (a template over the task data, as written).
    """

    task: TaskView
    form: FormDefinition | None
    data: dict[str, Any]
    documentation: str | None
    instructions: str | None


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
            _task_query(uow, task_filter, HumanTask.id)
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
            task_row_view(task, ref, stage, summary)
            for task, ref, stage, summary in uow.session.execute(query)
        ]


def count_tasks(uow: UnitOfWork, task_filter: TaskFilter) -> int:
    """How many ready tasks ``list_tasks`` would give for the same filter, without a limit."""
    with uow:
        return uow.session.scalar(_task_query(uow, task_filter, func.count())) or 0


def _task_query(uow: UnitOfWork, task_filter: TaskFilter, *columns: Any) -> Select[Any]:
    """``columns`` of the ready tasks that ``task_filter`` keeps; complaints are joined only
    when the filter looks at them (a reference or a search)."""
    query = select(*columns).select_from(HumanTask)
    if task_filter.reference is not None or task_filter.search:
        query = query.join(Instance, HumanTask.instance_id == Instance.id)
    if task_filter.role is not None:
        query = query.where(lane_filter(role_named(uow, task_filter.role).lanes))
    if task_filter.user is not None:
        lanes = lanes_of(uow, active_user(uow, task_filter.user))
        query = query.where(
            or_(
                HumanTask.assignee == task_filter.user,
                lane_filter(lanes) & HumanTask.assignee.is_(None),
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
        return task_view(*load_task(uow, task_id))


def claim_task(task_id: str, actor: str, uow: UnitOfWork) -> TaskView:
    """Take a task for yourself; a conditional update, so two agents cannot both get it."""
    with uow:
        task, instance = load_task(uow, task_id, lock=True)
        require_lane(uow, actor, task)
        claimed = uow.session.execute(
            update(HumanTask)
            .where(HumanTask.id == task_id, HumanTask.assignee.is_(None))
            .values(assignee=actor, claimed_at=clock.now())
        ).rowcount
        uow.session.refresh(task)
        if not claimed:
            if task.assignee == actor:
                return task_view(task, instance)
            raise TaskAlreadyClaimed(f"task '{task.name}' is already claimed by {task.assignee}")
        return _record_assignment(uow, task, instance, "task_claimed", actor)


def release_task(task_id: str, actor: str, uow: UnitOfWork) -> TaskView:
    """Give a claimed task back to its lane: its assignee may, or a supervisor of the lane."""
    with uow:
        task, instance = load_task(uow, task_id, lock=True)
        require_lane(uow, actor, task)
        if task.assignee != actor:
            require_supervisor(
                uow,
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
        task, instance = load_task(uow, task_id, lock=True)
        require_supervisor(
            uow,
            actor,
            task,
            f"only a supervisor of the {task.lane} lane can reassign task '{task.name}'",
        )
        require_lane(uow, assignee, task)
        previous = task.assignee
        task.assignee, task.claimed_at = assignee, clock.now()
        return _record_assignment(
            uow, task, instance, "task_reassigned", actor, {"from": previous, "to": assignee}
        )


def _record_assignment(
    uow: UnitOfWork,
    task: HumanTask,
    instance: Instance,
    kind: str,
    actor: str,
    data: dict[str, Any] | None = None,
) -> TaskView:
    uow.record(
        instance,
        kind,
        actor,
        process_id=task.process_id,
        element_id=task.bpmn_id,
        element_name=task.name,
        data=data,
    )
    instance.updated_at = clock.now()
    uow.commit()
    return task_view(task, instance)


def task_form_context(
    task_id: str, actor: str, uow: UnitOfWork, with_data: bool = True
) -> TaskForm:
    """What a task page needs, for ``actor``, who must work in the task's lane.

    ``with_data=False`` skips restoring the workflow (a form being submitted needs only the
    task and its form); ``data`` is then empty and the two texts None.
    """
    with uow:
        task, instance = load_task(uow, task_id)
        require_lane(uow, actor, task)
        form = form_of(instance.process_version, task.form) if task.form else None
        data: dict[str, Any] = {}
        documentation = instructions = None
        if with_data:
            running = restore_workflow(uow, instance, SYSTEM_ACTOR)
            data = to_json_safe(running.task_data(task_id))
            info = next((t for t in running.human_tasks() if t.id == task.id), None)
            if info is not None:
                documentation, instructions = info.documentation, info.instructions
        return TaskForm(
            task=task_view(task, instance),
            form=form,
            data=data,
            documentation=documentation,
            instructions=instructions,
        )


def complete_task(
    task_id: str,
    data: Mapping[str, Any],
    actor: str,
    uow: UnitOfWork,
    documents_received: Sequence[ReceivedDocument] = (),
) -> InstanceView:
    """Submit a task's form and move the complaint forward until it waits again.

    ``documents_received`` are the files sent with the form (their ids are in ``data``): they
    are saved in the same transaction, so a refused or failed submission keeps none of them.
    """
    with uow:
        task, instance = load_task(uow, task_id, lock=True)
        require_lane(uow, actor, task)
        if task.assignee not in (None, actor):
            raise NotAllowed(
                f"task '{task.name}' is assigned to {task.assignee}; "
                + (
                    "release it or reassign it to yourself first"
                    if supervises(uow, actor, task)
                    else f"ask a supervisor of the {task.lane} lane to reassign it"
                )
            )
        for received in documents_received:
            documents.attach(uow, received, AGENT_SOURCE, actor)
        complete_ready_task(uow, task, instance, data, actor)
        uow.commit()
        return instance_view(instance)
