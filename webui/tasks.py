"""The task page: the complaint, the customer's history, the task's form; claiming, releasing
and (for supervisors) handing a task to someone else."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.datastructures import FileStorage, MultiDict

from engine.errors import InvalidInput, NotAllowed, TaskAlreadyClaimed
from engine.forms.definitions import (
    MESSAGES,
    FormDefinition,
    FormField,
    FormValidationError,
    localized,
    validate_submission,
)
from engine.runtime import documents as attachments
from engine.services import accounts
from engine.services import complaints as services
from webui import database
from webui.auth import role_required, safe_next
from webui.formatting import Vocabulary, instructions
from webui.i18n import current_language

bp = Blueprint("tasks", __name__, url_prefix="/tasks")

WORKERS = ("agent", "supervisor", "quality")
RADIOS_UP_TO = 4  # a choice with more options than this is a drop-down list

#: French templates of engine.forms.definitions.MESSAGES, by code (same placeholders).
FRENCH_MESSAGES = {
    "required": "Ce champ est obligatoire.",
    "unknown": "Champ inconnu.",
    "readonly": "Ce champ est en lecture seule.",
    "invalid_input": "Le formulaire envoyé n'est pas valide.",
    "text": "Texte non valide.",
    "min_length": "Au moins {min} caractères.",
    "max_length": "Au plus {max} caractères.",
    "pattern": "Le format attendu n'est pas respecté.",
    "choice": "Ce choix n'est pas proposé.",
    "choice_list": "Liste de choix non valide.",
    "min_items": "Cochez au moins {min} option(s).",
    "max_items": "Cochez au plus {max} option(s).",
    "yes_no": "Répondez par oui ou par non.",
    "number": "Nombre non valide.",
    "integer": "Un nombre entier est attendu.",
    "min_value": "Au moins {min}.",
    "max_value": "Au plus {max}.",
    "money": "Montant non valide (par exemple 30.00).",
    "money_places": "Au plus 2 chiffres après la virgule.",
    "date": "Date non valide (AAAA-MM-JJ).",
    "min_date": "Le {min} ou après.",
    "max_date": "Le {max} ou avant.",
    "file": "Identifiant de pièce jointe non valide.",
    "file_list": "Liste de pièces jointes non valide.",
    "file_single": "Une seule pièce jointe est permise.",
    "max_files": "Au plus {max} pièce(s) jointe(s).",
}
#: Why an upload was refused (codes of engine.runtime.documents.store).
UPLOAD_MESSAGES = {
    "too_large": _l("« %(name)s » est trop volumineux (%(limit)s Mo au plus)."),
    "empty": _l("« %(name)s » est vide."),
    "type": _l(
        "« %(name)s » n'est pas d'un type accepté (PDF, images, documents bureautiques, texte)."
    ),
}


@dataclass
class FieldView:
    """One form field as the template draws it: texts, entered value, errors."""

    field: FormField
    label: str
    help: str
    value: Any
    errors: list[str] = field(default_factory=list)
    choices: list[tuple[str, str]] = field(default_factory=list)
    files: list[tuple[str, str]] = field(default_factory=list)  # (id, name) already joined

    @property
    def widget(self) -> str:
        if self.field.type == "choice":
            return "radios" if len(self.choices) <= RADIOS_UP_TO else "select"
        return self.field.type


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
        data = accept_submission(form, entered, request.files, actor)
        services.complete_task(task_id, data, actor, uow())
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
    people = accounts.people_for_lane(task.lane, uow(read_only=True))
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


# --- forms: what was entered, uploads, and how a form is drawn ------------------------------------


def submission(form: FormDefinition | None, submitted: MultiDict) -> dict[str, Any]:
    """The form's values as the engine expects them: lists for multi-valued fields only.

    A file field sends the ids of the documents already joined (one checkbox each) that the
    person keeps; new files come with :func:`accept_submission`.
    """
    if form is None:
        return {}
    data: dict[str, Any] = {}
    for f in form.fields:
        if f.readonly or f.key not in submitted:
            continue
        values = submitted.getlist(f.key)
        if f.type == "multi_choice":
            data[f.key] = values
        elif f.type == "file" and f.multiple:
            data[f.key] = [part for v in values for part in re.split(r"[\s,;]+", v) if part]
        else:
            data[f.key] = values[0]
    return data


def accept_submission(
    form: FormDefinition | None, entered: MultiDict, files: MultiDict, actor: str
) -> dict[str, Any]:
    """What an HTML form sent, with its new files stored: the data to hand to the engine.

    Files are stored only once the other fields are valid, so a form sent back for
    correction leaves nothing behind. Raises FormValidationError or InvalidInput (by field).
    """
    data = submission(form, entered)
    if form is None:
        return data
    file_keys = {f.key for f in form.fields if f.type == "file"}
    if file_keys:
        others = FormDefinition(form.name, form.title, form.description, _without_files(form))
        validate_submission(others, {k: v for k, v in data.items() if k not in file_keys})
    return {**data, **store_uploads(form, files, data, "agent", actor)}


def store_uploads(
    form: FormDefinition, files: MultiDict, data: Mapping[str, Any], source: str, actor: str
) -> dict[str, Any]:
    """Store the files sent for each file field; returns the fields' ids, kept ones first."""
    stored: dict[str, Any] = {}
    for f in form.fields:
        uploads = [u for u in files.getlist(f.key) if isinstance(u, FileStorage) and u.filename]
        if f.type != "file" or not uploads:
            continue
        kept = data.get(f.key) or []
        ids = list(kept) if isinstance(kept, list) else [kept]
        for upload in uploads:
            try:
                view = attachments.store(
                    upload.stream, upload.filename, source, actor, database().unit_of_work()
                )
            except InvalidInput as error:
                raise InvalidInput(str(error), {f.key: [_upload_refused(error, upload)]}) from error
            ids.append(view.id)
        stored[f.key] = ids if f.multiple else ids[-1]
    return stored


def _upload_refused(error: InvalidInput, upload: FileStorage) -> str:
    limit = database().settings.max_upload_bytes / (1024 * 1024)
    template = UPLOAD_MESSAGES.get(error.code)
    return (
        str(template) % {"name": upload.filename, "limit": f"{limit:g}"} if template else str(error)
    )


def _without_files(form: FormDefinition) -> tuple[FormField, ...]:
    return tuple(f for f in form.fields if f.type != "file")


def form_view(
    form: FormDefinition | None,
    values: Mapping[str, Any] | MultiDict,
    errors: Mapping[str, list],
    entered: bool = False,
    filenames: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """What ``_fields.html`` needs to draw ``form``: its fields with values and errors.

    ``values`` are stored data (``entered=False``: defaults fill the gaps) or what was just
    sent (a MultiDict).
    """
    if form is None:
        return {"form": None, "fields": [], "general_errors": [], "has_errors": bool(errors)}
    values = _entered_values(form, values) if entered else _initial_values(form, values)
    language, filenames = current_language(), filenames or {}
    fields = [
        FieldView(
            field=f,
            label=localized(f.label, language),
            help=localized(f.help, language),
            value=values.get(f.key, [] if f.type == "multi_choice" else ""),
            errors=in_language(errors.get(f.key, [])),
            choices=[(c.value, localized(c.label, language)) for c in f.choices],
            files=[(i, filenames.get(i, i)) for i in _ids(values.get(f.key))]
            if f.type == "file"
            else [],
        )
        for f in form.fields
    ]
    keys = set(form.keys())
    general = [m for key, msgs in errors.items() if key not in keys for m in in_language(msgs)]
    return {"form": form, "fields": fields, "general_errors": general, "has_errors": bool(errors)}


def _ids(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [part for part in re.split(r"[\s,;]+", str(value)) if part]


def _initial_values(form: FormDefinition, data: Mapping[str, Any]) -> dict[str, Any]:
    keys = set(form.keys())
    values = {**form.defaults(), **{k: v for k, v in data.items() if k in keys}}
    return {key: _as_input(form.field(key), value) for key, value in values.items()}


def _entered_values(form: FormDefinition, submitted: MultiDict) -> dict[str, Any]:
    return {
        f.key: submitted.getlist(f.key)
        if f.type in ("multi_choice", "file")
        else submitted.get(f.key, "")
        for f in form.fields
    }


def _as_input(f: FormField, value: Any) -> Any:
    """A stored value as an HTML input shows it."""
    if value is None:
        return ""
    if f.type == "yes_no" and isinstance(value, bool):
        return "yes" if value else "no"
    if f.type in ("multi_choice", "file"):
        return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def in_language(messages: Iterable) -> list[str]:
    """Validation messages in the reader's language (the engine words them in English)."""
    templates = MESSAGES if current_language() == "en" else FRENCH_MESSAGES
    return [m.translate(templates) if hasattr(m, "translate") else str(m) for m in messages]


def workable_tasks(tasks: Iterable[services.TaskView]) -> set[str]:
    """The ids of the tasks the current user may open (a link to the task page)."""
    if not current_user.works_tasks:
        return set()
    return {t.id for t in tasks if current_user.may_work_in(t.lane)}


def _render(context: dict, values: Mapping[str, Any], errors: Mapping[str, list], entered=False):
    task, form = context["task"], context["form"]
    uow = database().unit_of_work
    documents = attachments.list_for(task.reference, uow(read_only=True))
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
        documents=documents,
        history=history,
        words=vocabulary,
        mine=task.assignee in (None, current_user.username),
        supervising=current_user.may_supervise(task.lane),
        **form_view(form, values, errors, entered, {d.id: d.filename for d in documents}),
    )
