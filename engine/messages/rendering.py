"""Writing a message a process sends: who it is for, in which language, rendered into its row.

**Who it is for** is the ``to`` of the message's payload:

- ``"customer"``: mailed to the complaint's ``customer_email``, in the customer's language
  (``language`` of the complaint: ``fr``, the default, or ``en``);
- any other value (``"team"``, ``"supervisor"``): an internal message, rendered in French and
  kept on the complaint file with status ``skipped`` (no team address is configured);
- no ``to``: the message is addressed to no one; it is kept as thrown, ``skipped``.

The row is rendered at once, in the transaction of the step that threw the message, from the
templates deployed with the process version, so the complaint file shows exactly what goes out.
A message that cannot be rendered is not lost: the row keeps its name and payload, with status
``failed`` and the error.
"""

from __future__ import annotations

import email.utils
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.config import DEFAULT_LANGUAGE, LANGUAGES, Settings
from engine.db.models import Instance, OutboxMessage
from engine.messages.templates import (
    MessageTemplateError,
    MessageTemplates,
    render_parts,
    template_context,
    templates_of,
)

logger = logging.getLogger(__name__)

CUSTOMER = "customer"

#: Why a message was not mailed (stored in ``last_error`` of a skipped row), by code.
SKIP_REASONS = {
    "no_address": "the customer gave no e-mail address",
    "bad_address": "the customer's e-mail address is not valid",
    "internal": "internal message: kept on the complaint file, not e-mailed",
    "not_addressed": "the message names no recipient (no 'to' in its payload)",
}


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body: str
    recipient: str | None  # None: nobody to mail it to (see ``skip_reason``)
    skip_reason: str | None  # a key of SKIP_REASONS when there is no recipient
    language: str


def audience_of(payload: Mapping[str, Any]) -> str | None:
    """Who a message is for: its payload's ``to`` ("customer", "team"…), None when unsaid."""
    to = payload.get("to")
    return to if isinstance(to, str) and to.strip() else None


def language_of(payload: Mapping[str, Any], summary: Mapping[str, Any]) -> str:
    """Customers read their complaint's language; internal messages are in French."""
    if audience_of(payload) != CUSTOMER:
        return DEFAULT_LANGUAGE
    language = summary.get("language")
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def organisation_name(templates: MessageTemplates, settings: Settings) -> str:
    """The policy's ``[publication] organisation``, else the name in DOLEANCE_MAIL_FROM."""
    display_name, address = email.utils.parseaddr(settings.mail_from)
    return templates.organisation or display_name or address


def render(
    templates: MessageTemplates,
    name: str,
    payload: Mapping[str, Any],
    summary: Mapping[str, Any],
    reference: str,
    settings: Settings,
    language: str,
) -> RenderedMessage:
    """Subject, body and recipient of one message; MessageTemplateError when it cannot be."""
    context = template_context(
        payload,
        summary,
        reference,
        language,
        organisation=organisation_name(templates, settings),
        public_url=settings.public_url,
        time_zone=settings.time_zone,
    )
    subject, body = render_parts(templates.get(name, language), context)
    recipient, skip_reason = _recipient(payload, summary)
    return RenderedMessage(subject, body, recipient, skip_reason, language)


def _recipient(
    payload: Mapping[str, Any], summary: Mapping[str, Any]
) -> tuple[str | None, str | None]:
    """(address, None), or (None, why nobody gets it)."""
    audience = audience_of(payload)
    if audience is None:
        return None, "not_addressed"
    if audience != CUSTOMER:
        return None, "internal"
    given = payload.get("customer_email") or summary.get("customer_email")
    if not isinstance(given, str) or not given.strip():
        return None, "no_address"
    address = given.strip()
    if email.utils.parseaddr(address)[1] != address or "@" not in address:
        return None, "bad_address"
    return address, None


def written_message(
    instance: Instance,
    name: str,
    payload: Mapping[str, Any],
    summary: Mapping[str, Any],
    settings: Settings,
    now: datetime,
) -> OutboxMessage:
    """The outbox row for a message the process just threw, rendered and ready to send.

    It is ``pending`` when it has someone to go to, ``skipped`` with the reason when it has
    not, and ``failed`` with the error when it could not be rendered (name and payload kept).
    """
    language = language_of(payload, summary)
    row = OutboxMessage(
        instance_id=instance.id,
        name=name,
        payload=dict(payload),
        language=language,
        status="pending",
        attempts=0,
        created_at=now,
    )
    if audience_of(payload) is None:
        row.status, row.last_error = "skipped", SKIP_REASONS["not_addressed"]
        return row
    fill_message(row, instance, summary, settings, templates_of(instance.process_version))
    return row


def fill_message(
    row: OutboxMessage,
    instance: Instance,
    summary: Mapping[str, Any],
    settings: Settings,
    templates: MessageTemplates,
) -> None:
    """Render ``row`` and set its status: pending, skipped (nobody to send to) or failed."""
    try:
        rendered = render(
            templates, row.name, row.payload, summary, instance.reference, settings, row.language
        )
    except MessageTemplateError as exc:
        logger.warning("message %s of %s not rendered: %s", row.name, instance.reference, exc)
        row.status, row.last_error = "failed", f"could not be rendered: {exc}"
        return
    row.subject, row.body, row.recipient = rendered.subject, rendered.body, rendered.recipient
    if rendered.skip_reason:
        row.status, row.last_error = "skipped", SKIP_REASONS[rendered.skip_reason]
    else:
        row.status, row.last_error = "pending", None
