"""The complaint file, its documents, and a complaint started by staff for a customer."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from engine import services
from engine.errors import InvalidInput, NotFound
from engine.forms import FormDefinition, FormValidationError, validate_submission
from engine.services import documents as attachments
from webui import database
from webui.auth import role_required
from webui.formatting import Vocabulary
from webui.forms import accepted_submission, form_view
from webui.tasks import workable_tasks
from webui.timeline import Timeline

bp = Blueprint("complaints", __name__, url_prefix="/complaints")
NAVIGATION = [("complaints.new", _l("Nouvelle réclamation"), ("agent", "supervisor"))]

READERS = ("agent", "supervisor", "quality", "auditor")
#: The form an agent fills to register a complaint received by phone, letter, e-mail or at the
#: counter, and the qualification fields the start page asks for as well (they prefill it).
REGISTRATION_FORM = "register_complaint.json"
QUALIFICATION_FORM = "qualify_complaint.json"
QUALIFICATION_KEYS = ("product", "category", "remedy_wanted")


@bp.get("/<reference>")
@role_required(*READERS)
def show(reference: str):
    uow = database().unit_of_work
    instance = services.get_instance(reference, uow(read_only=True))
    vocabulary = Vocabulary(services.form_definitions(uow(read_only=True), reference))
    everything = request.args.get("all") == "1"
    documents = attachments.list_for(reference, uow(read_only=True))
    tasks = services.list_tasks(uow(read_only=True), reference=reference)
    people = {u.username: u.display_name for u in services.list_users(uow(read_only=True))}
    timeline = Timeline(vocabulary, people)
    return render_template(
        "complaint.html",
        instance=instance,
        summary=vocabulary.facts(instance.summary, services.SUMMARY_KEYS),
        details=_details(
            services.instance_data(reference, uow(read_only=True)),
            vocabulary,
            {d.id: d.filename for d in documents},
            everything,
        ),
        tasks=tasks,
        workable=workable_tasks(tasks),
        clocks=services.instance_clocks(reference, uow(read_only=True)),
        timers=services.instance_timers(reference, uow(read_only=True)) if everything else [],
        documents=documents,
        messages=services.messages_for(reference, uow(read_only=True)),
        timeline=timeline.sentences(
            services.complaint_timeline(reference, uow(read_only=True), everything)
        ),
        everything=everything,
    )


@bp.get("/<reference>/documents/<attachment_id>")
@role_required(*READERS)
def document(reference: str, attachment_id: str):
    """A document of the complaint, always as a download (never shown inline)."""
    view = attachments.get(attachment_id, reference, database().unit_of_work(read_only=True))
    response = send_file(
        attachments.path_of(view, database().settings),
        mimetype=view.content_type,
        as_attachment=True,
        download_name=view.filename,
    )
    response.headers["Cache-Control"] = "private, no-store"  # personal data: keep no copies
    return response


@bp.route("/new", methods=["GET", "POST"])
@role_required("agent", "supervisor")
def new():
    """Register a complaint a customer made by phone, letter, e-mail or at the counter: the
    complaint and its registration task, filled in with it, in one transaction."""
    uow = database().unit_of_work
    form = _start_form(services.form_definitions(uow(read_only=True)))
    if request.method != "POST":  # GET and HEAD
        return render_template("new_complaint.html", **form_view(form, {}, {}))
    entered = request.form.copy()
    entered.pop("csrf_token", None)
    try:
        with accepted_submission(form, entered, request.files) as (data, received):
            cleaned = validate_submission(form, data)
            instance = services.register_complaint(
                cleaned["channel"],
                services.Customer.of(cleaned),
                cleaned,
                current_user.username,
                uow(),
                documents_received=received,
                registered_with=REGISTRATION_FORM,
            )
    except (InvalidInput, FormValidationError) as error:
        return render_template(
            "new_complaint.html", **form_view(form, entered, dict(error.errors), entered=True)
        ), 422
    reference = instance.reference
    flash(_("Réclamation %(reference)s enregistrée.", reference=reference), "success")
    following = workable_tasks(services.list_tasks(uow(read_only=True), reference=reference))
    if following:
        return redirect(url_for("tasks.show", task_id=sorted(following)[0]))
    return redirect(url_for("complaints.show", reference=reference))


def _start_form(forms: dict[str, FormDefinition]) -> FormDefinition:
    """The registration form, with the qualification fields that prefill the next step."""
    registration = forms.get(REGISTRATION_FORM)
    if registration is None:
        raise NotFound(f"the deployed processes have no form '{REGISTRATION_FORM}'")
    qualification = forms.get(QUALIFICATION_FORM)
    extra = [
        replace(f, required=False)
        for f in (qualification.fields if qualification is not None else ())
        if f.key in QUALIFICATION_KEYS
    ]
    fields = list(registration.fields)
    at = next((i + 1 for i, f in enumerate(fields) if f.key == "description"), len(fields))
    return FormDefinition(
        name="new_complaint",
        title=registration.title,
        description=registration.description,
        fields=(*fields[:at], *extra, *fields[at:]),
    )


def _details(data: dict, vocabulary: Vocabulary, filenames: dict[str, str], everything: bool):
    """The complaint's data, labelled: what its forms ask for, and with ?all=1 the rest."""
    shown, other = [], []
    for key, value in data.items():
        if key in services.SUMMARY_KEYS or value in (None, "", [], {}):
            continue
        field = vocabulary.fields.get(key)
        if field is not None and field.type == "file":
            ids = value if isinstance(value, list) else [value]
            shown.append((vocabulary.field(key), ", ".join(filenames.get(i, i) for i in ids)))
        elif field is not None:
            shown.append((vocabulary.field(key), vocabulary.value(key, value)))
        elif everything:
            other.append((key, value))
    return {"shown": shown, "other": other}
