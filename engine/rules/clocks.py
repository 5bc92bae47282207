"""Where each deadline clock of a complaint stands, read from its timer rows.

Diagrams mark their timer events with the spiff properties ``clock`` (the deadline's name)
and ``clock_role`` (``warning``, ``breach`` or ``reminder``); the engine copies them onto
the timer rows. A clock is

* ``running`` while its timers wait and its warning has not fired,
* ``due_soon`` once its warning fired and its breach timer still waits,
* ``breached`` once its breach timer fired (it stays breached, as regulators count it),
* ``met`` when nothing waits any more and the breach never fired.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db.models import Instance, Timer

WAITING_STATES = ("pending", "firing")


@dataclass(frozen=True)
class ClockView:
    name: str
    state: str  # running, due_soon, breached, met
    warning_at: datetime | None  # when the latest warning timer is (or was) due
    due_at: datetime | None  # when the latest breach timer is (or was) due
    breached_at: datetime | None  # when the breach timer fired


def clocks_by_reference(session: Session, references: Iterable[str]) -> dict[str, list[ClockView]]:
    """The clocks of several complaints in one query (for lists and reports), by reference;
    a reference no complaint has is left out."""
    references = list(references)
    known = session.scalars(select(Instance.reference).where(Instance.reference.in_(references)))
    rows = session.execute(
        select(Instance.reference, Timer)
        .join(Timer, Timer.instance_id == Instance.id)
        .where(Instance.reference.in_(references), Timer.clock.is_not(None))
        .order_by(Timer.id)
    ).all()
    timers: dict[str, dict[str, list[Timer]]] = {reference: {} for reference in known}
    for reference, timer in rows:
        timers[reference].setdefault(timer.clock, []).append(timer)
    return {
        reference: [clock_of(name, clock_timers) for name, clock_timers in sorted(clocks.items())]
        for reference, clocks in timers.items()
    }


def clock_of(name: str, timers: list[Timer]) -> ClockView:
    """One clock from its timers, oldest first."""
    warnings = [t for t in timers if t.clock_role == "warning"]
    breaches = [t for t in timers if t.clock_role == "breach"]
    breach_fired = next((t for t in breaches if t.state == "fired"), None)
    if breach_fired is not None:
        state = "breached"
    elif any(t.state in WAITING_STATES for t in timers):
        state = "due_soon" if any(t.state == "fired" for t in warnings) else "running"
    else:
        state = "met"
    return ClockView(
        name=name,
        state=state,
        warning_at=warnings[-1].due_at if warnings else None,
        due_at=breaches[-1].due_at if breaches else None,
        breached_at=breach_fired.fired_at if breach_fired else None,
    )
