"""The append-only, hash-chained audit trail and its verification."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import clock
from engine.db.models import AuditEvent, Instance
from engine.trail.events import EVENT_KINDS

SYSTEM_CHAIN = "system"
GENESIS = "0" * 64


def event_hash(
    prev_hash: str,
    chain: str,
    seq: int,
    at: datetime,
    actor: str,
    kind: str,
    process_id: str | None,
    element_id: str | None,
    element_name: str | None,
    data: dict,
) -> str:
    """SHA-256 over the previous hash and a canonical JSON of the event's content."""
    content = json.dumps(
        [
            chain,
            seq,
            at.isoformat(timespec="microseconds"),
            actor,
            kind,
            process_id,
            element_id,
            element_name,
            data,
        ],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256((prev_hash + content).encode("utf-8")).hexdigest()


def append(
    session: Session,
    chain_owner: Instance | None,
    kind: str,
    actor: str,
    *,
    process_id: str | None = None,
    element_id: str | None = None,
    element_name: str | None = None,
    data: dict | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one event to an instance's chain (or the system chain when no instance).

    ``kind`` is one of :data:`engine.trail.events.EVENT_KINDS`: every screen words every kind.
    """
    if kind not in EVENT_KINDS:
        raise ValueError(f"'{kind}' is not an event kind of engine.trail.events")
    at = at or clock.now()
    data = data or {}
    if chain_owner is not None:
        chain, seq, prev = chain_owner.reference, chain_owner.audit_seq + 1, chain_owner.audit_head
        prev = prev or GENESIS
    else:
        chain = SYSTEM_CHAIN
        last = session.execute(
            select(AuditEvent.seq, AuditEvent.hash)
            .where(AuditEvent.chain == SYSTEM_CHAIN)
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        ).first()
        seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
    digest = event_hash(
        prev, chain, seq, at, actor, kind, process_id, element_id, element_name, data
    )
    event = AuditEvent(
        chain=chain,
        seq=seq,
        at=at,
        actor=actor,
        kind=kind,
        process_id=process_id,
        element_id=element_id,
        element_name=element_name,
        data=data,
        prev_hash=prev,
        hash=digest,
    )
    session.add(event)
    if chain_owner is not None:
        chain_owner.audit_seq, chain_owner.audit_head = seq, digest
    return event


@dataclass(frozen=True)
class ChainBreak:
    chain: str
    seq: int
    reason: str
    problem: str = "altered"  # missing, unlinked, altered, truncated, orphaned (for screens)

    def __str__(self) -> str:
        return f"{self.chain}: event #{self.seq}: {self.reason}"


def verify_chain(
    session: Session, chain: str, expected_head: tuple[int, str] | None
) -> ChainBreak | None:
    """Recompute a chain; return its first broken link, or None when it is intact.

    ``expected_head`` is the (seq, hash) the owning instance recorded for its last event,
    which also catches the deletion of the newest events.
    """
    prev, expected_seq = GENESIS, 1
    rows = session.execute(
        select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)
    ).scalars()
    for event in rows:
        if event.seq != expected_seq:
            return ChainBreak(
                chain, expected_seq, f"missing (next event found is #{event.seq})", "missing"
            )
        if event.prev_hash != prev:
            return ChainBreak(chain, event.seq, "does not link to the previous event", "unlinked")
        digest = event_hash(
            prev,
            chain,
            event.seq,
            event.at,
            event.actor,
            event.kind,
            event.process_id,
            event.element_id,
            event.element_name,
            event.data,
        )
        if digest != event.hash:
            return ChainBreak(
                chain, event.seq, "content was altered after it was recorded", "altered"
            )
        prev, expected_seq = event.hash, expected_seq + 1
    if expected_head is not None:
        head_seq, head_hash = expected_head
        if head_seq != expected_seq - 1 or (head_seq and head_hash != prev):
            return ChainBreak(
                chain,
                expected_seq,
                f"the trail ends at #{expected_seq - 1} but the complaint "
                f"recorded #{head_seq} as its last event",
                "truncated",
            )
    return None


def verify(session: Session, reference: str | None = None) -> list[ChainBreak]:
    """Verify one instance's chain, or every chain (each instance's and the system chain)."""
    query = select(Instance.reference, Instance.audit_seq, Instance.audit_head)
    if reference is not None:
        query = query.where(Instance.reference == reference)
    breaks = []
    for ref, seq, head in session.execute(query.order_by(Instance.id)):
        broken = verify_chain(session, ref, (seq, head))
        if broken:
            breaks.append(broken)
    if reference is None:
        orphans = session.execute(
            select(AuditEvent.chain, func.count())
            .where(AuditEvent.chain != SYSTEM_CHAIN)
            .where(~AuditEvent.chain.in_(select(Instance.reference)))
            .group_by(AuditEvent.chain)
        ).all()
        breaks.extend(
            ChainBreak(chain, 1, f"{count} events belong to no complaint", "orphaned")
            for chain, count in orphans
        )
        broken = verify_chain(session, SYSTEM_CHAIN, None)
        if broken:
            breaks.append(broken)
    return breaks


@dataclass(frozen=True)
class ChainCheck:
    """Whether a chain verifies; where it breaks if it does not."""

    reference: str
    events: int
    head: str
    broken_at: int | None = None
    problem: str | None = None  # missing, unlinked, altered, truncated
    reason: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def chain_events(session: Session, chain: str) -> list[AuditEvent]:
    """The events of one chain (a complaint's reference, or ``system``), in order."""
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)
        )
    )


def chain_check(session: Session, instance: Instance) -> ChainCheck:
    """The same check as ``doleance audit verify REF``, as screens and exports state it."""
    breaks = verify(session, instance.reference)
    events = instance.audit_seq
    if not breaks:
        return ChainCheck(instance.reference, events, instance.audit_head)
    broken = breaks[0]
    return ChainCheck(
        instance.reference,
        events,
        instance.audit_head,
        broken.seq,
        broken.problem,
        broken.reason,
    )
