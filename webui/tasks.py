"""The task page: the complaint, the customer's history, the task's form; claiming, releasing
and (for supervisors) handing a task to someone else."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import services
from engine.errors import InvalidInput, NotAllowed, TaskAlreadyClaimed
from engine.forms import FormValidationError
from engine.services import documents
from webui import database
from webui.arguments import safe_next
from webui.auth import role_required
from webui.formatting import Vocabulary, instructions
from webui.forms import accepted_submission, form_view

bp = Blueprint("tasks", __name__, url_prefix="/tasks")

WORKERS = ("agent", "supervisor", "quality")


@bp.route("/<task_id>", methods=["GET", "POST"])
@role_required(*WORKERS)
def show(task_id: str):
    uow = database().unit_of_work
    submitted = request.method == "POST"  # GET and HEAD only read the page
    actor = current_user.username
    context = services.task_form_context(task_id, actor, uow(read_only=True), not submitted)
    task, form = context["task"], context["form"]
    if not submitted:
        return _render(context, context["data"], {})
    entered = request.form.copy()
    entered.pop("csrf_token", None)
    try:
        with accepted_submission(form, entered, request.files) as (data, received):
            services.complete_task(task_id, data, actor, uow(), documents_received=received)
    except (InvalidInput, FormValidationError) as error:
        context = services.task_form_context(task_id, actor, uow(read_only=True))
        return _render(context, entered, dict(error.errors), entered=True), 422
    flash(
        _(
            "Tâche « %(task)s » terminée pour le dossier %(reference)s.",
            task=task.name,
            reference=task.reference,
        ),
        "success",
    )
    return redirect(url_for("inbox.home"))


@bp.post("/<task_id>/claim")
@role_required(*WORKERS)
def claim(task_id: str):
    uow = database().unit_of_work
    try:
        task = services.claim_task(task_id, current_user.username, uow())
    except TaskAlreadyClaimed:
        holder = services.get_task(task_id, uow(read_only=True)).assignee
        flash(
            _("Trop tard : cette tâche vient d'être prise par %(holder)s.", holder=holder), "error"
        )
    else:
        flash(
            _(
                "Vous avez pris la tâche « %(task)s » (%(reference)s).",
                task=task.name,
                reference=task.reference,
            ),
            "success",
        )
    return redirect(safe_next(request.form.get("next")))


@bp.post("/<task_id>/release")
@role_required(*WORKERS)
def release(task_id: str):
    task = services.release_task(task_id, current_user.username, database().unit_of_work())
    flash(
        _(
            "La tâche « %(task)s » (%(reference)s) est remise dans la file.",
            task=task.name,
            reference=task.reference,
        ),
        "success",
    )
    return redirect(safe_next(request.form.get("next")))


@bp.route("/<task_id>/reassign", methods=["GET", "POST"])
@role_required("supervisor")
def reassign(task_id: str):
    """A supervisor hands the task to someone who works in its lane."""
    uow = database().unit_of_work
    task = services.get_task(task_id, uow(read_only=True))
    if not current_user.may_supervise(task.lane):
        abort(403)
    people = services.people_for_lane(task.lane, uow(read_only=True))
    back = safe_next(request.values.get("next") or url_for("tasks.show", task_id=task_id))
    error = None
    if request.method == "POST":
        assignee = request.form.get("assignee", "")
        if assignee not in {p.username for p in people}:
            error = _("Choisissez une personne dans la liste.")
        else:
            try:
                services.reassign_task(task_id, assignee, current_user.username, uow())
            except NotAllowed:
                error = _("Cette personne ne travaille pas dans la file de cette tâche.")
            else:
                name = next(p.display_name for p in people if p.username == assignee)
                flash(
                    _(
                        "La tâche « %(task)s » (%(reference)s) est confiée à %(person)s.",
                        task=task.name,
                        reference=task.reference,
                        person=name,
                    ),
                    "success",
                )
                return redirect(back)
    return render_template(
        "reassign.html", task=task, people=people, error=error, back=back
    ), 422 if error else 200


def workable_tasks(tasks: Iterable[services.TaskView]) -> set[str]:
    """The ids of the tasks the current user may open (a link to the task page)."""
    if not current_user.works_tasks:
        return set()
    return {t.id for t in tasks if current_user.may_work_in(t.lane)}


def _render(
    context: services.TaskForm,
    values: Mapping[str, Any],
    errors: Mapping[str, list],
    entered: bool = False,
):
    task, form = context["task"], context["form"]
    uow = database().unit_of_work
    sent = documents.list_for(task.reference, uow(read_only=True))
    vocabulary = Vocabulary(services.form_definitions(uow(read_only=True), task.reference))
    history = services.customer_complaints(
        task.summary.get("customer_email"), uow(read_only=True), exclude=task.reference
    )
    return render_template(
        "task.html",
        task=task,
        summary=vocabulary.facts(task.summary, services.SUMMARY_KEYS),
        instructions=instructions(context.get("instructions"), context["data"], vocabulary),
        documentation=context.get("documentation"),
        documents=sent,
        history=history,
        words=vocabulary,
        mine=task.assignee in (None, current_user.username),
        supervising=current_user.may_supervise(task.lane),
        **form_view(form, values, errors, entered, {d.id: d.filename for d in sent}),
    )
