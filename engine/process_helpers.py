"""Domain functions diagrams call while a complaint runs (they read and write in its transaction).

Each is bound to a :class:`ProcessContext`: the running instance, its policy and the open
database session, so what a helper does commits or rolls back with the user's action.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit, clock
from engine.config import Settings
from engine.models import Instance, InstanceLink
from engine.policy import Policy


@dataclass
class ProcessContext:
    session: Session
    settings: Settings
    instance: Instance
    policy: Policy
    actor: str
    start_instance: Callable[[str, Mapping[str, Any]], str]  # returns the new reference


def domain_helpers(ctx: ProcessContext) -> dict[str, Callable]:
    def start_process(process_id: str, data: Mapping[str, Any] | None = None) -> str:
        """Start another process (e.g. a corrective action) and link it to this instance."""
        reference = ctx.start_instance(process_id, dict(data or {}))
        link_to(reference, process_id)
        return reference

    def link_to(reference: str, kind: str) -> None:
        """Record that this instance relates to instance ``reference`` (idempotent)."""
        target = ctx.session.scalar(select(Instance).where(Instance.reference == reference))
        if target is None:
            raise ValueError(f"no instance with reference '{reference}'")
        exists = ctx.session.scalar(
            select(InstanceLink.id).where(
                InstanceLink.source_id == ctx.instance.id,
                InstanceLink.target_id == target.id,
                InstanceLink.kind == kind,
            )
        )
        if exists is None:
            ctx.session.add(
                InstanceLink(
                    source_id=ctx.instance.id,
                    target_id=target.id,
                    kind=kind,
                    created_at=clock.now(),
                    created_by=ctx.actor,
                )
            )
            audit.append(
                ctx.session, ctx.instance, "linked", ctx.actor, data={"to": reference, "kind": kind}
            )

    return {"start_process": start_process, "link_to": link_to}
