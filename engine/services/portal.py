"""The customer portal: file a complaint, follow it with a tracking link, answer the check-in.

Customers have no account. Filing a complaint gives them a **tracking link** holding a random
token (``secrets.token_urlsafe(32)``); only the token's SHA-256 is kept (``customer_access``),
so nobody can rebuild a link from the database, and the link is shown once, on the
confirmation page. Messages to the customer therefore cannot carry it: they tell the customer
to follow the complaint with the link given when they filed it.

What the tracking page shows is chosen for the customer: the stage, the dates the organisation
committed to, the messages sent *to the customer* and the documents the customer sent. Never
the agents' names, their notes, or the messages meant for the team.

A process asks the customer something by sending them a message whose payload names the
answer it waits for: ``reply_message`` (e.g. ``customer_reply``), ``reply_form`` (a form of
the deployment) and ``reply_by``. The portal offers that form while the process waits, and
hands the answer back as that message.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.config import Settings
from engine.db.models import AuditEvent, CustomerAccess, Instance, OutboxMessage, Timer
from engine.errors import InvalidInput, NotAllowed, NotFound
from engine.forms import (
    ErrorMessage,
    FormDefinition,
    FormField,
    FormValidationError,
    localized,
    validate_submission,
)
from engine.rules.policy import Policy
from engine.runtime import (
    COMPLAINT_PROCESS,
    InstanceView,
    UnitOfWork,
    form_of,
    latest_version_with,
    policy_of,
)
from engine.runtime.documents import AttachmentView, ReceivedDocument
from engine.services import documents
from engine.services.complaints import Customer, register_complaint
from engine.services.messages import deliver_message
from engine.trail.events import FOR_CUSTOMER_KINDS, PORTAL_ACTOR
from engine.trail.timeline import TimelineEntry, for_customer, timeline_of

CUSTOMER_ACTOR = "customer"  # who answers on the tracking page
CUSTOMER_SOURCE = "customer"  # documents the customer sent (attachment source)
QUALIFY_FORM = "qualify_complaint.json"  # its categories and remedies are offered to customers
CUSTOMER_CLOCKS = ("acknowledgement", "answer")  # the deadlines customers are promised
MAX_DOCUMENTS = 10
BUILTIN_CONSENT_VERSION = "builtin"  # recorded when the policy publishes no consent text
TRACKING_PATH = "/portal/track/"
EMAIL_PATTERN = r"[^@\s]+@[^@\s]+\.[^@\s]+"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")


class UnknownTrackingLink(NotFound):
    """No complaint has this tracking link (mistyped, cut, or never given)."""


class TrackingLinkExpired(NotAllowed):
    """The link was valid but its time (``tracking_days``) is over."""


# --- the complaint form -------------------------------------------------------------------------


def _field(key: str, kind: str, **rules: Any) -> FormField:
    """A field of the portal's form; the web interface words its label in the reader's language."""
    return FormField(key=key, type=kind, label={}, **rules)


def complaint_form(uow: UnitOfWork) -> FormDefinition:
    """The portal's complaint form; its categories and remedies are those agents qualify with."""
    with uow:
        version = latest_version_with(uow, COMPLAINT_PROCESS)
        qualify = form_of(version, QUALIFY_FORM)
        today = clock.now().astimezone(ZoneInfo(uow.settings.time_zone)).date()
    return _complaint_form(qualify, today)


def _complaint_form(qualify: FormDefinition, today: date) -> FormDefinition:
    fields = [
        _field("customer_name", "text", required=True, max_length=200),
        _field("customer_email", "text", required=True, max_length=254, pattern=EMAIL_PATTERN),
        _field("customer_phone", "text", max_length=40, pattern=r"[0-9 +().-]{6,40}"),
        _field("customer_number", "text", max_length=60),
        _field("subject", "text", required=True, max_length=200),
        _field("description", "long_text", required=True, min_length=10, max_length=10000),
        _field("occurred_on", "date", max=today),
        _field("product", "text", max_length=200),
        _field("category", "choice", required=True, choices=qualify.field("category").choices),
        _field(
            "remedy_wanted", "choice", required=True, choices=qualify.field("remedy_wanted").choices
        ),
        _field("remedy_details", "long_text", max_length=2000),
        _field("asks_for_treatment", "yes_no", required=True, default=True),
        _field("documents", "file", multiple=True, max_files=MAX_DOCUMENTS),
        _field("consent", "yes_no", required=True),
    ]
    return FormDefinition(name="portal complaint", title={}, fields=fields)


def check_complaint(data: Mapping[str, Any], uow: UnitOfWork) -> dict:
    """The form's values cleaned, or InvalidInput with the errors of each field.

    Consent to the processing of personal data is required: without it the complaint cannot
    be handled (error code ``required`` on ``consent``).
    """
    form = complaint_form(uow)
    try:
        cleaned = validate_submission(form, data)
    except FormValidationError as exc:
        fields = ", ".join(sorted(exc.errors))
        raise InvalidInput(f"the complaint form has errors in: {fields}", exc.errors) from exc
    if cleaned["consent"] is not True:
        message = "consent to the processing of personal data is required"
        raise InvalidInput(message, {"consent": [ErrorMessage("required")]}, code="consent")
    return cleaned


# --- filing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FiledComplaint:
    """What the confirmation page shows: the reference and the link (its only appearance)."""

    reference: str
    token: str
    expires_at: datetime


def file_complaint(
    data: Mapping[str, Any],
    language: str,
    uow: UnitOfWork,
    documents_received: Sequence[ReceivedDocument] = (),
) -> FiledComplaint:
    """Register the complaint a customer filed, with their documents and a tracking link.

    ``data["documents"]`` lists the ids of the documents: those ``documents_received`` with
    the form, and any uploaded beforehand (``documents.store``, source ``customer``). The
    complaint, its documents and the link are saved in one transaction: if a document cannot
    be kept, there is no complaint and no link.
    """
    cleaned = check_complaint(data, uow.database.unit_of_work(read_only=True))
    received_ids = {d.id for d in documents_received}
    uploaded = [i for i in cleaned.get("documents", []) if i not in received_ids]
    publication = published_policy(uow.database.unit_of_work(read_only=True))
    token = secrets.token_urlsafe(32)
    now = clock.now()
    expires_at = now + timedelta(days=uow.settings.tracking_days)
    complaint = {key: value for key, value in cleaned.items() if key != "consent"}
    if "occurred_on" in complaint:
        complaint["occurred_on"] = complaint["occurred_on"].isoformat()
    complaint["consent"] = {"version": publication.consent_version, "given_at": now.isoformat()}

    def add_tracking_link(unit: UnitOfWork, instance: Instance) -> None:
        unit.session.add(
            CustomerAccess(
                instance_id=instance.id,
                token_hash=_token_hash(token),
                created_at=now,
                expires_at=expires_at,
            )
        )

    view = register_complaint(
        "web",
        Customer.of(cleaned, language),
        complaint,
        PORTAL_ACTOR,
        uow,
        documents_received=documents_received,
        documents_source=CUSTOMER_SOURCE,
        documents_uploaded=uploaded,
        on_registered=add_tracking_link,
    )
    return FiledComplaint(view.reference, token, expires_at)


def tracking_url(settings: Settings, token: str) -> str:
    """The tracking link as the customer keeps it (based on ``DOLEANCE_PUBLIC_URL``)."""
    return f"{settings.public_url}{TRACKING_PATH}{token}"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


# --- following a complaint ----------------------------------------------------------------------


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
        select(CustomerAccess).where(CustomerAccess.token_hash == _token_hash(token))
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


# --- the published complaint policy -------------------------------------------------------------


@dataclass(frozen=True)
class PublishedDeadline:
    name: str  # acknowledgement, answer
    unit: str  # working_days, business_days, calendar_days, weeks, months
    count: int
    rolls_forward: bool  # a deadline ending on a day off moves to the next working day


@dataclass(frozen=True)
class Publication:
    """The organisation's complaint policy as customers read it (``[publication]``)."""

    organisation: str
    contact_email: str
    contact_phone: str
    consent_version: str
    texts: Mapping[str, Mapping[str, str]]  # vision, how_to_complain, recourse, consent
    values: list[Mapping[str, str]]
    deadlines: list[PublishedDeadline]
    internal_appeal: Mapping[str, str]
    mediator: Mapping[str, str]

    def text(self, key: str, language: str) -> str:
        """One of the texts in ``language`` ("" when the policy has none)."""
        return localized(self.texts.get(key), language)

    def value_texts(self, language: str) -> list[str]:
        return [localized(value, language) for value in self.values]


def published_policy(uow: UnitOfWork) -> Publication:
    """The policy deployed with the newest complaint process, as the portal publishes it."""
    with uow:
        version = latest_version_with(uow, COMPLAINT_PROCESS)
        return _publication(policy_of(version))


def _publication(policy: Policy) -> Publication:
    def section(key: str) -> Mapping[str, Any]:
        value = policy.value(key, {})
        return value if isinstance(value, Mapping) else {}

    publication = section("publication")
    rules = policy.rulebook.rules
    return Publication(
        organisation=publication.get("organisation", ""),
        contact_email=publication.get("contact_email", ""),
        contact_phone=publication.get("contact_phone", ""),
        consent_version=publication.get("consent_version", BUILTIN_CONSENT_VERSION),
        texts={key: value for key, value in publication.items() if isinstance(value, Mapping)},
        values=list(publication.get("values", [])),
        deadlines=[
            PublishedDeadline(name, rules[name].unit, rules[name].count, rules[name].roll_forward)
            for name in CUSTOMER_CLOCKS
            if name in rules
        ],
        internal_appeal=section("recourse.internal_appeal"),
        mediator=section("recourse.mediator"),
    )
