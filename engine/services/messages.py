"""Messages: one delivered to a waiting complaint (the customer's reply), and the outbox —
reading it, sending a failed message again, and mailing what is due."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import func, select

from engine import clock
from engine.bpmn.workflow import NoWaitingReceiver
from engine.config import Settings
from engine.db.models import Instance, OutboxMessage, User
from engine.errors import InvalidInput, NotAllowed, NotFound
from engine.messages.delivery import (
    SMTP_TIMEOUT_SECONDS,
    Mailer,
    OutboxError,
    SmtpServer,
    build_email,
    sender_address,
)
from engine.messages.outbox import (
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    SEND_BATCH,
    SEND_INTERVAL_SECONDS,
    SENDING_TIMEOUT,
    STATUSES,
    DeliveryFailure,
    MessageView,
    checked_status,
    claim_due,
    describe_delivery,
    instance_messages,
    message_view,
    record_attempt,
)
from engine.messages.rendering import SKIP_REASONS, fill_message
from engine.messages.templates import MessageTemplates, templates_of
from engine.runtime import (
    ADMIN_ROLE,
    SUPERVISOR_ROLE,
    Database,
    InstanceView,
    UnitOfWork,
    checked_free_data,
    instance_view,
    latest_version,
    load_complaint,
    restore_workflow,
    run_step,
    save_run,
    validated_form_data,
)

logger = logging.getLogger(__name__)


def deliver_message(
    reference: str,
    message_name: str,
    payload: Mapping[str, Any],
    actor: str,
    uow: UnitOfWork,
    form: str | None = None,
) -> InstanceView:
    """Hand an incoming message (for example the customer's reply) to the waiting complaint.

    With ``form`` (e.g. ``customer_checkin_reply.json``), the payload is what a person typed
    into that form of the complaint's version: it is validated and converted like a task's.
    """
    payload = checked_free_data(payload)
    with uow:
        instance = load_complaint(uow, reference, lock=True)
        if form is not None:
            payload = validated_form_data(instance.process_version, form, payload)
        running = run_step(uow, instance, actor, lambda: restore_workflow(uow, instance, actor))
        try:
            events = run_step(
                uow, instance, actor, lambda: running.deliver_message(message_name, payload)
            )
        except NoWaitingReceiver as exc:
            raise NotAllowed(f"complaint {reference}: {exc}") from exc
        save_run(uow, instance, running, events, actor)
        uow.commit()
        return instance_view(instance)


# --- the outbox ---------------------------------------------------------------------------------


def messages_for(reference: str, uow: UnitOfWork) -> list[MessageView]:
    """A complaint's messages, oldest first."""
    with uow:
        instance = load_complaint(uow, reference)
        return instance_messages(uow.session, instance.id, reference, uow.settings)


def list_messages(
    uow: UnitOfWork, status: str | None = None, limit: int = 50, offset: int = 0
) -> list[MessageView]:
    """Every complaint's messages, newest first, optionally with one status."""
    with uow:
        query = (
            select(OutboxMessage, Instance.reference)
            .join(Instance, Instance.id == OutboxMessage.instance_id)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .limit(limit)
            .offset(offset)
        )
        if status is not None:
            query = query.where(OutboxMessage.status == checked_status(status))
        configured = bool(uow.settings.smtp_url)
        return [message_view(row, ref, configured) for row, ref in uow.session.execute(query)]


def count_by_status(uow: UnitOfWork) -> dict[str, int]:
    """How many messages have each status (every status listed, zeros included)."""
    with uow:
        counts: dict[str, int] = dict(
            uow.session.execute(  # type: ignore[arg-type]
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all()
        )
    return {status: counts.get(status, 0) for status in STATUSES}


def retry_message(message_id: int, actor: str, uow: UnitOfWork) -> MessageView:
    """A supervisor sends a failed message again at the next pass (re-rendered if it never was).

    A message that could not be rendered is rendered with the templates of the newest
    deployed version, so a corrected template can be deployed and the message retried.
    """
    with uow:
        session = uow.session
        user = session.get(User, actor)
        if user is None or not user.active or not {SUPERVISOR_ROLE, ADMIN_ROLE} & set(user.roles):
            raise NotAllowed("only a supervisor can send a message again")
        row = session.get(OutboxMessage, message_id, with_for_update=True)
        if row is None:
            raise NotFound(f"no message {message_id} in the outbox")
        instance = session.scalar(
            select(Instance).where(Instance.id == row.instance_id).with_for_update(of=Instance)
        )
        if instance is None:
            raise NotFound(f"no message {message_id} in the outbox")
        if row.status != "failed":
            raise NotAllowed(
                f"message {message_id} is {row.status}: only a failed message can be sent again"
            )
        if row.body is None:
            newest = latest_version(uow)
            templates = templates_of(newest or instance.process_version)
            fill_message(row, instance, instance.summary or {}, uow.settings, templates)
            if row.status == "failed":
                raise InvalidInput(f"message {message_id} still {row.last_error}")
        else:
            row.status = "pending"
        row.next_attempt_at = None
        uow.record(
            instance,
            "message_retried",
            actor,
            element_name=row.name,
            data={"message_id": row.id, "message": row.name, "status": row.status},
        )
        view = message_view(row, instance.reference, bool(uow.settings.smtp_url))
        uow.commit()
        return view


def send_due(
    uow_factory: Callable[[], UnitOfWork], settings: Settings, limit: int = SEND_BATCH
) -> list[MessageView]:
    """Mail the messages that are due, at most ``limit``; returns each one's new state.

    One transaction claims them, one more records each attempt. Does nothing without
    DOLEANCE_SMTP_URL (messages stay pending). OutboxError when the mail settings are unusable.
    """
    if not settings.smtp_url:
        return []
    server = SmtpServer.from_url(settings.smtp_url)
    sender = sender_address(settings.mail_from)
    with uow_factory() as uow:
        claimed = claim_due(uow.session, limit, clock.now())
        uow.commit()
    results = []
    with Mailer(server) as mailer:
        for message in claimed:
            skipped, failure = message.recipient is None, None
            if message.body is None and not skipped:
                failure = DeliveryFailure("the message was never rendered", permanent=True)
            elif not skipped:
                mail = build_email(message, settings.mail_from, sender)
                failure = mailer.send(mail, sender, message.recipient or "")
            with uow_factory() as uow:
                result = record_attempt(uow.session, message, failure, clock.now(), skipped)
                uow.commit()
            if result is not None:
                results.append(result)
    return results


_reported_settings_error: list[str] = []  # said once, not at every pass


def send_pass(database: Database) -> list[MessageView]:
    """One scheduler pass: send what is due, log one line per message; never raises."""
    try:
        results = send_due(database.unit_of_work, database.settings)
    except OutboxError as exc:
        if str(exc) not in _reported_settings_error:
            _reported_settings_error.append(str(exc))
            logger.error("messages are not sent: %s", exc)
        return []
    except Exception:  # a database or mail hiccup must not stop the scheduler
        logger.exception("messages not sent this time")
        return []
    for result in results:
        logger.log(
            logging.WARNING if result.status in ("pending", "failed") else logging.INFO,
            "%s",
            describe_delivery(result),
        )
    return results


__all__ = [  # the outbox's words adapters and tests use, with the use cases
    "MAX_ATTEMPTS",
    "RETRY_DELAYS",
    "SENDING_TIMEOUT",
    "SEND_BATCH",
    "SEND_INTERVAL_SECONDS",
    "SKIP_REASONS",
    "SMTP_TIMEOUT_SECONDS",
    "STATUSES",
    "MessageTemplates",
    "MessageView",
    "OutboxError",
    "count_by_status",
    "deliver_message",
    "describe_delivery",
    "list_messages",
    "messages_for",
    "retry_message",
    "send_due",
    "send_pass",
]
