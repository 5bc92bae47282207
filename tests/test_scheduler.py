"""The scheduler fires every timer once, on time, across restarts and processes.

The first tests drive a TimerFirer in this process with the frozen clock. The others run
real scheduler processes (``python -m engine.scheduler.scheduler``, ``doleance serve``) against the
test database, in real time.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import clock, services
from engine.config import PROJECT_ROOT
from engine.db.models import AuditEvent, Timer
from engine.rules.clocks import ClockView
from engine.scheduler.scheduler import TimerFirer
from engine.services import instance_clocks, read_deployment_files
from tests.conftest import DATA, START

DEADLINES = DATA / "deadlines"
ON_POSTGRESQL = os.environ.get("DOLEANCE_TEST_DATABASE_URL", "").startswith("postgresql")


@pytest.fixture
def deadline_processes(database, uow):
    """The diagrams of tests/data/deadlines deployed with their policy, and one agent."""
    services.ensure_builtin_roles(uow())
    services.create_user("alice", ["agent"], uow())
    return services.deploy_version(read_deployment_files(DEADLINES, DEADLINES), "tester", uow())


def start_waiting(uow, due_at: datetime) -> str:
    """A complaint whose only step is to wait until ``due_at``."""
    return services.start_instance("wait", {"due_at": due_at.isoformat()}, "alice", uow()).reference


def events_of(uow, reference: str, kind: str) -> list:
    return [e for e in services.instance_history(reference, uow()) if e.kind == kind]


def fired_count(database) -> int:
    with database.unit_of_work(read_only=True) as check:
        return check.session.scalar(
            select(func.count()).select_from(Timer).where(Timer.state == "fired")
        )


def timer_fired_per_complaint(database) -> dict[str, int]:
    with database.unit_of_work(read_only=True) as check:
        rows = check.session.execute(
            select(AuditEvent.chain, func.count())
            .where(AuditEvent.kind == "timer_fired")
            .group_by(AuditEvent.chain)
        )
        return dict(rows.all())


# --- firing in this process, clock frozen ---------------------------------------------------


def test_a_due_timer_fires_once(deadline_processes, uow, database, frozen_clock):
    reference = start_waiting(uow, START + timedelta(seconds=1))
    frozen_clock.advance(timedelta(seconds=2))
    firer = TimerFirer(database)

    first, second = firer.fire_due(), firer.fire_due()

    assert [(t.reference, t.bpmn_id, t.state) for t in first] == [(reference, "until_due", "fired")]
    assert second == []
    assert len(events_of(uow, reference, "timer_fired")) == 1
    assert services.get_instance(reference, uow()).status == "completed"


def test_a_timer_waits_until_it_is_due(deadline_processes, uow, database, frozen_clock):
    reference = start_waiting(uow, START + timedelta(minutes=5))
    frozen_clock.advance(timedelta(minutes=4))

    assert TimerFirer(database).fire_due() == []
    assert [t.state for t in services.instance_timers(reference, uow())] == ["pending"]


def test_after_downtime_every_overdue_timer_fires_once_in_due_order(
    deadline_processes, uow, database, frozen_clock
):
    dues = [START + timedelta(minutes=minutes) for minutes in (30, 10, 50, 20, 40)]
    references = [start_waiting(uow, due) for due in dues]
    frozen_clock.advance(timedelta(hours=2))

    fired = TimerFirer(database, batch_size=2).fire_due()

    assert [t.due_at for t in fired] == sorted(dues)
    assert timer_fired_per_complaint(database) == dict.fromkeys(references, 1)


def test_a_claim_left_by_a_crashed_scheduler_is_retried_once_it_expires(
    deadline_processes, uow, database, frozen_clock
):
    reference = start_waiting(uow, START + timedelta(seconds=1))
    frozen_clock.advance(timedelta(seconds=2))
    crashed = TimerFirer(database, name="crashed", claim_seconds=30)
    survivor = TimerFirer(database, name="survivor")

    assert [t.reference for t in crashed.claim_due()] == [reference]  # then it dies
    assert survivor.fire_due() == []
    frozen_clock.advance(timedelta(seconds=30))

    assert [t.reference for t in survivor.fire_due()] == [reference]
    assert len(events_of(uow, reference, "timer_fired")) == 1


def test_a_scheduler_restarted_under_its_name_retries_its_claims_at_once(
    deadline_processes, uow, database, frozen_clock
):
    reference = start_waiting(uow, START + timedelta(seconds=1))
    frozen_clock.advance(timedelta(seconds=2))
    TimerFirer(database, name="scheduler-1", claim_seconds=30).claim_due()
    restarted = TimerFirer(database, name="scheduler-1")

    assert restarted.retry_own_claims() == 1
    assert [t.reference for t in restarted.fire_due()] == [reference]


def test_a_failing_timer_is_retried_later_with_growing_delays_not_in_a_hot_loop(
    deadline_processes, uow, database, frozen_clock, caplog
):
    due = START + timedelta(seconds=1)
    reference = services.start_instance(
        "fragile_timer", {"due_at": due.isoformat(), "amount": 1, "divisor": 0}, "alice", uow()
    ).reference
    firer = TimerFirer(database, first_retry_seconds=5)
    frozen_clock.advance(timedelta(seconds=2))

    with caplog.at_level(logging.WARNING, logger="engine.scheduler.scheduler"):
        assert firer.fire_due() == []
        assert firer.fire_due() == []  # too early to try again
        frozen_clock.advance(timedelta(seconds=5))
        assert firer.fire_due() == []

    assert len(events_of(uow, reference, "error")) == 2
    retries = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert len(retries) == 2
    assert "division by zero" in retries[0]
    assert retries[0].endswith("retrying in 5 s")
    assert retries[1].endswith("retrying in 6 s")  # the later the timer, the longer the wait
    assert [t.state for t in services.instance_timers(reference, uow())] == ["firing"]


# --- deadline clocks ------------------------------------------------------------------------

ANSWER_WARNING = datetime.fromisoformat("2026-12-10T15:23:59+00:00")  # 80 % of the time
ANSWER_DUE = datetime.fromisoformat("2026-12-14T22:59:59+00:00")  # 15 business days, Paris


def answer_clock(uow, reference: str) -> ClockView:
    (view,) = instance_clocks(reference, uow())
    return view


def test_an_unanswered_complaint_runs_then_is_due_soon_then_breaches(
    deadline_processes, uow, database, frozen_clock
):
    reference = services.start_instance("answer_clock", {}, "alice", uow()).reference
    firer = TimerFirer(database)

    running = answer_clock(uow, reference)
    frozen_clock.freeze(ANSWER_WARNING + timedelta(seconds=1))
    firer.fire_due()
    due_soon = answer_clock(uow, reference)
    frozen_clock.freeze(ANSWER_DUE + timedelta(seconds=1))
    firer.fire_due()
    breached = answer_clock(uow, reference)

    assert (running.name, running.state) == ("answer", "running")
    assert (running.warning_at, running.due_at) == (ANSWER_WARNING, ANSWER_DUE)
    assert due_soon.state == "due_soon"
    assert (breached.state, breached.breached_at) == ("breached", ANSWER_DUE + timedelta(seconds=1))
    fired = events_of(uow, reference, "timer_fired")
    assert [(e.data["clock"], e.data["clock_role"]) for e in fired] == [
        ("answer", "warning"),
        ("answer", "breach"),
    ]


def test_an_answer_after_the_warning_but_before_the_deadline_meets_the_clock(
    deadline_processes, uow, database, frozen_clock
):
    reference = services.start_instance("answer_clock", {}, "alice", uow()).reference
    frozen_clock.freeze(ANSWER_WARNING + timedelta(days=1))
    TimerFirer(database).fire_due()

    (task,) = services.list_tasks(uow(), reference=reference)
    services.complete_task(task.id, {}, "alice", uow())

    assert answer_clock(uow, reference).state == "met"


# --- real scheduler processes ---------------------------------------------------------------


class Process:
    """A command run against the test database; its output goes to a log file."""

    def __init__(self, command: list[str], settings, log_path):
        self.log_path = log_path
        env = {
            **os.environ,
            "DOLEANCE_DATABASE_URL": settings.database_url,
            "DOLEANCE_INSTANCE_DIR": str(settings.instance_dir),
        }
        with open(log_path, "wb") as log:
            self.popen = subprocess.Popen(
                command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            self.popen.wait(timeout=20)

    def kill(self) -> None:
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=20)


@pytest.fixture
def run(settings, tmp_path):
    """Start commands against the test database; all are killed at the end of the test."""
    started: list[Process] = []

    def start(*arguments: str) -> Process:
        process = Process(list(arguments), settings, tmp_path / f"process-{len(started)}.log")
        started.append(process)
        return process

    yield start
    for process in started:
        if process.popen.poll() is None:
            process.kill()


def scheduler_command(*options: str) -> list[str]:
    return [sys.executable, "-m", "cli", "scheduler", *options]


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Poll until ``condition`` holds; fail saying what never happened."""
    give_up = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > give_up:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(0.05)


def wait_for_start(process: Process) -> None:
    wait_until(
        lambda: "watching for due timers" in process.log() or process.popen.poll() is not None,
        "the scheduler to start",
    )
    assert process.popen.poll() is None, process.log()


def test_a_scheduler_process_fires_a_timer_due_in_one_second_once(
    deadline_processes, uow, database, frozen_clock, run
):
    frozen_clock.unfreeze()
    reference = start_waiting(uow, clock.now() + timedelta(seconds=1))

    scheduler = run(*scheduler_command())
    wait_until(lambda: fired_count(database) == 1, "the timer to fire")
    scheduler.stop()

    (timer,) = services.instance_timers(reference, uow())
    assert timer.state == "fired"
    assert timer.fired_at > timer.due_at
    assert timer_fired_per_complaint(database) == {reference: 1}
    assert f"timer fired: {reference} until_due" in scheduler.log()


def test_a_running_scheduler_picks_up_a_timer_another_process_wrote(
    deadline_processes, uow, database, frozen_clock, run
):
    frozen_clock.unfreeze()
    scheduler = run(*scheduler_command())
    wait_for_start(scheduler)

    reference = start_waiting(uow, clock.now() + timedelta(milliseconds=300))

    wait_until(lambda: fired_count(database) == 1, "the timer to fire")
    scheduler.stop()
    assert timer_fired_per_complaint(database) == {reference: 1}


def test_a_scheduler_killed_mid_run_and_restarted_fires_every_overdue_timer_once(
    deadline_processes, uow, database, frozen_clock, run
):
    frozen_clock.unfreeze()
    references = [start_waiting(uow, clock.now() + timedelta(seconds=1)) for _ in range(150)]
    wait_until(lambda: clock.now() > last_due(database), "every timer to be overdue")

    first = run(*scheduler_command("--claim-seconds", "1"))
    wait_until(lambda: fired_count(database) >= 30, "the first timers to fire")
    first.kill()
    second = run(*scheduler_command("--claim-seconds", "1"))
    wait_until(lambda: fired_count(database) == 150, "every timer to fire")
    second.stop()

    assert timer_fired_per_complaint(database) == dict.fromkeys(references, 1)


def last_due(database) -> datetime:
    with database.unit_of_work(read_only=True) as check:
        return check.session.scalar(select(func.max(Timer.due_at)))


@pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="needs PostgreSQL: set DOLEANCE_TEST_DATABASE_URL=postgresql+psycopg://…",
)
def test_two_schedulers_on_postgresql_fire_each_of_500_timers_exactly_once(
    deadline_processes, uow, database, frozen_clock, run
):
    frozen_clock.unfreeze()
    schedulers = [run(*scheduler_command("--name", f"scheduler-{n}")) for n in (1, 2)]
    for scheduler in schedulers:
        wait_for_start(scheduler)

    references = [start_waiting(uow, clock.now() + timedelta(seconds=1)) for _ in range(500)]

    wait_until(lambda: fired_count(database) == 500, "every timer to fire", timeout=60)
    for scheduler in schedulers:
        scheduler.stop()
    assert timer_fired_per_complaint(database) == dict.fromkeys(references, 1)
    fired_by = [scheduler.log().count("timer fired: ") for scheduler in schedulers]
    assert sum(fired_by) == 500
    assert min(fired_by) > 0, f"one scheduler did all the work: {fired_by}"


def test_the_web_process_runs_a_scheduler_by_default(
    deadline_processes, uow, database, frozen_clock, run
):
    frozen_clock.unfreeze()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    doleance = str(Path(sys.executable).parent / "doleance")
    web = run(doleance, "serve", "--port", str(port))
    wait_for_start(web)

    reference = start_waiting(uow, clock.now() + timedelta(milliseconds=300))

    wait_until(lambda: fired_count(database) == 1, "the web process to fire the timer")
    web.stop()
    assert timer_fired_per_complaint(database) == {reference: 1}
