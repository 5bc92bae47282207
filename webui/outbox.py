"""The outbox page: every message written to customers and the team, and whether it went out.

Supervisors, quality and admins see it (agents and auditors read a complaint's messages on its
file); supervisors and admins can send a failed message again.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from engine.errors import InvalidInput, NotAllowed
from engine.services import messages as outbox
from webui import database
from webui.arguments import page_of, safe_next
from webui.auth import role_required

bp = Blueprint("outbox", __name__, url_prefix="/outbox")
NAVIGATION = [("outbox.index", _l("Messages"), ("supervisor", "quality"))]
RETRY_ROLES = ("supervisor",)  # and admins


@bp.get("")
@role_required("supervisor", "quality")
def index():
    status = request.args.get("status") or None
    if status is not None and status not in outbox.STATUSES:
        abort(400)
    uow = database().unit_of_work
    counts = outbox.count_by_status(uow(read_only=True))
    total = counts[status] if status else sum(counts.values())
    page = page_of(total)
    messages = outbox.list_messages(
        uow(read_only=True), status=status, limit=page.size, offset=page.offset
    )
    return render_template(
        "outbox.html",
        messages=messages,
        counts=counts,
        total=total,
        status=status,
        page=page.number,
        pages=page.count,
        mail_configured=bool(database().settings.smtp_url),
        can_retry=current_user.has_role(*RETRY_ROLES, "admin"),
    )


@bp.post("/<int:message_id>/retry")
@role_required(*RETRY_ROLES)
def retry(message_id: int):
    back = safe_next(request.form.get("next") or url_for("outbox.index"))
    try:
        message = outbox.retry_message(message_id, current_user.username, database().unit_of_work())
    except NotAllowed:
        flash(
            _("Seul un message en échec peut être renvoyé ; celui-ci a changé entre-temps."),
            "error",
        )
        return redirect(back)
    except InvalidInput as exc:
        flash(_("Le message ne peut toujours pas être rédigé : %(error)s", error=str(exc)), "error")
        return redirect(back)
    if message.status == "pending":
        flash(
            _("Le message « %(name)s » partira au prochain envoi.", name=message.subject), "success"
        )
    else:
        flash(_("Le message « %(name)s » n'a pas de destinataire.", name=message.subject), "info")
    return redirect(back)
