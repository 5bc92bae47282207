"""The complaint file: where a complaint stands, what waits on it and what happened so far."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from engine import services
from webui import database
from webui.auth import role_required

bp = Blueprint("complaints", __name__, url_prefix="/complaints")


@bp.get("/<reference>")
@role_required("agent", "supervisor", "quality", "auditor")
def show(reference: str):
    uow = database().unit_of_work
    instance = services.get_instance(reference, uow(read_only=True))
    tasks = services.list_tasks(uow(read_only=True), reference=reference)
    return render_template(
        "complaint.html",
        instance=instance,
        tasks=tasks,
        workable={
            t.id for t in tasks if current_user.works_tasks and current_user.may_work_in(t.lane)
        },
        timers=services.instance_timers(reference, uow(read_only=True)),
        history=services.instance_history(reference, uow(read_only=True)),
    )


def _workable(tasks: list[services.TaskView]) -> set[str]:
    """The tasks the current user may open (a link to the task page)."""
    if not current_user.works_tasks:
        return set()
    return {t.id for t in tasks if current_user.may_work_in(t.lane)}
