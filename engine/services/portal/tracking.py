"""Following a complaint by its tracking link: what the customer may see of it (stages, the
dates promised, the messages written to them, the documents they sent), and answering the
question it waits for."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.db.models import AuditEvent, CustomerAccess, Instance, OutboxMessage, Timer
from engine.errors import NotAllowed, NotFound
from engine.forms import (
    FormDefinition,
)
from engine.runtime import (
    InstanceView,
    UnitOfWork,
    form_of,
)
from engine.runtime.documents import AttachmentView
from engine.services import documents
from engine.services.messages import deliver_message
from engine.services.portal.filing import CUSTOMER_SOURCE, token_hash
from engine.services.portal.publication import CUSTOMER_CLOCKS
from engine.trail.events import FOR_CUSTOMER_KINDS
from engine.trail.timeline import TimelineEntry, for_customer, timeline_of

CUSTOMER_ACTOR = "customer"  # who answers on the tracking page


_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")


class UnknownTrackingLink(NotFound):
    """No complaint has this tracking link (mistyped, cut, or never given)."""


class TrackingLinkExpired(NotAllowed):
    """The link was valid but its time (``tracking_days``) is over."""


@dataclass(frozen=True)
class Milestone:
    name: str  # the diagram's milestone, e.g. "Accusée"
    reached_at: datetime


@dataclass(frozen=True)
class ExpectedDate:
    clock: str  # acknowledgement, answer
    due_at: datetime


@dataclass(frozen=True)
class CustomerMessage:
    id: int
    name: str  # acknowledgement, progress_update, answer, checkin_questions…
    subject: str | None  # rendered subject and body, when the outbox has rendered them
    body: str | None
    stage: str | None  # the stage a progress update announces
    written_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class AwaitedReply:
    """A question the process is waiting for the customer to answer."""

    message: str  # the message the answer is delivered as
    form: FormDefinition
    reply_by: datetime | None


@dataclass(frozen=True)
class Tracking:
    reference: str
    subject: str | None
    received_at: datetime
    stage: str | None
    closed_at: datetime | None
    milestones: list[Milestone]  # in the order reached (a reopened complaint repeats some)
    expected: list[ExpectedDate]
    messages: list[CustomerMessage]  # newest first
    documents: list[AttachmentView]
    awaited_reply: AwaitedReply | None
    replied_at: datetime | None  # when the customer last answered a question
    link_expires_at: datetime


def open_tracking(token: str, uow: UnitOfWork) -> Tracking:
    """What the customer holding ``token`` may see of their complaint.

    Raises UnknownTrackingLink or TrackingLinkExpired.
    """
    with uow:
        session = uow.session
        access, instance = _access(session, token)
        events = _customer_events(session, instance)
        rows = _customer_messages(session, instance)
        awaited, replied_at = _awaited_reply(instance, rows, events)
        expected = session.scalars(
            select(Timer)
            .where(
                Timer.instance_id == instance.id,
                Timer.state == "pending",
                Timer.clock.in_(CUSTOMER_CLOCKS),
                Timer.clock_role == "breach",
            )
            .order_by(Timer.due_at)
        )
        tracking = Tracking(
            reference=instance.reference,
            subject=(instance.summary or {}).get("subject"),
            received_at=instance.created_at,
            stage=instance.stage,
            closed_at=instance.completed_at,
            milestones=[
                Milestone(e.element_name or e.element_id, e.at)
                for e in events
                if e.kind == "milestone_reached"
            ],
            expected=[ExpectedDate(t.clock, t.due_at) for t in expected],
            messages=[_message_view(row) for row in rows],
            documents=[],
            awaited_reply=awaited,
            replied_at=replied_at,
            link_expires_at=access.expires_at,
        )
    sent = documents.list_for(tracking.reference, uow.database.unit_of_work(read_only=True))
    tracking.documents.extend(d for d in sent if d.source == CUSTOMER_SOURCE)
    return tracking


def customer_document(token: str, attachment_id: str, uow: UnitOfWork) -> AttachmentView:
    """A document the customer sent with the complaint of ``token`` (NotFound otherwise)."""
    with uow:
        _, instance = _access(uow.session, token)
        reference = instance.reference
    document = documents.get(attachment_id, reference, uow.database.unit_of_work(read_only=True))
    if document.source != CUSTOMER_SOURCE:
        raise NotFound(f"no document {attachment_id} sent by the customer on {reference}")
    return document


def answer(token: str, answers: Mapping[str, Any], uow: UnitOfWork) -> InstanceView:
    """Deliver the customer's answers to the question their complaint waits for.

    Raises NotAllowed when nothing is awaited any more (already answered, or too late), and
    InvalidInput with the errors of each field when the answers do not fit the form.
    """
    with uow.database.unit_of_work(read_only=True) as reading:
        _, instance = _access(reading.session, token)
        events = _customer_events(reading.session, instance)
        awaited, _ = _awaited_reply(instance, _customer_messages(reading.session, instance), events)
        reference = instance.reference
    if awaited is None:
        raise NotAllowed(f"complaint {reference} is not waiting for an answer from the customer")
    return deliver_message(
        reference, awaited.message, answers, CUSTOMER_ACTOR, uow, form=awaited.form.name
    )


def _access(session: Session, token: str) -> tuple[CustomerAccess, Instance]:
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise UnknownTrackingLink("this is not a tracking link")
    access = session.scalar(
        select(CustomerAccess).where(CustomerAccess.token_hash == token_hash(token))
    )
    if access is None:
        raise UnknownTrackingLink("no complaint has this tracking link")
    if access.expires_at <= clock.now():
        raise TrackingLinkExpired(f"the tracking link expired on {access.expires_at.isoformat()}")
    return access, session.get(Instance, access.instance_id)


def _customer_events(session: Session, instance: Instance) -> list[TimelineEntry]:
    """The complaint's timeline as the customer's view is built from it: its stages and the
    messages it exchanged, in order."""
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.chain == instance.reference, AuditEvent.kind.in_(FOR_CUSTOMER_KINDS))
        .order_by(AuditEvent.seq)
    )
    return for_customer(timeline_of(events), instance.process_id)


def _customer_messages(session: Session, instance: Instance) -> list[OutboxMessage]:
    """The messages written to the customer (not those to the team), newest first."""
    rows = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.instance_id == instance.id)
        .order_by(OutboxMessage.id.desc())
    )
    return [row for row in rows if (row.payload or {}).get("to") == "customer"]


def _awaited_reply(
    instance: Instance, messages: list[OutboxMessage], events: list[TimelineEntry]
) -> tuple[AwaitedReply | None, datetime | None]:
    """The question still open, if any, and when the customer last answered one.

    The newest message asking for a reply names it; it is still awaited when no such reply
    came in after the last question was sent, the complaint runs and the reply date has not
    passed (after it, the process stops waiting as soon as its timer fires).
    """
    questions = [m for m in messages if _asks(m.payload or {})]
    if not questions:
        return None, None
    latest = questions[0].payload
    message = latest["reply_message"]
    asking = {m.name for m in questions if m.payload["reply_message"] == message}
    asked = [e for e in events if e.kind == "message_sent" and e.data.get("message") in asking]
    replies = [
        e for e in events if e.kind == "message_received" and e.data.get("message") == message
    ]
    replied_at = replies[-1].at if replies else None
    reply_by = _instant(latest.get("reply_by"))
    waiting = (
        instance.status == "running"
        and bool(asked)
        and (not replies or asked[-1].seq > replies[-1].seq)
        and (reply_by is None or clock.now() < reply_by)
    )
    if not waiting:
        return None, replied_at
    form = form_of(instance.process_version, latest["reply_form"])
    return AwaitedReply(message, form, reply_by), replied_at


def _asks(payload: Mapping[str, Any]) -> bool:
    """Whether a message asks the customer to answer through a form of the portal."""
    return bool(payload.get("reply_message") and payload.get("reply_form"))


def _instant(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _message_view(row: OutboxMessage) -> CustomerMessage:
    return CustomerMessage(
        row.id,
        row.name,
        row.subject,
        row.body,
        (row.payload or {}).get("stage"),
        row.created_at,
        row.sent_at,
    )
