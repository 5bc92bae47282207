"""The trace of one complaint, for auditors: the exact path it took on its diagrams, its
timeline with the data each step changed, the messages it sent, its timers and the check of its
chain (and of the chains of the complaints it links to).

Everything is read from the audit trail (``AuditEvent``), completed by the projections that say
where a running complaint waits now (``HumanTask`` and ``Timer`` rows) and by the diagrams of
the process version it runs on (:mod:`engine.trail`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn.diagrams import diagram_file
from engine.db.models import Instance, InstanceLink, Timer
from engine.messages.outbox import MessageView, instance_messages
from engine.runtime import UnitOfWork, load_complaint
from engine.trail import audit
from engine.trail.audit import ChainCheck, chain_check, chain_events
from engine.trail.path import TracePath, linked_targets, trace_path
from engine.trail.timeline import TimelineEntry, timeline_of


def path_of(reference: str, uow: UnitOfWork) -> TracePath:
    """The path of an instance (and of the instances it links to), from its audit trail."""
    with uow:
        instance = load_complaint(uow, reference)
        return trace_path(uow.session, instance)


@dataclass(frozen=True)
class LinkView:
    reference: str
    process_id: str
    kind: str
    direction: str  # "to" (this instance links to it) or "from"
    status: str
    stage: str | None


@dataclass(frozen=True)
class TimerRow:
    id: int
    bpmn_id: str
    name: str
    attached_to: str | None
    clock: str | None
    clock_role: str | None
    due_at: datetime
    state: str
    fired_at: datetime | None


@dataclass(frozen=True)
class ComplaintTrace:
    reference: str
    process_id: str
    version: int
    status: str
    stage: str | None
    summary: dict
    created_at: datetime
    created_by: str
    completed_at: datetime | None
    path: TracePath
    timeline: list[TimelineEntry]
    messages: list[MessageView]
    timers: list[TimerRow]
    chains: list[ChainCheck]
    links: list[LinkView]

    @property
    def chain(self) -> ChainCheck:
        return self.chains[0]


def trace_of(reference: str, uow: UnitOfWork) -> ComplaintTrace:
    """Everything the trace page shows, read in one transaction (one consistent picture)."""
    with uow:
        session = uow.session
        instance = load_complaint(uow, reference)
        events = chain_events(session, reference)
        messages = instance_messages(session, instance.id, reference, uow.settings)
        links = _links(session, instance)
        checks = [chain_check(session, instance)]
        checks += [chain_check(session, i) for i in linked_targets(session, instance)]
        timers = session.scalars(
            select(Timer).where(Timer.instance_id == instance.id).order_by(Timer.due_at, Timer.id)
        )
        return ComplaintTrace(
            reference=instance.reference,
            process_id=instance.process_id,
            version=instance.process_version.number,
            status=instance.status,
            stage=instance.stage,
            summary=dict(instance.summary or {}),
            created_at=instance.created_at,
            created_by=instance.created_by,
            completed_at=instance.completed_at,
            path=trace_path(session, instance, events),
            timeline=timeline_of(events, messages),
            messages=messages,
            timers=[
                TimerRow(
                    t.id,
                    t.bpmn_id,
                    t.name,
                    t.attached_to,
                    t.clock,
                    t.clock_role,
                    t.due_at,
                    t.state,
                    t.fired_at,
                )
                for t in timers
            ],
            chains=checks,
            links=links,
        )


def diagram_of(reference: str, process_id: str, uow: UnitOfWork) -> tuple[str, str]:
    """(file name, XML) of the diagram of ``process_id`` in the version the instance runs on."""
    with uow:
        instance = load_complaint(uow, reference)
        return diagram_file(instance.process_version, process_id)


def check_chain(reference: str, uow: UnitOfWork) -> ChainCheck:
    """The same check as ``doleance audit verify REF``, as the trace page states it."""
    with uow:
        return chain_check(uow.session, load_complaint(uow, reference))


def _links(session: Session, instance: Instance) -> list[LinkView]:
    outgoing = session.execute(
        select(InstanceLink.kind, Instance)
        .join(Instance, InstanceLink.target_id == Instance.id)
        .where(InstanceLink.source_id == instance.id)
        .order_by(InstanceLink.created_at, Instance.id)
    )
    incoming = session.execute(
        select(InstanceLink.kind, Instance)
        .join(Instance, InstanceLink.source_id == Instance.id)
        .where(InstanceLink.target_id == instance.id)
        .order_by(InstanceLink.created_at, Instance.id)
    )
    return [
        LinkView(other.reference, other.process_id, kind, direction, other.status, other.stage)
        for direction, rows in (("to", outgoing), ("from", incoming))
        for kind, other in rows
    ]


def verify_audit(uow: UnitOfWork, reference: str | None = None) -> list[audit.ChainBreak]:
    """Recompute the hash chains (one complaint's, or every chain); the first break of each."""
    with uow:
        if reference is not None:
            load_complaint(uow, reference)
        return audit.verify(uow.session, reference)
