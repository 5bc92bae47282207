"""The task page: the complaint, the task's form, and claiming or releasing a task."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from engine import services
from engine.errors import InvalidInput, TaskAlreadyClaimed
from engine.forms import FormDefinition, FormField, localized
from webui import database
from webui.auth import role_required, safe_next
from webui.formatting import LANGUAGE

bp = Blueprint("tasks", __name__, url_prefix="/tasks")

WORKERS = ("agent", "supervisor", "quality")
RADIOS_UP_TO = 4  # a choice with more options than this is a drop-down list

#: French templates of engine.forms.MESSAGES, by code (same placeholders).
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


@dataclass
class FieldView:
    """One form field as the template draws it: French texts, entered value, errors."""

    field: FormField
    label: str
    help: str
    value: Any
    errors: list[str] = field(default_factory=list)
    choices: list[tuple[str, str]] = field(default_factory=list)

    @property
    def widget(self) -> str:
        if self.field.type == "choice":
            return "radios" if len(self.choices) <= RADIOS_UP_TO else "select"
        return self.field.type


@bp.route("/<task_id>", methods=["GET", "POST"])
@role_required(*WORKERS)
def show(task_id: str):
    uow = database().unit_of_work
    context = services.task_form_context(
        task_id, uow(read_only=True), with_data=request.method == "GET"
    )
    task, form = context["task"], context["form"]
    if not current_user.may_work_in(task.lane):
        abort(403)
    if request.method == "GET":
        values = _initial_values(form, context["data"])
        return _render(task, form, values, {})
    submitted = request.form.copy()
    submitted.pop("csrf_token", None)
    try:
        services.complete_task(task_id, submission(form, submitted), current_user.username, uow())
    except InvalidInput as error:
        return _render(task, form, _entered_values(form, submitted), error.errors), 422
    flash(f"Tâche « {task.name} » terminée pour le dossier {task.reference}.", "success")
    return redirect(url_for("inbox.home"))


@bp.post("/<task_id>/claim")
@role_required(*WORKERS)
def claim(task_id: str):
    uow = database().unit_of_work
    try:
        task = services.claim_task(task_id, current_user.username, uow())
    except TaskAlreadyClaimed:
        holder = services.get_task(task_id, uow(read_only=True)).assignee
        flash(f"Trop tard : cette tâche vient d'être prise par {holder}.", "error")
    else:
        flash(f"Vous avez pris la tâche « {task.name} » ({task.reference}).", "success")
    return redirect(safe_next(request.form.get("next")))


@bp.post("/<task_id>/release")
@role_required(*WORKERS)
def release(task_id: str):
    task = services.release_task(task_id, current_user.username, database().unit_of_work())
    flash(f"La tâche « {task.name} » ({task.reference}) est remise dans la file.", "success")
    return redirect(safe_next(request.form.get("next")))


def submission(form: FormDefinition | None, submitted: MultiDict) -> dict[str, Any]:
    """The form's values as the engine expects them: lists for multi-valued fields only."""
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


def _initial_values(form: FormDefinition | None, data: Mapping[str, Any]) -> dict[str, Any]:
    if form is None:
        return {}
    keys = set(form.keys())
    values = {**form.defaults(), **{k: v for k, v in data.items() if k in keys}}
    return {key: _as_input(form.field(key), value) for key, value in values.items()}


def _entered_values(form: FormDefinition | None, submitted: MultiDict) -> dict[str, Any]:
    if form is None:
        return {}
    return {
        f.key: submitted.getlist(f.key) if f.type == "multi_choice" else submitted.get(f.key, "")
        for f in form.fields
    }


def _as_input(f: FormField, value: Any) -> Any:
    """A stored value as an HTML input shows it."""
    if value is None:
        return ""
    if f.type == "yes_no" and isinstance(value, bool):
        return "yes" if value else "no"
    if f.type == "multi_choice":
        return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _french(messages: list) -> list[str]:
    return [m.translate(FRENCH_MESSAGES) if hasattr(m, "translate") else str(m) for m in messages]


def _render(task, form, values: dict[str, Any], errors: Mapping[str, list]):
    fields = []
    if form is not None:
        for f in form.fields:
            fields.append(
                FieldView(
                    field=f,
                    label=localized(f.label, LANGUAGE),
                    help=localized(f.help, LANGUAGE),
                    value=values.get(f.key, [] if f.type == "multi_choice" else ""),
                    errors=_french(errors.get(f.key, [])),
                    choices=[(c.value, localized(c.label, LANGUAGE)) for c in f.choices],
                )
            )
    keys = {f.key for f in form.fields} if form is not None else set()
    general = [m for key, msgs in errors.items() if key not in keys for m in _french(msgs)]
    return render_template(
        "task.html",
        task=task,
        form=form,
        fields=fields,
        general_errors=general,
        has_errors=bool(errors),
        mine=task.assignee in (None, current_user.username),
    )
