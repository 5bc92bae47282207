"""The auditor's search: complaints by reference, customer, dates, stage, category, priority,
or a missed deadline; one page at a time, newest first."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, or_, select

from engine.bpmn.diagrams import diagrams_of
from engine.db.models import Instance, Timer
from engine.errors import InvalidInput
from engine.runtime import (
    COMPLAINT_PROCESS,
    CORRECTIVE_ACTION_PROCESS,
    DEFAULT_PRIORITY_LEVELS,
    UnitOfWork,
    latest_version,
    policy_of,
)
from engine.trail.exports import local_midnight


@dataclass(frozen=True)
class TraceSearch:
    """What an auditor looks for; every criterion left empty matches everything."""

    text: str | None = None  # part of the reference, or of the customer's name or e-mail
    received_from: date | None = None  # local dates, both included
    received_to: date | None = None
    stage: str | None = None
    category: str | None = None
    priority: str | None = None
    breached: bool = False  # only those whose breach timer fired (a deadline was missed)
    process_id: str | None = COMPLAINT_PROCESS


@dataclass(frozen=True)
class SearchHit:
    reference: str
    process_id: str
    status: str
    stage: str | None
    created_at: datetime
    completed_at: datetime | None
    customer_name: str | None
    category: str | None
    priority: str | None
    breached: bool


def search_instances(
    criteria: TraceSearch, uow: UnitOfWork, limit: int = 50, offset: int = 0
) -> tuple[list[SearchHit], int]:
    """One page of matching instances, newest first, and how many match in all.

    The page's rows come in one query, each with whether a deadline was breached (a correlated
    EXISTS on the timer rows, indexed by instance, computed for those rows only); newest first
    is the primary key's order, so nothing is sorted. A second query counts the matches, unless
    the first page is not full (its rows are then all the matches).
    """
    check_range(criteria.received_from, criteria.received_to, limit=None)
    with uow:
        conditions = list(_search_conditions(criteria, ZoneInfo(uow.settings.time_zone)))
        summary = Instance.summary
        rows = uow.session.execute(
            select(
                Instance.reference,
                Instance.process_id,
                Instance.status,
                Instance.stage,
                Instance.created_at,
                Instance.completed_at,
                summary["customer_name"].as_string(),
                summary["category"].as_string(),
                summary["priority"].as_string(),
                _breached_clause(),
            )
            .where(*conditions)
            .order_by(Instance.id.desc())
            .limit(limit)
            .offset(offset)
        ).all()
        if offset == 0 and len(rows) < limit:
            total = len(rows)
        else:
            total = uow.session.scalar(
                select(func.count()).select_from(Instance).where(*conditions)
            )
        return [SearchHit(*row) for row in rows], total


@dataclass(frozen=True)
class SearchOptions:
    """The choices the search form offers, from the newest deployed version."""

    processes: list[tuple[str, str]]  # (process id, name) of the instances one can look for
    stages: list[str]  # the milestones of its diagrams
    priorities: list[str]


def search_options(uow: UnitOfWork) -> SearchOptions:
    with uow:
        version = latest_version(uow)
        if version is None:
            return SearchOptions([], [], list(DEFAULT_PRIORITY_LEVELS))
        diagrams = diagrams_of(version)
        processes = [
            (process_id, diagrams[process_id].name or process_id)
            for process_id in (COMPLAINT_PROCESS, CORRECTIVE_ACTION_PROCESS)
            if process_id in diagrams
        ]
        stages = [
            element.name
            for diagram in diagrams.values()
            for element in diagram.elements.values()
            if element.type == "intermediateThrowEvent" and not element.trigger and element.name
        ]
        levels = policy_of(version).value("priority.levels", DEFAULT_PRIORITY_LEVELS)
        return SearchOptions(processes, list(dict.fromkeys(stages)), list(levels))


def _breached_clause():
    return exists().where(
        Timer.instance_id == Instance.id,
        Timer.clock_role == "breach",
        Timer.state == "fired",
    )


def _search_conditions(criteria: TraceSearch, zone: ZoneInfo) -> Iterator:
    summary = Instance.summary
    if criteria.process_id:
        yield Instance.process_id == criteria.process_id
    if criteria.text and criteria.text.strip():
        needle = criteria.text.strip().lower()
        yield or_(
            func.lower(Instance.reference).contains(needle, autoescape=True),
            func.lower(summary["customer_name"].as_string()).contains(needle, autoescape=True),
            func.lower(summary["customer_email"].as_string()).contains(needle, autoescape=True),
        )
    if criteria.received_from:
        yield Instance.created_at >= local_midnight(criteria.received_from, zone)
    if criteria.received_to:
        yield Instance.created_at < local_midnight(criteria.received_to + timedelta(days=1), zone)
    if criteria.stage:
        yield Instance.stage == criteria.stage
    if criteria.category:
        yield func.lower(summary["category"].as_string()) == criteria.category.strip().lower()
    if criteria.priority:
        yield summary["priority"].as_string() == criteria.priority
    if criteria.breached:
        yield _breached_clause()


def check_range(start: date | None, end: date | None, limit: int | None) -> None:
    if start and end and start > end:
        raise InvalidInput(
            f"the period starts ({start.isoformat()}) after it ends ({end.isoformat()})",
            {"to": ["must be on or after the start date"]},
            code="range_reversed",
        )
    if limit is not None and start and end and (end - start).days + 1 > limit:
        raise InvalidInput(
            f"the period is longer than {limit} days; export it in several parts",
            {"to": [f"at most {limit} days after the start date"]},
            code="range_too_long",
        )
