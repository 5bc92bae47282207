"""Functions diagrams may call from conditions, scripts and timer expressions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from engine import clock


def _now() -> datetime:
    return clock.now()


def _in_days(days: float) -> str:
    """A UTC ISO instant ``days`` from now, for timer expressions."""
    return (clock.now() + timedelta(days=days)).isoformat()


def _iso(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("give an instant with a time zone")
    return value.astimezone(UTC).isoformat()


BASE_HELPERS: dict[str, Callable] = {
    "now": _now,
    "in_days": _in_days,
    "iso": _iso,
    "timedelta": timedelta,
    "Decimal": Decimal,
    "make_date": date,
}


def build_helpers(extra: dict[str, Callable] | None = None) -> dict[str, Callable]:
    return {**BASE_HELPERS, **(extra or {})}
