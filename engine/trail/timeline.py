"""The timeline of a complaint: each event of its trail with the data it changed.

One model for every reader: the complaint file, the auditor's trace and the customer's tracking
page each take these entries and keep what their audience reads (see :mod:`engine.trail.events`
for what each kind of event is).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.db.models import AuditEvent
from engine.messages.outbox import MessageView

_MISSING = object()


@dataclass(frozen=True)
class Change:
    key: str
    before: Any
    after: Any
    added: bool  # the key had no value before


@dataclass(frozen=True)
class TimelineEntry:
    seq: int
    at: datetime
    actor: str
    kind: str
    process_id: str | None
    element_id: str | None
    element_name: str | None
    data: dict
    changes: list[Change]
    message: MessageView | None = None


def timeline_of(
    events: Iterable[AuditEvent], messages: Iterable[MessageView]
) -> list[TimelineEntry]:
    """Each event with the data it changed (before → after), the running record of the chain
    being the data as it stood before the event; a ``message_sent`` event carries the message
    the outbox holds for it (the n-th message of a name goes with the n-th event sending it)."""
    by_name: dict[str, list[MessageView]] = {}
    for message in messages:
        by_name.setdefault(message.name, []).append(message)
    record: dict[str, Any] = {}
    entries = []
    for event in events:
        data = event.data or {}
        if event.kind == "instance_started":
            proposed = dict(data.get("data") or {})
        else:
            proposed = {key: pair[1] for key, pair in (data.get("changes") or {}).items()}
        changes = []
        for key, after in proposed.items():
            before = record.get(key, _MISSING)
            if before is _MISSING or before != after:
                added = before is _MISSING
                changes.append(Change(key, None if added else before, after, added))
            record[key] = after
        message = None
        if event.kind == "message_sent":
            queue = by_name.get(data.get("message"), [])
            message = queue.pop(0) if queue else None
        entries.append(
            TimelineEntry(
                event.seq,
                event.at,
                event.actor,
                event.kind,
                event.process_id,
                event.element_id,
                event.element_name,
                data,
                changes,
                message,
            )
        )
    return entries
