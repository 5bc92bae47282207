"""Complaints: registering one (from any channel), starting any process, and reading one.

Every function is one user action in one unit of work, which it commits itself (or, for
reads, only reads in). Results are the runtime's plain views.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from engine.bpmn.workflow import ScriptError, to_json_safe
from engine.config import LANGUAGES
from engine.db.models import AuditEvent, HumanTask, Instance, Timer
from engine.errors import InvalidInput, ProcessError
from engine.messages.outbox import instance_messages
from engine.runtime import (
    COMPLAINT_PROCESS,
    SYSTEM_ACTOR,
    EventView,
    InstanceView,
    TimerView,
    UnitOfWork,
    checked_free_data,
    complete_ready_task,
    documents,
    event_view,
    form_of,
    instance_view,
    load_complaint,
    require_lane,
    restore_workflow,
    start_complaint,
)
from engine.runtime.documents import ReceivedDocument
from engine.trail.audit import chain_events
from engine.trail.timeline import TimelineEntry, for_staff, timeline_of

#: How a complaint can reach the organisation (``channel`` of the complaint).
CHANNELS = ("web", "phone", "letter", "email", "counter", "api")
DOCUMENTS_FIELD = "documents"  # the process data listing the documents sent with a complaint
#: How the process data names the customer: data key → Customer attribute.
CUSTOMER_FIELDS = {
    "customer_name": "name",
    "customer_email": "email",
    "customer_phone": "phone",
    "customer_number": "number",
}
#: Process data that register_complaint sets itself (from its other arguments).
_SET_BY_REGISTRATION = {"channel", "language", DOCUMENTS_FIELD, *CUSTOMER_FIELDS}


@dataclass(frozen=True)
class Customer:
    """The person a complaint is from, as the process data names them."""

    name: str
    email: str | None = None
    phone: str | None = None
    number: str | None = None  # their customer number with the organisation
    language: str | None = None  # the language messages to them are written in

    @classmethod
    def of(cls, data: Mapping[str, Any], language: str | None = None) -> Customer:
        """The customer named by process data (``customer_name``, ``customer_email``…)."""
        return cls(
            **{attribute: data.get(key) for key, attribute in CUSTOMER_FIELDS.items()},
            language=language,
        )

    def data(self) -> dict[str, Any]:
        """The customer as process data (the fields they gave)."""
        return {
            key: getattr(self, attribute)
            for key, attribute in CUSTOMER_FIELDS.items()
            if getattr(self, attribute) is not None
        }


def start_instance(
    process_id: str, data: Mapping[str, Any], actor: str, uow: UnitOfWork
) -> InstanceView:
    """Start an instance of the newest deployed version of ``process_id`` with free data."""
    data = checked_free_data(data)
    with uow:
        instance = _started(uow, process_id, data, actor)
        uow.commit()
        return instance_view(instance)


def register_complaint(
    channel: str,
    customer: Customer,
    complaint: Mapping[str, Any],
    actor: str,
    uow: UnitOfWork,
    *,
    documents_received: Sequence[ReceivedDocument] = (),
    documents_source: str = "agent",
    documents_uploaded: Sequence[str] = (),
    registered_with: str | None = None,
    on_registered: Callable[[UnitOfWork, Instance], None] | None = None,
) -> InstanceView:
    """Register a complaint that came in through ``channel``, with its documents, in one
    transaction: the one path of the portal, staff at the phone or the counter, and later
    the API and e-mail intake.

    ``complaint`` is the process data about the complaint (subject, description, category,
    consent…); the channel, the customer's fields, their language and the documents in it are
    left out (they come from the other arguments). Documents are those
    ``documents_received`` with the registration (saved under ``documents_source``) and those
    ``documents_uploaded`` beforehand (by id); the process finds their ids in ``documents``.

    ``registered_with`` names the form of the registration task the person registering has
    already filled in (staff do, with the call in front of them): the task waiting with that
    form is completed with the same data in the same transaction. ``on_registered`` runs
    before the commit (the portal creates the tracking link there); if it raises, nothing is
    saved.
    """
    if channel not in CHANNELS:
        raise InvalidInput(
            f"unknown channel '{channel}': one of {', '.join(CHANNELS)}",
            {"channel": ["unknown channel"]},
            code="channel",
        )
    if customer.language is not None and customer.language not in LANGUAGES:
        raise InvalidInput(
            f"unknown language '{customer.language}'",
            {"language": ["unknown language"]},
            code="language",
        )
    ids = [*documents_uploaded, *(d.id for d in documents_received)]
    told = {key: value for key, value in complaint.items() if key not in _SET_BY_REGISTRATION}
    data = checked_free_data({"channel": channel, **customer.data(), **told, DOCUMENTS_FIELD: ids})
    if customer.language is not None:
        data["language"] = customer.language
    with uow:
        for received in documents_received:
            documents.attach(uow, received, documents_source, actor)
        instance = _started(uow, COMPLAINT_PROCESS, data, actor)
        try:
            documents.bind(uow, instance, ids)
        except InvalidInput as exc:
            raise InvalidInput(str(exc), {DOCUMENTS_FIELD: exc.errors.get("file", [])}) from exc
        if registered_with is not None:
            _complete_registration(uow, instance, registered_with, data, actor)
        if on_registered is not None:
            on_registered(uow, instance)
        uow.commit()
        return instance_view(instance)


def _started(uow: UnitOfWork, process_id: str, data: Mapping[str, Any], actor: str) -> Instance:
    try:
        return start_complaint(uow, process_id, data, actor)
    except ScriptError as exc:
        raise ProcessError(
            f"'{process_id}' could not start: {exc} — nothing was saved; "
            "a process owner must correct the diagram or the data"
        ) from exc


def _complete_registration(
    uow: UnitOfWork, instance: Instance, form_name: str, data: Mapping[str, Any], actor: str
) -> None:
    uow.session.flush()  # the task rows the start just projected
    task = uow.session.scalar(
        select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.form == form_name)
    )
    if task is None:
        return  # this version's process registers without that task
    require_lane(uow, actor, task)
    form = form_of(instance.process_version, form_name)
    registered = {f.key: data[f.key] for f in form.fields if f.key in data}
    complete_ready_task(uow, task, instance, registered, actor)


# --- reading ---------------------------------------------------------------------------------


def get_instance(reference: str, uow: UnitOfWork) -> InstanceView:
    with uow:
        return instance_view(load_complaint(uow, reference))


def list_instances(
    uow: UnitOfWork, status: str | None = None, limit: int = 100
) -> list[InstanceView]:
    with uow:
        query = select(Instance).order_by(Instance.id.desc()).limit(limit)
        if status:
            query = query.where(Instance.status == status)
        return [instance_view(i) for i in uow.session.scalars(query)]


def instance_history(reference: str, uow: UnitOfWork) -> list[EventView]:
    """The complaint's audit trail, oldest first."""
    with uow:
        load_complaint(uow, reference)
        rows = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.chain == reference).order_by(AuditEvent.seq)
        )
        return [event_view(e) for e in rows]


def instance_data(reference: str, uow: UnitOfWork) -> dict[str, Any]:
    """Everything the complaint's process knows right now (its freshest task data)."""
    with uow:
        instance = load_complaint(uow, reference)
        running = restore_workflow(uow, instance, SYSTEM_ACTOR)
        return to_json_safe(running.current_data())


def customer_complaints(
    email: str | None, uow: UnitOfWork, exclude: str | None = None, limit: int = 20
) -> list[InstanceView]:
    """The complaints of the customer with this e-mail address, newest first."""
    if not email:
        return []
    with uow:
        query = (
            select(Instance)
            .where(
                Instance.process_id == COMPLAINT_PROCESS,
                Instance.summary["customer_email"].as_string() == email,
            )
            .order_by(Instance.created_at.desc(), Instance.id.desc())
            .limit(limit)
        )
        if exclude is not None:
            query = query.where(Instance.reference != exclude)
        return [instance_view(i) for i in uow.session.scalars(query)]


def complaint_timeline(
    reference: str, uow: UnitOfWork, everything: bool = False
) -> list[TimelineEntry]:
    """The complaint's timeline as the complaint file tells it: the events people follow, or
    with ``everything`` the engine's steps too."""
    with uow:
        instance = load_complaint(uow, reference)
        messages = instance_messages(uow.session, instance.id, reference, uow.settings)
        entries = timeline_of(chain_events(uow.session, reference), messages)
        return for_staff(entries, everything)


def instance_timers(reference: str, uow: UnitOfWork) -> list[TimerView]:
    with uow:
        instance = load_complaint(uow, reference)
        rows = uow.session.scalars(
            select(Timer).where(Timer.instance_id == instance.id).order_by(Timer.due_at)
        )
        return [TimerView.of(t, reference) for t in rows]


__all__ = [
    "CHANNELS",
    "CUSTOMER_FIELDS",
    "Customer",
    "complaint_timeline",
    "customer_complaints",
    "get_instance",
    "instance_data",
    "instance_history",
    "instance_timers",
    "list_instances",
    "register_complaint",
    "start_instance",
]
