"""Timers and deadlines: firing the timers that are due, and where each clock of a complaint
stands (the scheduler fires; pages and reports read the clocks)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select

from engine import clock
from engine.db.models import Instance, Timer
from engine.errors import NotFound
from engine.rules import clocks
from engine.rules.clocks import ClockView
from engine.runtime import (
    TimerView,
    UnitOfWork,
    cancel_waiting_timers,
    load_complaint,
    restore_workflow,
    run_step,
    save_run,
)
from engine.trail.events import SCHEDULER_ACTOR


def fire_due_timers(
    reference: str, uow: UnitOfWork, actor: str = SCHEDULER_ACTOR
) -> list[TimerView]:
    """Fire every timer of the complaint that is due now; returns the timers that fired."""
    with uow:
        instance = load_complaint(uow, reference, lock=True)
        if instance.status != "running":
            cancel_waiting_timers(uow, instance)
            uow.commit()
            return []
        running = run_step(uow, instance, actor, lambda: restore_workflow(uow, instance, actor))
        events = run_step(uow, instance, actor, running.fire_due_timers)
        fired = save_run(uow, instance, running, events, actor)
        uow.commit()
        return [TimerView.of(t, reference) for t in fired]


def due_timer_references(uow: UnitOfWork, until: datetime | None = None) -> list[str]:
    """References of running instances with a pending timer due by ``until`` (default now)."""
    until = until or clock.now()
    with uow:
        rows = uow.session.execute(
            select(Instance.reference, func.min(Timer.due_at))
            .join(Timer, Timer.instance_id == Instance.id)
            .where(Timer.state == "pending", Timer.due_at < until)  # fires strictly after
            .group_by(Instance.reference)
            .order_by(func.min(Timer.due_at))
        )
        return [ref for ref, _ in rows]


def instance_clocks(reference: str, uow: UnitOfWork) -> list[ClockView]:
    """The clocks of one complaint, by name."""
    found = clocks_by_reference([reference], uow)
    if reference not in found:
        raise NotFound(f"no complaint with reference '{reference}'")
    return found[reference]


def clocks_by_reference(references: Iterable[str], uow: UnitOfWork) -> dict[str, list[ClockView]]:
    """The clocks of several complaints in one query (for lists and reports)."""
    with uow:
        return clocks.clocks_by_reference(uow.session, references)
