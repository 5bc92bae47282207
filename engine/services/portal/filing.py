"""Filing a complaint on the portal: the form customers fill, its checks (consent included),
and the complaint registered with its documents and a tracking link, in one transaction."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from engine import clock
from engine.config import Settings
from engine.db.models import CustomerAccess, Instance
from engine.errors import InvalidInput
from engine.forms import (
    ErrorMessage,
    FormDefinition,
    FormField,
    FormValidationError,
    validate_submission,
)
from engine.runtime import (
    COMPLAINT_PROCESS,
    UnitOfWork,
    form_of,
    latest_version_with,
)
from engine.runtime.documents import ReceivedDocument
from engine.services.complaints import Customer, register_complaint
from engine.services.portal.publication import published_policy
from engine.trail.events import PORTAL_ACTOR

QUALIFY_FORM = "qualify_complaint.json"  # its categories and remedies are offered to customers


MAX_DOCUMENTS = 10


EMAIL_PATTERN = r"[^@\s]+@[^@\s]+\.[^@\s]+"


CUSTOMER_SOURCE = "customer"  # documents the customer sent (attachment source)


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
                token_hash=token_hash(token),
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


TRACKING_PATH = "/portal/track/"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()
