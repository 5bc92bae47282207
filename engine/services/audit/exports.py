"""Exports of the trail, each itself recorded in the trail (``trail_exported``): a complaint's
whole trail (JSON or CSV) or its printable report, on the complaint's chain; the regulator's
review of a period, on the system chain."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from engine.db.models import AuditEvent, Instance
from engine.errors import InvalidInput
from engine.rules.clocks import ClockView
from engine.runtime import COMPLAINT_PROCESS, UnitOfWork, load_complaint
from engine.services.audit.search import check_range
from engine.services.timers import clocks_by_reference
from engine.trail.audit import chain_check, chain_events
from engine.trail.exports import (
    REGULATOR_COLUMNS,
    csv_cell,
    csv_value,
    regulator_rows,
    trail_csv,
    trail_json,
)

EXPORTED = "trail_exported"


TRAIL_FORMATS = ("json", "csv")


REPORT_FORMAT = "html"


MAX_RANGE_DAYS = 3 * 366


_CLOCK_BATCH = 500


@dataclass(frozen=True)
class TrailExport:
    """A file to hand over, and the audit event that records it was handed over."""

    filename: str
    content_type: str
    content: str
    event_seq: int


def export_trail(reference: str, fmt: str, actor: str, uow: UnitOfWork) -> TrailExport:
    """A complaint's whole trail as JSON or CSV. The ``trail_exported`` event is recorded
    first, in the same transaction, so the file ends with the event saying who exported it."""
    if fmt not in TRAIL_FORMATS:
        raise InvalidInput(
            f"unknown export format '{fmt}' (use {' or '.join(TRAIL_FORMATS)})", code="format"
        )
    with uow:
        session = uow.session
        instance = load_complaint(uow, reference, lock=True)
        event = _record_export(uow, instance, fmt, actor)
        events = chain_events(session, reference)
        if fmt == "csv":
            content, content_type = trail_csv(events), "text/csv; charset=utf-8"
        else:
            content = trail_json(instance, events, chain_check(session, instance), event)
            content_type = "application/json; charset=utf-8"
        stamp = event.at.strftime("%Y%m%d-%H%M%S")
        uow.commit()
        return TrailExport(f"{reference}-trail-{stamp}.{fmt}", content_type, content, event.seq)


def record_report(reference: str, actor: str, uow: UnitOfWork) -> int:
    """Record that ``actor`` took the printable report of a complaint; returns the event's
    seq (the report, drawn by the web interface, names it)."""
    with uow:
        instance = load_complaint(uow, reference, lock=True)
        event = _record_export(uow, instance, REPORT_FORMAT, actor)
        uow.commit()
        return event.seq


def _record_export(uow: UnitOfWork, instance: Instance, fmt: str, actor: str) -> AuditEvent:
    event = uow.record(instance, EXPORTED, actor, data={"format": fmt, "scope": "trail"})
    uow.session.flush()
    return event


def export_range(start: date, end: date, actor: str, uow: UnitOfWork) -> TrailExport:
    """The regulator's review: one CSV row per complaint received from ``start`` to ``end``
    (local dates, both included), recorded as a ``trail_exported`` event on the system chain."""
    if start is None or end is None:
        raise InvalidInput("give the first and the last day of the period", code="range_missing")
    check_range(start, end, limit=MAX_RANGE_DAYS)
    database = uow.database
    with database.unit_of_work(read_only=True) as reading:
        zone = ZoneInfo(reading.settings.time_zone)
        rows = regulator_rows(reading.session, COMPLAINT_PROCESS, start, end, zone)
    clocks: dict[str, list[ClockView]] = {}
    references = [row["reference"] for row in rows]
    for first in range(0, len(references), _CLOCK_BATCH):
        batch = references[first : first + _CLOCK_BATCH]
        clocks.update(clocks_by_reference(batch, database.unit_of_work(read_only=True)))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(REGULATOR_COLUMNS)
    for row in rows:
        states = deadlines(clocks.get(row["reference"], []))
        row["deadlines_met"] = _clock_names(states, ("met",))
        row["deadlines_breached"] = _clock_names(states, ("breached",))
        row["deadlines_open"] = _clock_names(states, ("running", "due_soon"))
        writer.writerow([csv_cell(csv_value(row.get(c), zone)) for c in REGULATOR_COLUMNS])
    with uow:
        event = uow.record(
            None,
            EXPORTED,
            actor,
            data={
                "format": "csv",
                "scope": "range",
                "from": start.isoformat(),
                "to": end.isoformat(),
                "complaints": len(rows),
            },
        )
        uow.commit()
    return TrailExport(
        f"complaints-{start.isoformat()}-{end.isoformat()}.csv",
        "text/csv; charset=utf-8",
        out.getvalue(),
        event.seq,
    )


def deadlines(states: Iterable[ClockView]) -> list[ClockView]:
    """The clocks that are deadlines: those with a breach timer (a reminder or a periodic
    update runs a clock too, but it cannot be missed)."""
    return [state for state in states if state.due_at is not None]


def _clock_names(states: list[ClockView], wanted: tuple[str, ...]) -> str:
    return "; ".join(c.name for c in states if c.state in wanted)
