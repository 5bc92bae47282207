"""The timer scheduler: every due timer fires once, on time, across restarts and processes.

:class:`TimerFirer` does the work, without threads: it claims due timer rows (a conditional
UPDATE; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so schedulers never wait for each other)
and fires their instances through ``services.fire_due_timers``, one transaction each.
:class:`TimerScheduler` drives it with APScheduler: a date job at the next due instant,
and a watch job that polls the indexed "next due" query, so timers other processes write
are picked up within one poll interval.

Exactly once: a claim shares the work out between schedulers, and the engine's lock on the
instance row plus the workflow state make a second attempt at a timer fire nothing. A claim
left by a crashed scheduler expires and the timer is claimed again. A timer whose firing
fails stays claimed until a retry instant that backs off as the timer gets later.

Run ``python -m engine.scheduler.scheduler`` (or ``doleance scheduler``) for a scheduler process.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from engine import clock, services
from engine.db.models import Instance, Timer
from engine.errors import DoleanceError, NotFound
from engine.messages.outbox import SEND_INTERVAL_SECONDS
from engine.services import Database, TimerView

logger = logging.getLogger(__name__)

FIRE_JOB = "fire-due-timers"
WATCH_JOB = "watch-next-due"
OUTBOX_JOB = "send-due-messages"


@dataclass(frozen=True)
class ClaimedTimer:
    id: int
    reference: str
    bpmn_id: str
    due_at: datetime


def default_name() -> str:
    """How a scheduler signs its claims unless told otherwise: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


class TimerFirer:
    """Claims due timers and fires their instances, oldest first."""

    def __init__(
        self,
        database: Database,
        name: str | None = None,
        claim_seconds: float = 30.0,
        batch_size: int = 20,
        first_retry_seconds: float = 5.0,
        last_retry_seconds: float = 3600.0,
    ):
        self.database = database
        self.name = name or default_name()
        self.claim_duration = timedelta(seconds=claim_seconds)
        self.batch_size = batch_size
        self.first_retry = timedelta(seconds=first_retry_seconds)
        self.last_retry = timedelta(seconds=last_retry_seconds)
        self.stopping = threading.Event()

    def fire_due(self) -> list[TimerView]:
        """Fire every timer due now, in due order, until none is left; returns those fired."""
        fired: list[TimerView] = []
        while not self.stopping.is_set():
            batch = self.claim_due()
            groups = _by_instance(batch)
            for position, (reference, timers) in enumerate(groups):
                if self.stopping.is_set():
                    self._release([t for _, rest in groups[position:] for t in rest])
                    break
                fired.extend(self._fire_instance(reference, timers))
            if len(batch) < self.batch_size:
                break  # everything due when the batch was claimed is done
        return fired

    def claim_due(self) -> list[ClaimedTimer]:
        """Claim up to a batch of due timers (and timers whose claim expired), oldest first."""
        now = clock.now()
        with self.database.unit_of_work() as uow:
            chosen = dict(
                uow.session.execute(
                    select(Timer.id, Instance.reference)
                    .join(Instance, Instance.id == Timer.instance_id)
                    .where(_claimable(Timer, now))
                    .order_by(Timer.due_at, Timer.id)
                    .limit(self.batch_size)
                    .with_for_update(of=Timer, skip_locked=True)
                ).all()
            )
            if not chosen:
                return []
            claimed = uow.session.execute(
                update(Timer)
                .where(Timer.id.in_(chosen), _claimable(Timer, now))
                .values(
                    state="firing",
                    claimed_by=self.name,
                    claim_expires_at=now + self.claim_duration,
                )
                .returning(Timer.id, Timer.bpmn_id, Timer.due_at),
                execution_options={"synchronize_session": False},
            ).all()
            uow.commit()
        timers = [ClaimedTimer(row.id, chosen[row.id], row.bpmn_id, row.due_at) for row in claimed]
        return sorted(timers, key=lambda t: (t.due_at, t.id))

    def next_due(self) -> datetime | None:
        """When something is next to do: the earliest pending timer or claim expiry."""
        with self.database.unit_of_work(read_only=True) as uow:
            pending = uow.session.scalar(
                select(func.min(Timer.due_at)).where(Timer.state == "pending")
            )
            claim_ends = uow.session.scalar(
                select(func.min(Timer.claim_expires_at)).where(Timer.state == "firing")
            )
        return min((t for t in (pending, claim_ends) if t is not None), default=None)

    def retry_own_claims(self) -> int:
        """Make this name's claims claimable now: a scheduler restarted under the same name
        does not wait for the claims its killed predecessor left to expire."""
        with self.database.unit_of_work() as uow:
            result = uow.session.execute(
                update(Timer)
                .where(Timer.state == "firing", Timer.claimed_by == self.name)
                .values(claim_expires_at=clock.now())
            )
            uow.commit()
        return result.rowcount

    def _fire_instance(self, reference: str, timers: list[ClaimedTimer]) -> list[TimerView]:
        try:
            fired = services.fire_due_timers(reference, self.database.unit_of_work())
        except NotFound:
            return []  # the instance was deleted, and its timers with it
        except Exception as exc:  # one failing instance must never stop the scheduler
            self._retry_later(reference, timers, exc)
            return []
        for timer in fired:
            lateness = (timer.fired_at - timer.due_at).total_seconds()
            logger.info(
                "timer fired: %s %s (%s) due %s fired %s late %.3f s",
                reference,
                timer.bpmn_id,
                f"{timer.clock} {timer.clock_role}" if timer.clock else "no clock",
                timer.due_at.isoformat(),
                timer.fired_at.isoformat(),
                lateness,
            )
        fired_ids = {t.id for t in fired}
        if any(t.id not in fired_ids for t in timers):
            self._retry_later(reference, timers, None)
        return fired

    def _retry_later(
        self, reference: str, timers: list[ClaimedTimer], error: Exception | None
    ) -> None:
        """Keep the timers claimed until a retry instant that doubles as they get later."""
        now = clock.now()
        delay = min(max(now - timers[0].due_at, self.first_retry), self.last_retry)
        try:
            with self.database.unit_of_work() as uow:
                held = uow.session.scalars(
                    update(Timer)
                    .where(
                        Timer.id.in_([t.id for t in timers]),
                        Timer.state == "firing",
                        Timer.claimed_by == self.name,
                    )
                    .values(claim_expires_at=now + delay)
                    .returning(Timer.bpmn_id),
                    execution_options={"synchronize_session": False},
                ).all()
                uow.commit()
        except SQLAlchemyError:
            logger.exception("could not postpone the timers of %s; their claim expires", reference)
            return
        if not held:
            return
        what = ", ".join(sorted(held))
        seconds = delay.total_seconds()
        if error is None:
            logger.warning(
                "timer %s of %s was due but did not fire; retrying in %.0f s",
                what,
                reference,
                seconds,
            )
        elif isinstance(error, DoleanceError | SQLAlchemyError):
            logger.warning(
                "timer %s of %s failed: %s; retrying in %.0f s", what, reference, error, seconds
            )
        else:
            logger.error(
                "timer %s of %s failed; retrying in %.0f s",
                what,
                reference,
                seconds,
                exc_info=error,
            )

    def _release(self, timers: list[ClaimedTimer]) -> None:
        """Give back claims this scheduler will not work on (it is stopping)."""
        with self.database.unit_of_work() as uow:
            uow.session.execute(
                update(Timer)
                .where(
                    Timer.id.in_([t.id for t in timers]),
                    Timer.state == "firing",
                    Timer.claimed_by == self.name,
                )
                .values(state="pending", claimed_by=None, claim_expires_at=None),
                execution_options={"synchronize_session": False},
            )
            uow.commit()


def _claimable(timer, now: datetime):
    """Pending and due (the engine fires a timer strictly after its instant), or a lapsed claim."""
    return or_(
        and_(timer.state == "pending", timer.due_at < now),
        and_(timer.state == "firing", timer.claim_expires_at <= now),
    )


def _by_instance(batch: list[ClaimedTimer]) -> list[tuple[str, list[ClaimedTimer]]]:
    """A due-ordered batch grouped per instance, instances in the order of their first timer."""
    groups: dict[str, list[ClaimedTimer]] = {}
    for timer in batch:
        groups.setdefault(timer.reference, []).append(timer)
    return list(groups.items())


class TimerScheduler:
    """APScheduler around a :class:`TimerFirer`: fires at the next due instant, polls for more.

    The date job always sits at the earliest pending timer (or claim expiry) known; the
    watch job re-reads that instant every ``poll_seconds`` and moves the date job earlier
    when another process wrote an earlier timer. Jobs never expire as misfired: a late
    job still runs, so no timer is dropped after a pause or an outage.
    """

    def __init__(self, firer: TimerFirer, poll_seconds: float = 0.5):
        self.firer = firer
        self.poll_seconds = poll_seconds
        self._scheduler = BackgroundScheduler(
            timezone="UTC", job_defaults={"misfire_grace_time": None, "coalesce": True}
        )
        self._pass_lock = threading.Lock()
        self._pass_wanted = threading.Event()
        self._database_reachable = True

    def start(self) -> None:
        recovered = self.firer.retry_own_claims()
        if recovered:
            logger.info("retrying %d timer(s) left claimed by %s", recovered, self.firer.name)
        self._scheduler.add_job(
            self._watch,
            "interval",
            seconds=self.poll_seconds,
            id=WATCH_JOB,
            max_instances=1,
        )
        if self.firer.database.settings.smtp_url:  # mail the outbox too (engine.messages.outbox)
            self._scheduler.add_job(
                services.send_pass,
                "interval",
                args=(self.firer.database,),
                seconds=SEND_INTERVAL_SECONDS,
                id=OUTBOX_JOB,
                max_instances=1,
            )
        self._scheduler.start()
        logger.info(
            "scheduler %s started: watching for due timers every %.2f s",
            self.firer.name,
            self.poll_seconds,
        )

    def shutdown(self) -> None:
        """Stop after the instance being fired; unstarted claims go back to the others."""
        self.firer.stopping.set()
        self._scheduler.shutdown(wait=True)
        logger.info("scheduler %s stopped", self.firer.name)

    def _watch(self) -> None:
        if self._pass_lock.locked():
            return  # the running pass plans the next one when it ends
        try:
            due = self.firer.next_due()
        except SQLAlchemyError as exc:
            self._report_database(exc)
            return
        self._report_database(None)
        planned = self._scheduler.get_job(FIRE_JOB)
        if due is not None and (planned is None or due < planned.next_run_time):
            self._plan(due)

    def _fire_pass(self) -> None:
        """Fire what is due, then plan the next pass; overlapping calls fold into one."""
        self._pass_wanted.set()
        while self._pass_wanted.is_set() and self._pass_lock.acquire(blocking=False):
            try:
                self._pass_wanted.clear()
                self.firer.fire_due()
                self._plan(self.firer.next_due())
            except SQLAlchemyError as exc:
                self._report_database(exc)  # the watch plans again once the database answers
            finally:
                self._pass_lock.release()

    def _plan(self, due: datetime | None) -> None:
        if due is None or self.firer.stopping.is_set():
            return
        self._scheduler.add_job(
            self._fire_pass,
            "date",
            run_date=due,
            id=FIRE_JOB,
            replace_existing=True,
            max_instances=10,  # a call made while a pass runs returns at once
        )

    def _report_database(self, error: SQLAlchemyError | None) -> None:
        """Log losing and regaining the database once each, not on every poll."""
        if error is not None and self._database_reachable:
            logger.error("database unreachable, timers wait: %s", error)
        elif error is None and not self._database_reachable:
            logger.info("database reachable again")
        self._database_reachable = error is None
