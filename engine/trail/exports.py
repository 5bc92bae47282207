"""What leaves the trail as a file: a complaint's whole trail (JSON or CSV), and the regulator's
review of a period (one CSV row per complaint, see docs/AUDIT.md)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, aliased

from engine.db.models import AuditEvent, Instance, InstanceLink, ProcessVersion
from engine.trail.audit import ChainCheck

TRAIL_COLUMNS = (
    "seq",
    "at",
    "actor",
    "kind",
    "process_id",
    "element_id",
    "element_name",
    "data",
    "prev_hash",
    "hash",
)


#: The process data the regulator's export reads (see docs/AUDIT.md): the first time a key
#: got a value dates the step; the last value is the outcome.
ACKNOWLEDGED_KEY, ANSWERED_KEY = "acknowledged_at", "answered_at"


OUTCOME_KEY, REMEDY_KEY, REOPEN_KEY = "closure_reason", "remedy", "reopen_count"


REGULATOR_COLUMNS = (
    "reference",
    "received_at",
    "channel",
    "kind",
    "category",
    "product",
    "priority",
    "acknowledged_at",
    "answered_at",
    "closed_at",
    "status",
    "stage",
    "outcome",
    "remedy",
    "reopen_count",
    "escalations",
    "deadlines_met",
    "deadlines_breached",
    "deadlines_open",
    "corrective_action",
    "process_version",
)


def event_dict(event: AuditEvent) -> dict:
    return {
        "seq": event.seq,
        "at": event.at.isoformat(timespec="microseconds"),
        "actor": event.actor,
        "kind": event.kind,
        "process_id": event.process_id,
        "element_id": event.element_id,
        "element_name": event.element_name,
        "data": event.data,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def trail_json(
    instance: Instance, events: list[AuditEvent], check: ChainCheck, export: AuditEvent
) -> str:
    document = {
        "format": "doleance-audit-trail",
        "format_version": 1,
        "reference": instance.reference,
        "process_id": instance.process_id,
        "process_version": instance.process_version.number,
        "status": instance.status,
        "stage": instance.stage,
        "exported_at": export.at.isoformat(),
        "exported_by": export.actor,
        "chain": {
            "intact": check.intact,
            "broken_at": check.broken_at,
            "problem": check.problem,
            "reason": check.reason,
            "head_seq": instance.audit_seq,
            "head_hash": instance.audit_head,
            "hash": "sha256 over prev_hash + canonical JSON of "
            "[chain, seq, at, actor, kind, process_id, element_id, element_name, data]",
        },
        "events": [event_dict(e) for e in events],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def trail_csv(events: list[AuditEvent]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(TRAIL_COLUMNS)
    for event in events:
        row = event_dict(event)
        row["data"] = json.dumps(event.data, ensure_ascii=False, sort_keys=True)
        writer.writerow([csv_cell(row[column]) for column in TRAIL_COLUMNS])
    return out.getvalue()


def csv_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def csv_value(value: Any, zone: ZoneInfo) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(zone).isoformat(timespec="seconds")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def regulator_rows(
    session: Session, process_id: str, start: date, end: date, zone: ZoneInfo
) -> list[dict]:
    """One dict per instance of ``process_id`` received in the period, oldest first, read
    from the instance rows, their links and (streamed) the events of their trails that change
    data."""
    in_period = and_(
        Instance.process_id == process_id,
        Instance.created_at >= local_midnight(start, zone),
        Instance.created_at < local_midnight(end + timedelta(days=1), zone),
    )
    instances = session.execute(
        select(
            Instance.id,
            Instance.reference,
            Instance.created_at,
            Instance.completed_at,
            Instance.status,
            Instance.stage,
            Instance.summary,
            ProcessVersion.number,
        )
        .join(ProcessVersion, ProcessVersion.id == Instance.version_id)
        .where(in_period)
        .order_by(Instance.created_at, Instance.id)
    ).all()
    rows: dict[str, dict] = {}
    for _id, reference, created, completed, status, stage, summary, version in instances:
        summary = summary or {}
        rows[reference] = {
            "reference": reference,
            "received_at": created,
            "channel": summary.get("channel"),
            "kind": summary.get("kind"),
            "category": summary.get("category"),
            "product": summary.get("product"),
            "priority": summary.get("priority"),
            "closed_at": completed,
            "status": status,
            "stage": stage,
            "reopen_count": 0,
            "escalations": 0,
            "process_version": version,
        }
    target = aliased(Instance)
    links = session.execute(
        select(Instance.reference, target.reference)
        .join(InstanceLink, InstanceLink.source_id == Instance.id)
        .join(target, InstanceLink.target_id == target.id)
        .where(in_period)
        .order_by(InstanceLink.created_at, InstanceLink.id)
    )
    for reference, linked in links:
        found = rows[reference].get("corrective_action")
        rows[reference]["corrective_action"] = f"{found}; {linked}" if found else linked
    events = session.execute(
        select(AuditEvent.chain, AuditEvent.at, AuditEvent.kind, AuditEvent.data)
        .where(
            AuditEvent.chain.in_(select(Instance.reference).where(in_period)),
            AuditEvent.kind.in_(
                ("task_completed", "element_completed", "message_received", "escalated")
            ),
        )
        .order_by(AuditEvent.chain, AuditEvent.seq)
        .execution_options(yield_per=2000)
    )
    for chain, at, kind, data in events:
        row = rows[chain]
        if kind == "escalated":
            row["escalations"] += 1
            continue
        for key, (_before, after) in ((data or {}).get("changes") or {}).items():
            if key in (ACKNOWLEDGED_KEY, ANSWERED_KEY) and after and key not in row:
                row[key] = at
            elif key == OUTCOME_KEY:
                row["outcome"] = after
            elif key == REMEDY_KEY:
                row["remedy"] = after
            elif key == REOPEN_KEY and isinstance(after, int):
                row["reopen_count"] = after
    return list(rows.values())
