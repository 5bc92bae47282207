"""The outbox: every message a process sends, as a row that says whether it went out.

``engine.messages.rendering`` writes the row in the transaction of the step that sent the
message. Sending (the use case ``engine.services.messages.send_due``) claims the rows that
are due (a conditional UPDATE pending → sending, ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
two senders never send the same row), mails them (``engine.messages.delivery``) and records
each outcome: ``sent``, or a new attempt after a growing delay, or ``failed`` after
:data:`MAX_ATTEMPTS`. A claim left by a sender that died expires after
:data:`SENDING_TIMEOUT` and the row is sent again.
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from engine.config import Settings
from engine.db.models import Instance, OutboxMessage
from engine.errors import InvalidInput
from engine.messages.rendering import SKIP_REASONS, audience_of

STATUSES = ("pending", "sending", "sent", "failed", "skipped")
MAX_ATTEMPTS = 8
#: Wait after the 1st, 2nd… failed attempt; the last delay repeats.
RETRY_DELAYS = tuple(timedelta(minutes=m) for m in (1, 5, 30, 120, 360, 720, 1440))
SENDING_TIMEOUT = timedelta(minutes=5)  # a row still "sending" after this is claimed again
SEND_INTERVAL_SECONDS = 5.0  # how often the schedulers look for due messages
SEND_BATCH = 20


@dataclass(frozen=True)
class MessageView:
    id: int
    reference: str
    name: str
    audience: str | None  # "customer", "team", "supervisor"… (the payload's "to")
    language: str
    recipient: str | None
    subject: str | None
    body: str | None
    status: str  # pending, sending, sent, failed, skipped
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    mail_configured: bool  # False: pending messages wait for DOLEANCE_SMTP_URL
    payload: dict  # what the diagram sent (shown when the message could not be rendered)

    @property
    def skip_reason(self) -> str | None:
        """Why a skipped message was not mailed, as a key of SKIP_REASONS."""
        if self.status != "skipped":
            return None
        return next((code for code, text in SKIP_REASONS.items() if text == self.last_error), None)

    @property
    def retryable(self) -> bool:
        return self.status == "failed"


def message_view(row: OutboxMessage, reference: str, mail_configured: bool) -> MessageView:
    return MessageView(
        row.id,
        reference,
        row.name,
        audience_of(row.payload or {}),
        row.language,
        row.recipient,
        row.subject,
        row.body,
        row.status,
        row.attempts,
        row.next_attempt_at,
        row.last_error,
        row.created_at,
        row.sent_at,
        mail_configured,
        dict(row.payload or {}),
    )


def instance_messages(
    session: Session, instance_id: int, reference: str, settings: Settings
) -> list[MessageView]:
    """The messages of one instance, oldest first, inside the caller's transaction."""
    rows = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.instance_id == instance_id)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    configured = bool(settings.smtp_url)
    return [message_view(row, reference, configured) for row in rows]


def checked_status(status: str) -> str:
    if status not in STATUSES:
        raise InvalidInput(
            f"unknown message status '{status}'; known: {', '.join(STATUSES)}",
            {"status": ["unknown status"]},
        )
    return status


@dataclass(frozen=True)
class ClaimedMessage:
    id: int
    reference: str
    name: str
    recipient: str | None
    subject: str | None
    body: str | None
    language: str
    reply_to: str | None


@dataclass(frozen=True)
class DeliveryFailure:
    error: str
    permanent: bool = False


def _due(now: datetime) -> ColumnElement[bool]:
    """Pending and due, or left "sending" by a sender that stopped before recording it."""
    return or_(
        and_(
            OutboxMessage.status == "pending",
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
        ),
        and_(OutboxMessage.status == "sending", OutboxMessage.next_attempt_at <= now),
    )


def claim_due(session: Session, limit: int, now: datetime) -> list[ClaimedMessage]:
    """Claim up to ``limit`` due rows in the caller's transaction (commit it before mailing):
    they turn ``sending`` until :data:`SENDING_TIMEOUT`, so another sender leaves them."""
    chosen = dict(
        session.execute(
            select(OutboxMessage.id, Instance.reference)
            .join(Instance, Instance.id == OutboxMessage.instance_id)
            .where(_due(now))
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(of=OutboxMessage, skip_locked=True)
        ).all()
    )
    if not chosen:
        return []
    rows = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(chosen), _due(now))
        .values(status="sending", next_attempt_at=now + SENDING_TIMEOUT)
        .returning(
            OutboxMessage.id,
            OutboxMessage.name,
            OutboxMessage.recipient,
            OutboxMessage.subject,
            OutboxMessage.body,
            OutboxMessage.language,
            OutboxMessage.payload,
        ),
        execution_options={"synchronize_session": False},
    ).all()
    claimed = [
        ClaimedMessage(
            row.id,
            chosen[row.id],
            row.name,
            row.recipient,
            row.subject,
            row.body,
            row.language,
            _reply_to(row.payload or {}),
        )
        for row in rows
    ]
    return sorted(claimed, key=lambda m: m.id)


def _reply_to(payload: Mapping[str, Any]) -> str | None:
    """A payload may say where answers should go: ``"reply_to": "recours@example.org"``."""
    value = payload.get("reply_to")
    if isinstance(value, str) and email.utils.parseaddr(value)[1] == value.strip() and "@" in value:
        return value.strip()
    return None


def record_attempt(
    session: Session,
    message: ClaimedMessage,
    failure: DeliveryFailure | None,
    now: datetime,
    skipped: bool = False,
) -> MessageView | None:
    """Write down what one attempt did, in the caller's transaction: sent, skipped, another
    try later, or failed. None when the row is gone (its complaint was deleted meanwhile)."""
    row = session.get(OutboxMessage, message.id, with_for_update=True)
    if row is None:
        return None
    if skipped:
        row.status, row.last_error = "skipped", SKIP_REASONS["no_address"]
        row.next_attempt_at = None
    elif failure is None:
        row.attempts += 1
        row.status, row.sent_at, row.last_error, row.next_attempt_at = "sent", now, None, None
    else:
        row.attempts += 1
        row.last_error = failure.error
        if failure.permanent or row.attempts >= MAX_ATTEMPTS:
            row.status, row.next_attempt_at = "failed", None
        else:
            delay = RETRY_DELAYS[min(row.attempts, len(RETRY_DELAYS)) - 1]
            row.status, row.next_attempt_at = "pending", now + delay
    return message_view(row, message.reference, mail_configured=True)


def describe_delivery(view: MessageView) -> str:
    """One line on what happened to a message, for logs and the command line."""
    head = f"{view.reference} #{view.id} {view.name} to {view.recipient or '-'}"
    if view.status == "sent":
        return f"{head}: sent"
    if view.status == "pending":
        when = view.next_attempt_at.isoformat(timespec="seconds") if view.next_attempt_at else "-"
        return (
            f"{head}: not sent (attempt {view.attempts} of {MAX_ATTEMPTS}, next at {when}): "
            f"{view.last_error}"
        )
    if view.status == "failed":
        return f"{head}: failed after {view.attempts} attempt(s): {view.last_error}"
    return f"{head}: {view.status}: {view.last_error or ''}".rstrip(": ")
