"""The timeline of a complaint: each event of its trail with the data it changed, who was behind
it, and whether it is an engine step.

One model for every reader. The complaint file shows the events people follow (engine steps
only when asked for everything: :func:`for_staff`), the auditor's trace every one, and the
customer's tracking page the stages and messages meant for them (:func:`for_customer`).
Screens word the entries in their reader's language; what each kind of event *is* comes from
:mod:`engine.trail.events`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.db.models import AuditEvent
from engine.messages.outbox import MessageView
from engine.trail.events import EVENT_KINDS, NOT_PEOPLE

_MISSING = object()
#: A message that repeats what the trail tells anyway (the stage it announces).
STAGE_MESSAGE = "progress_update"
#: What ends a complaint's start: the first thing a person or a clock does with it.
_FIRST_MOVES = ("task_completed", "message_received", "timer_fired")


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
    data: dict[str, Any]
    changes: list[Change]
    message: MessageView | None = None  # what the outbox holds for a message_sent event
    person: str | None = None  # the person whose action this is or follows from
    engine_step: bool = False  # inside the engine: the complaint file shows it on request


def timeline_of(
    events: Iterable[AuditEvent], messages: Iterable[MessageView] = ()
) -> list[TimelineEntry]:
    """Each event with the data it changed (before → after), the running record of the chain
    being the data as it stood before the event; a ``message_sent`` event carries the message
    the outbox holds for it (the n-th message of a name goes with the n-th event sending it).

    ``person`` is the last person who acted before or with the event (the engine's own events
    follow from someone's action); the stage a complaint reaches as it starts is an engine step,
    its receipt telling it already.
    """
    by_name: dict[str, list[MessageView]] = {}
    for message in messages:
        by_name.setdefault(message.name, []).append(message)
    record: dict[str, Any] = {}
    entries = []
    person: str | None = None
    starting = False
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
        if event.actor not in NOT_PEOPLE:
            person = event.actor
        engine_step = _is_engine_step(event.kind, data)
        if event.kind == "instance_started":
            starting = True
        elif event.kind == "milestone_reached" and starting:
            engine_step, starting = True, False
        elif event.kind in _FIRST_MOVES:
            starting = False
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
                person,
                engine_step,
            )
        )
    return entries


def _is_engine_step(kind: str, data: Mapping[str, Any]) -> bool:
    """Whether an event is the engine's own business rather than something people follow."""
    if kind == "element_completed":  # people follow a priority assessed or a nature changed
        changes = data.get("changes") or {}
        requalified = isinstance(_new_value(changes, "requalification"), dict)
        return _new_value(changes, "priority") is None and not requalified
    if kind == "message_sent":
        return data.get("message") == STAGE_MESSAGE
    if kind == "timer_fired":
        return data.get("clock_role") == "reminder"
    known = EVENT_KINDS.get(kind)
    return known is None or known.engine_step


def _new_value(changes: Mapping[str, Any], key: str) -> Any:
    """The value a data change set ``key`` to (None when it did not change it)."""
    change = changes.get(key)
    return change[1] if isinstance(change, list | tuple) and len(change) == 2 else None


def for_staff(entries: Iterable[TimelineEntry], everything: bool = False) -> list[TimelineEntry]:
    """What the complaint file tells: the events people follow, or with ``everything`` all."""
    return [entry for entry in entries if everything or not entry.engine_step]


def for_customer(entries: Iterable[TimelineEntry], process_id: str) -> list[TimelineEntry]:
    """What the customer's tracking page is built on: the stages of the complaint's own
    process and the messages it exchanged (their words are the page's)."""
    return [
        entry
        for entry in entries
        if (known := EVENT_KINDS.get(entry.kind)) is not None
        and known.for_customer
        and (entry.kind != "milestone_reached" or entry.process_id == process_id)
    ]
