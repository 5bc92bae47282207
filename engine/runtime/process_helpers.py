"""Domain functions diagrams call while a complaint runs (they read and write in its transaction).

Each is bound to a :class:`ProcessContext`: the running instance, its policy and the unit of
work of the user's action, so what a helper does commits or rolls back with that action
(:func:`engine.runtime.complaints.script_helpers` builds them for a complaint).
Helpers return plain JSON values (they end up in task data and in service-task results).

Complaints are instances of the process ``complaint``; their category, product, kind and
customer e-mail are read from ``Instance.summary`` (a JSON column), which works the same on
SQLite and PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from engine import clock
from engine.bpmn.script_helpers import build_helpers
from engine.db.models import AuditEvent, Instance, InstanceLink
from engine.rules.business_calendar import parse_instant
from engine.rules.policy import Policy
from engine.runtime.unit_of_work import UnitOfWork

COMPLAINT_PROCESS = "complaint"
CORRECTIVE_ACTION_PROCESS = "corrective_action"
CORRECTIVE_ACTION_LINK = "corrective_action"
DEFAULT_PRIORITY_LEVELS = ("low", "normal", "high", "critical")


@dataclass
class ProcessContext:
    uow: UnitOfWork
    instance: Instance
    policy: Policy
    actor: str
    start_instance: Callable[[str, Mapping[str, Any]], str]  # returns the new reference

    @property
    def session(self) -> Session:
        return self.uow.session


def domain_helpers(ctx: ProcessContext) -> dict[str, Callable[..., Any]]:
    def start_process(process_id: str, data: Mapping[str, Any] | None = None) -> str:
        """Start another process (e.g. a corrective action) and link it to this instance."""
        reference = ctx.start_instance(process_id, dict(data or {}))
        link_to(reference, process_id)
        return reference

    def link_to(reference: str, kind: str) -> None:
        """Record that this instance relates to instance ``reference`` (idempotent)."""
        _link(ctx, ctx.instance, _by_reference(ctx.session, reference), kind)

    def link_complaints(references: Iterable[str], target: str) -> int:
        """Link each complaint in ``references`` to instance ``target`` (e.g. a corrective
        action); returns how many links are new."""
        target_instance = _by_reference(ctx.session, target)
        return sum(
            _link(ctx, _by_reference(ctx.session, ref), target_instance, CORRECTIVE_ACTION_LINK)
            for ref in references
        )

    def similar_complaints(
        category: str, product: str, kind: str = "complaint", since: str | None = None
    ) -> dict[str, Any]:
        """Complaints with this category and product received within the recurrence window
        (or since ``since``), this one included, and the corrective action open for them."""
        window_days = int(ctx.policy.value("recurrence.window_days"))
        start = _instant(ctx, since) if since else clock.now() - timedelta(days=window_days)
        query = (
            _complaints_query()
            .where(
                Instance.created_at >= start,
                Instance.summary["category"].as_string() == category,
                Instance.summary["product"].as_string() == product,
                Instance.summary["kind"].as_string() == kind,
            )
            .order_by(Instance.created_at, Instance.id)
        )
        references = [i.reference for i in ctx.session.scalars(query)]
        current = ctx.instance
        if (
            current.process_id == COMPLAINT_PROCESS
            and current.created_at >= start
            and current.reference not in references
        ):
            references.append(current.reference)  # its summary is saved after this step
        return {
            "count": len(references),
            "references": references,
            "window_days": window_days,
            "since": start.isoformat(),
            "threshold": int(ctx.policy.value("recurrence.threshold")),
            "open_action": _open_corrective_action(ctx.session, category, product),
        }

    def earlier_complaints() -> list[dict[str, Any]]:
        """The complaints the same customer (same e-mail address) made before this one."""
        email = (ctx.instance.summary or {}).get("customer_email")
        if not email:
            return []
        query = (
            _complaints_query()
            .where(
                Instance.id != ctx.instance.id,
                Instance.created_at <= ctx.instance.created_at,
                Instance.summary["customer_email"].as_string() == email,
            )
            .order_by(Instance.created_at.desc(), Instance.id.desc())
        )
        return [_describe(i) for i in ctx.session.scalars(query)]

    def linked_complaints() -> list[dict[str, Any]]:
        """The complaints linked to this instance (a corrective action), oldest first."""
        return [_describe(i) for i in _linked_sources(ctx)]

    def report_to_linked_complaints(outcome: str) -> list[str]:
        """Write this corrective action's outcome into each linked complaint's record: the
        link carries it, and the complaint's audit trail gets a ``corrective_action_closed``
        event. Returns the references reported to."""
        now = clock.now()
        reported = []
        for link, complaint in _links_to_this(ctx):
            link.data = {**(link.data or {}), "outcome": outcome, "closed_at": now.isoformat()}
            ctx.uow.record(
                complaint,
                "corrective_action_closed",
                ctx.actor,
                process_id=ctx.instance.process_id,
                data={"corrective_action": ctx.instance.reference, "outcome": outcome},
                at=now,
            )
            reported.append(complaint.reference)
        return reported

    def escalate(clock_name: str, priority: str | None) -> dict[str, Any]:
        """A deadline was breached: the priority one level up (``priority.levels`` in the
        policy), recorded as an ``escalated`` audit event."""
        levels = list(ctx.policy.value("priority.levels", DEFAULT_PRIORITY_LEVELS))
        if priority in levels:
            raised = levels[min(levels.index(priority) + 1, len(levels) - 1)]
        else:
            raised = ctx.policy.value("priority.unassessed_raised_to", levels[-2])
        escalation = {"clock": clock_name, "from": priority, "to": raised}
        ctx.uow.record(
            ctx.instance,
            "escalated",
            ctx.actor,
            process_id=ctx.instance.process_id,
            data=escalation,
        )
        return escalation

    def escalated_priority(priority: str | None) -> str | None:
        """``priority``, or the level an earlier escalation of this complaint raised it to if
        that is higher: an assessment never undoes an escalation."""
        levels = list(ctx.policy.value("priority.levels", DEFAULT_PRIORITY_LEVELS))
        raised = ctx.session.scalars(
            select(AuditEvent.data).where(
                AuditEvent.chain == ctx.instance.reference, AuditEvent.kind == "escalated"
            )
        )
        candidates = [priority, *(data.get("to") for data in raised)]
        known = [p for p in candidates if p in levels]
        return max(known, key=levels.index) if known else priority

    def record_decision(decision: str, reason: str) -> dict[str, Any]:
        """Record a decision with its reason and who took it (the person whose action runs
        this step), as a ``decision_recorded`` audit event; returns what was recorded."""
        if not reason or not str(reason).strip():
            raise ValueError(f"the decision '{decision}' needs a reason")
        record = {
            "decision": decision,
            "reason": str(reason).strip(),
            "decided_by": ctx.actor,
            "decided_at": clock.now().isoformat(),
        }
        ctx.uow.record(
            ctx.instance,
            "decision_recorded",
            ctx.actor,
            process_id=ctx.instance.process_id,
            data=record,
        )
        return record

    return {
        "start_process": start_process,
        "link_to": link_to,
        "link_complaints": link_complaints,
        "similar_complaints": similar_complaints,
        "earlier_complaints": earlier_complaints,
        "linked_complaints": linked_complaints,
        "report_to_linked_complaints": report_to_linked_complaints,
        "escalate": escalate,
        "escalated_priority": escalated_priority,
        "record_decision": record_decision,
    }


@functools.cache
def script_helper_names() -> frozenset[str]:
    """The names of the functions diagrams may call: those every running complaint gets (the
    base helpers, the policy's and the domain's), read from the functions that build them
    (their context is used only when they are called)."""
    unused: Any = None  # never called: only the names are read
    placeholder = ProcessContext(*[unused] * len(dataclasses.fields(ProcessContext)))
    return frozenset(build_helpers({**Policy().helpers(), **domain_helpers(placeholder)}))


# --- queries ---------------------------------------------------------------------------------


def _complaints_query() -> Select[Instance]:
    return select(Instance).where(Instance.process_id == COMPLAINT_PROCESS)


def _by_reference(session: Session, reference: str) -> Instance:
    instance = session.scalar(select(Instance).where(Instance.reference == reference))
    if instance is None:
        raise ValueError(f"no instance with reference '{reference}'")
    return instance


def _open_corrective_action(session: Session, category: str, product: str) -> str | None:
    """The oldest running corrective action for this category and product, if any."""
    return session.scalar(
        select(Instance.reference)
        .where(
            Instance.process_id == CORRECTIVE_ACTION_PROCESS,
            Instance.status == "running",
            Instance.summary["category"].as_string() == category,
            Instance.summary["product"].as_string() == product,
        )
        .order_by(Instance.created_at, Instance.id)
        .limit(1)
    )


def _links_to_this(ctx: ProcessContext) -> list[tuple[InstanceLink, Instance]]:
    rows = ctx.session.execute(
        select(InstanceLink, Instance)
        .join(Instance, InstanceLink.source_id == Instance.id)
        .where(
            InstanceLink.target_id == ctx.instance.id,
            InstanceLink.kind == CORRECTIVE_ACTION_LINK,
        )
        .order_by(Instance.created_at, Instance.id)
    )
    return [(link, source) for link, source in rows]


def _linked_sources(ctx: ProcessContext) -> list[Instance]:
    return [source for _link_row, source in _links_to_this(ctx)]


def _link(ctx: ProcessContext, source: Instance, target: Instance, kind: str) -> bool:
    """Link ``source`` to ``target`` once; both trails record it. True when the link is new."""
    exists = ctx.session.scalar(
        select(InstanceLink.id).where(
            InstanceLink.source_id == source.id,
            InstanceLink.target_id == target.id,
            InstanceLink.kind == kind,
        )
    )
    if exists is not None:
        return False
    ctx.session.add(
        InstanceLink(
            source_id=source.id,
            target_id=target.id,
            kind=kind,
            created_at=clock.now(),
            created_by=ctx.actor,
        )
    )
    ctx.uow.record(source, "linked", ctx.actor, data={"to": target.reference, "kind": kind})
    return True


def _describe(instance: Instance) -> dict[str, Any]:
    summary = instance.summary or {}
    return {
        "reference": instance.reference,
        "received_on": instance.created_at.date().isoformat(),
        "status": instance.status,
        "stage": instance.stage,
        "category": summary.get("category"),
        "product": summary.get("product"),
        "subject": summary.get("subject"),
        "priority": summary.get("priority"),
    }


def _instant(ctx: ProcessContext, value: str | datetime) -> datetime:
    return value if isinstance(value, datetime) else parse_instant(value, ctx.policy.calendar)
