"""Forms on screen: a form definition drawn with its values and errors, what a browser sent
turned into the data a use case takes, and the files sent with it received (checked and
staged) so that the use case saves them with its own action."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage, MultiDict

from engine.errors import InvalidInput
from engine.forms import (
    MESSAGES,
    FormDefinition,
    FormField,
    localized,
    validate_submission,
)
from engine.services import documents
from engine.services.documents import ReceivedDocument
from webui import database
from webui.i18n import current_language

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


@contextmanager
def accepted_submission(
    form: FormDefinition | None, entered: MultiDict, files: MultiDict
) -> Iterator[tuple[dict[str, Any], list[ReceivedDocument]]]:
    """What an HTML form sent, as (data for the use case, documents received with it).

    The files are received only once the other fields are valid, so a form sent back for
    correction receives nothing; their ids are in the data. Hand the documents to the use
    case inside the ``with`` block: it saves them with its action, and whatever it did not
    keep is removed on the way out. Raises FormValidationError or InvalidInput (by field).
    """
    data = submission(form, entered)
    received: list[ReceivedDocument] = []
    try:
        if form is not None and any(f.type == "file" for f in form.fields):
            file_keys = {f.key for f in form.fields if f.type == "file"}
            others = FormDefinition(form.name, form.title, form.description, _without_files(form))
            validate_submission(others, {k: v for k, v in data.items() if k not in file_keys})
            data.update(_received_files(form, files, data, received))
        yield data, received
    finally:
        documents.discard(received)


def _received_files(
    form: FormDefinition,
    files: MultiDict,
    data: Mapping[str, Any],
    received: list[ReceivedDocument],
) -> dict[str, Any]:
    """Receive the files sent for each file field into ``received``; returns the fields' ids,
    kept ones first."""
    ids_by_field: dict[str, Any] = {}
    settings = database().settings
    for f in form.fields:
        uploads = [u for u in files.getlist(f.key) if isinstance(u, FileStorage) and u.filename]
        if f.type != "file" or not uploads:
            continue
        kept = data.get(f.key) or []
        ids = list(kept) if isinstance(kept, list) else [kept]
        for upload in uploads:
            try:
                document = documents.receive(upload.stream, upload.filename or "", settings)
            except InvalidInput as error:
                raise InvalidInput(str(error), {f.key: [_upload_refused(error, upload)]}) from error
            received.append(document)
            ids.append(document.id)
        ids_by_field[f.key] = ids if f.multiple else ids[-1]
    return ids_by_field


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
