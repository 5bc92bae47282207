"""The one clock all engine code reads. Tests freeze or advance it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_frozen_at: datetime | None = None


def now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return _frozen_at if _frozen_at is not None else datetime.now(UTC)


def freeze(at: datetime) -> None:
    """Stop the clock at ``at`` (aware); used by tests and simulations."""
    global _frozen_at
    if at.tzinfo is None:
        raise ValueError("the clock needs a timezone-aware instant")
    _frozen_at = at.astimezone(UTC)


def advance(delta: timedelta) -> datetime:
    """Move a frozen clock forward and return the new instant."""
    if _frozen_at is None:
        raise RuntimeError("advance() needs a frozen clock; call freeze() first")
    freeze(_frozen_at + delta)
    return now()


def unfreeze() -> None:
    global _frozen_at
    _frozen_at = None
