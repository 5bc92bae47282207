"""The customer portal (no account): file a complaint, follow it by its tracking link, answer.

Customers meet the organisation here, so every page speaks their words: stages as they
live them, dates they were promised, no internal names. The use cases are in
``engine.services.portal``; these views read the request, call them and draw the answer. Forms are
drawn and their files received with the same helpers as every form (``webui.forms``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import format_date, format_datetime, format_decimal, ngettext
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from engine.errors import InvalidInput, NotAllowed, NotFound
from engine.forms import localized
from engine.services import documents
from engine.services import portal as customer_portal
from webui import database
from webui.forms import accepted_submission, form_view, submission
from webui.i18n import current_language
from webui.portal_words import (
    BUILTIN_CONSENT,
    COMPLAINT_FIELDS,
    COMPLAINT_GROUPS,
    DEADLINE_SENTENCES,
    EXPECTED,
    MESSAGE_TITLES,
    STAGES,
)

bp = Blueprint("portal", __name__, url_prefix="/portal")

FILED = "portal_filed"  # session key: the confirmation to show once after filing


# --- filing a complaint -------------------------------------------------------------------------


@bp.route("/", methods=["GET", "POST"])
def complaint():
    uow = database().unit_of_work
    form = customer_portal.complaint_form(uow(read_only=True))
    publication = customer_portal.published_policy(uow(read_only=True))
    if request.method != "POST":  # GET and HEAD
        return _complaint_page(publication, form_view(form, {}, {}))
    data = submission(form, request.form)
    uploads = [f for f in request.files.getlist("documents") if f.filename]
    try:
        customer_portal.check_complaint(data, uow(read_only=True))  # before receiving any file
        if len(uploads) > customer_portal.MAX_DOCUMENTS:
            raise InvalidInput("too many documents", {"documents": [_too_many_documents()]})
        with accepted_submission(form, request.form, request.files) as (data, received):
            filed = customer_portal.file_complaint(
                data, current_language(), uow(), documents_received=received
            )
    except InvalidInput as error:
        view = form_view(form, request.form, error.errors, entered=True)
        return _complaint_page(publication, view, documents_dropped=bool(uploads)), 422
    session[FILED] = {
        "reference": filed.reference,
        "token": filed.token,
        "expires_at": filed.expires_at.isoformat(),
        "email": data["customer_email"],
    }
    return redirect(url_for("portal.filed"))


@bp.get("/filed")
def filed():
    """The confirmation, with the tracking link: shown once, then gone from the session."""
    confirmation = session.pop(FILED, None)
    publication = customer_portal.published_policy(database().unit_of_work(read_only=True))
    if confirmation is None:
        return render_template("portal/filed_gone.html", publication=publication)
    settings = current_app.config["DOLEANCE_SETTINGS"]
    response = current_app.make_response(
        render_template(
            "portal/filed.html",
            publication=publication,
            reference=confirmation["reference"],
            email=confirmation["email"],
            link=customer_portal.tracking_url(settings, confirmation["token"]),
            expires_at=datetime.fromisoformat(confirmation["expires_at"]),
        )
    )
    return _private(response)


def _too_many_documents() -> str:
    return ngettext(
        "Joignez au plus %(num)s document.",
        "Joignez au plus %(num)s documents.",
        customer_portal.MAX_DOCUMENTS,
    )


def _complaint_page(
    publication: customer_portal.Publication, view: dict[str, Any], documents_dropped=False
):
    """The form worded for customers: our labels over the fields ``form_view`` prepared."""
    fields = {}
    for f in view["fields"]:
        label, help_text = COMPLAINT_FIELDS[f.field.key]
        f.label, f.help = str(label or ""), str(help_text or "")
        fields[f.field.key] = f
    consent = fields["consent"]
    if consent.errors:
        consent.errors = [
            _(
                "Cochez cette case : sans votre accord, nous ne pouvons pas traiter "
                "votre réclamation."
            )
        ]
    return render_template(
        "portal/complaint.html",
        publication=publication,
        groups=[(legend, [fields[k] for k in keys]) for legend, keys in COMPLAINT_GROUPS],
        consent=consent,
        consent_text=publication.text("consent", current_language()) or str(BUILTIN_CONSENT),
        general_errors=view["general_errors"],
        has_errors=view["has_errors"],
        documents_dropped=documents_dropped,
    )


# --- following a complaint ----------------------------------------------------------------------


@bp.get("/track")
def track_help():
    """How to follow a complaint: with the link given when it was filed."""
    publication = customer_portal.published_policy(database().unit_of_work(read_only=True))
    return render_template("portal/track_help.html", publication=publication)


@bp.get("/track/<token>")
def track(token: str):
    return _tracking_page(token, {}, {})


@bp.post("/track/<token>/answer")
def answer(token: str):
    """The customer answers the question their complaint waits for (the check-in)."""
    uow = database().unit_of_work
    try:
        tracking = customer_portal.open_tracking(token, uow(read_only=True))
    except (customer_portal.UnknownTrackingLink, customer_portal.TrackingLinkExpired) as problem:
        return _link_problem(problem)
    awaited = tracking.awaited_reply
    if awaited is None:
        return _no_longer_awaited(token)
    try:
        customer_portal.answer(token, submission(awaited.form, request.form), uow())
    except InvalidInput as error:
        return _tracking_page(token, request.form, error.errors)
    except NotAllowed:  # answered, or closed, in the meantime
        return _no_longer_awaited(token)
    flash(_("Merci ! Votre avis nous a bien été transmis."), "success")
    return redirect(url_for("portal.track", token=token))


def _no_longer_awaited(token: str):
    flash(_("Votre avis n'est plus attendu pour cette réclamation."), "info")
    return redirect(url_for("portal.track", token=token))


@bp.get("/track/<token>/documents/<attachment_id>")
def document(token: str, attachment_id: str):
    """A document the customer sent, as a download (never shown inline)."""
    uow = database().unit_of_work
    try:
        view = customer_portal.customer_document(token, attachment_id, uow(read_only=True))
    except (customer_portal.UnknownTrackingLink, customer_portal.TrackingLinkExpired) as problem:
        return _link_problem(problem)
    except NotFound:
        return _notice(
            404,
            _("Document introuvable"),
            _("Ce document ne fait pas partie de ceux que vous nous avez envoyés."),
        )
    response = send_file(
        documents.path_of(view, current_app.config["DOLEANCE_SETTINGS"]),
        as_attachment=True,
        download_name=view.filename,
        mimetype=view.content_type,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return _private(response)


def _tracking_page(token: str, answers: Mapping[str, Any], errors: Mapping[str, list]):
    uow = database().unit_of_work
    try:
        tracking = customer_portal.open_tracking(token, uow(read_only=True))
    except (customer_portal.UnknownTrackingLink, customer_portal.TrackingLinkExpired) as problem:
        return _link_problem(problem)
    questions = []
    if tracking.awaited_reply is not None:
        form = tracking.awaited_reply.form
        questions = form_view(form, answers, errors, entered=bool(errors))["fields"]
    response = current_app.make_response(
        render_template(
            "portal/track.html",
            publication=customer_portal.published_policy(uow(read_only=True)),
            token=token,
            tracking=tracking,
            steps=_steps(tracking),
            messages=[(m, _message_title(m)) for m in tracking.messages],
            expected=[
                str(EXPECTED[e.clock]) % {"date": customer_date(e.due_at)}
                for e in tracking.expected
                if e.clock in EXPECTED
            ],
            questions=questions,
            has_errors=bool(errors),
        )
    )
    return _private(response), 422 if errors else 200


def _steps(tracking: customer_portal.Tracking) -> list[dict]:
    """The path of the complaint: steps done (with their date), the current one, those to come.

    Steps of the usual path that this complaint skipped (a dissatisfaction is closed straight
    away) are left out; a stage the usual path does not know is shown by its own name.
    """
    reached: dict[str, datetime] = {}
    for milestone in tracking.milestones:
        reached[milestone.name] = milestone.reached_at  # the latest time wins (reopening)
    current = tracking.stage
    if current not in STAGES:
        names = dict.fromkeys(m.name for m in tracking.milestones)
        return [
            _step(name, reached[name], "current" if name == current else "done") for name in names
        ]
    order = list(STAGES)
    position = order.index(current)
    steps = [_step(name, reached[name], "done") for name in order[:position] if name in reached]
    steps.append(_step(current, reached.get(current), "current"))
    if tracking.closed_at is None:
        steps += [_step(name, None, "upcoming") for name in order[position + 1 :]]
    return steps


def _step(name: str, reached_at: datetime | None, state: str) -> dict:
    title, explanation = STAGES.get(name, (name, ""))
    return {"title": title, "explanation": explanation, "reached_at": reached_at, "state": state}


def _message_title(message: customer_portal.CustomerMessage) -> str:
    """What a message is about, in the customer's words (a progress update names its stage)."""
    title = MESSAGE_TITLES.get(message.name, message.name)
    if message.name == "progress_update" and message.stage:
        stage = STAGES.get(message.stage, (message.stage, ""))[0]
        return _("Point d'avancement : %(stage)s", stage=stage)
    return str(title)


def _link_problem(problem: Exception):
    if isinstance(problem, customer_portal.TrackingLinkExpired):
        return _notice(
            410,
            _("Ce lien de suivi a expiré"),
            _(
                "Les liens de suivi restent valables un temps limité. Pour connaître "
                "l'avancement de votre réclamation, écrivez-nous en indiquant sa référence."
            ),
        )
    return _notice(
        404,
        _("Lien de suivi inconnu"),
        _(
            "Nous ne trouvons aucune réclamation avec ce lien. Vérifiez qu'il a été copié en "
            "entier, sans espace ni caractère en trop. Si le problème persiste, écrivez-nous."
        ),
    )


def _notice(status: int, title: str, explanation: str):
    publication = customer_portal.published_policy(database().unit_of_work(read_only=True))
    page = render_template(
        "portal/notice.html", publication=publication, title=title, explanation=explanation
    )
    return page, status


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    return _notice(
        413,
        _("Documents trop volumineux"),
        _(
            "Vos documents dépassent ensemble %(limit)s Mo : votre réclamation n'a pas été "
            "enregistrée. Revenez au formulaire et joignez des fichiers plus petits, ou moins "
            "de fichiers.",
            limit=format_decimal(
                round(current_app.config["DOLEANCE_SETTINGS"].max_upload_bytes / 1024**2, 2)
            ),
        ),
    )


# --- the published complaint policy -------------------------------------------------------------


@bp.get("/policy")
def policy():
    publication = customer_portal.published_policy(database().unit_of_work(read_only=True))
    deadlines = [
        str(DEADLINE_SENTENCES[d.name]) % {"delay": deadline_words(d)}
        for d in publication.deadlines
        if d.name in DEADLINE_SENTENCES
    ]
    return render_template(
        "portal/policy.html",
        publication=publication,
        language=current_language(),
        deadlines=deadlines,
        rolls_forward=any(d.rolls_forward for d in publication.deadlines),
    )


def deadline_words(deadline: customer_portal.PublishedDeadline) -> str:
    """``10 jours ouvrables (du lundi au samedi, hors jours fériés)``, ``2 mois``…"""
    n = deadline.count
    words = {
        "working_days": lambda: ngettext(
            "%(num)s jour ouvrable (du lundi au samedi, hors jours fériés)",
            "%(num)s jours ouvrables (du lundi au samedi, hors jours fériés)",
            n,
        ),
        "business_days": lambda: ngettext(
            "%(num)s jour ouvré (du lundi au vendredi, hors jours fériés)",
            "%(num)s jours ouvrés (du lundi au vendredi, hors jours fériés)",
            n,
        ),
        "calendar_days": lambda: ngettext("%(num)s jour", "%(num)s jours", n),
        "weeks": lambda: ngettext("%(num)s semaine", "%(num)s semaines", n),
        "months": lambda: ngettext("%(num)s mois", "%(num)s mois", n),
        "business_hours": lambda: ngettext(
            "%(num)s heure ouvrée (pendant nos heures d'ouverture)",
            "%(num)s heures ouvrées (pendant nos heures d'ouverture)",
            n,
        ),
        "business_minutes": lambda: ngettext(
            "%(num)s minute ouvrée (pendant nos heures d'ouverture)",
            "%(num)s minutes ouvrées (pendant nos heures d'ouverture)",
            n,
        ),
    }
    return words[deadline.unit]()


# --- dates, texts and private pages -------------------------------------------------------------


def customer_date(instant: datetime) -> str:
    """``23 janvier 2027`` in the organisation's time zone and the reader's language."""
    return format_date(instant, "long")


def _private(response):
    """Pages and files reached by a tracking link are for one person: never cached."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.app_template_filter("customer_date")
def _customer_date_filter(instant: datetime | None) -> str:
    return customer_date(instant) if instant else ""


@bp.app_template_filter("customer_datetime")
def _customer_datetime_filter(instant: datetime | None) -> str:
    """``23 novembre 2026, 10:00`` (organisation's time zone, reader's language)."""
    return format_datetime(instant, "d MMMM y, HH:mm") if instant else ""


@bp.app_template_filter("customer_size")
def _customer_size_filter(size: int) -> str:
    """``12 ko``, ``1,4 Mo``: a document's size as customers read it."""
    if size < 1024 * 1024:
        return _("%(size)s ko", size=format_decimal(max(1, round(size / 1024))))
    return _("%(size)s Mo", size=format_decimal(round(size / 1024**2, 1)))


@bp.app_template_filter("customer_text")
def _customer_text_filter(texts: Mapping[str, str] | None) -> str:
    """A text the configuration gives per language, in the reader's language."""
    return localized(texts, current_language())
