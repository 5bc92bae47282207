"""Timer scheduler benchmark: lateness, duplicates and misses under load, and after a crash.

    .venv/bin/python bench/timer_bench.py [--timers N] [--spread SECONDS] [--quick]
                                          [--postgres URL]

For each database (a fresh SQLite file; PostgreSQL in a schema of its own, dropped at the
end) and for one and two scheduler processes, it deploys tests/data/deadlines, starts the
schedulers (``python -m cli scheduler``), then starts N real complaints of the "wait"
process through ``services.start_instance`` (in two seeding processes, while the schedulers
already run), each waiting for a timer due at an instant spread evenly over SPREAD seconds.
Each setup runs twice: undisturbed, and with scheduler 1 killed (SIGKILL) half-way and
restarted under the same name two seconds later.

Lateness is ``fired_at - due_at`` of the timer rows (it includes firing the instance);
duplicates are ``timer_fired`` audit events beyond one per complaint; misses are timers
that never fired. Targets: p99 lateness <= 1 s, 0 duplicates, 0 misses.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from engine import clock, services
from engine.config import PROJECT_ROOT as ROOT
from engine.config import Settings
from engine.db import schema
from engine.db.models import AuditEvent, Instance, Timer
from engine.db.session import create_database_engine
from engine.services import Database, read_deployment_files

DEADLINES = ROOT / "tests" / "data" / "deadlines"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SEEDING_PROCESSES = 2
CLAIM_SECONDS = 5
RESTART_AFTER = 2.0


@dataclass(frozen=True)
class Outcome:
    database: str
    schedulers: int
    killed: bool
    timers: int
    seeding_seconds: float
    due_while_seeding: int
    lateness: list[float]
    duplicates: int
    misses: int
    outage_lateness: list[float]

    def row(self) -> str:
        ordered = sorted(self.lateness) or [float("nan")]
        p50 = statistics.median(ordered)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        notes = []
        if self.due_while_seeding:
            notes.append(f"due while seeding: {self.due_while_seeding}")
        if self.outage_lateness:
            notes.append(
                f"due while down: {len(self.outage_lateness)}, "
                f"max {max(self.outage_lateness):.2f} s"
            )
        outage = f"  ({'; '.join(notes)})" if notes else ""
        return (
            f"{self.database:<10} {self.schedulers:>2} {'kill+restart' if self.killed else '-':<12}"
            f" {self.timers:>6} {self.seeding_seconds:>7.1f} s"
            f" {p50:>7.3f} {p99:>7.3f} {ordered[-1]:>7.3f}"
            f" {self.duplicates:>5} {self.misses:>6}{outage}"
        )


HEADER = (
    f"{'database':<10} {'n':>2} {'disturbance':<12} {'timers':>6} {'seeding':>9}"
    f" {'p50 s':>7} {'p99 s':>7} {'max s':>7} {'dups':>5} {'misses':>6}"
)


# --- databases -------------------------------------------------------------------------------


def sqlite_database(workdir: Path) -> str:
    return f"sqlite:///{workdir / f'bench-{uuid.uuid4().hex[:8]}.db'}"


def postgres_schema(base_url: str) -> tuple[str, str] | None:
    """A new schema in the PostgreSQL database, or None when it cannot be reached."""
    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_database_engine(base_url)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{name}"'))
    except OperationalError as exc:
        print(f"PostgreSQL skipped: cannot connect to {base_url} ({exc.orig})")
        return None
    finally:
        admin.dispose()
    url = make_url(base_url)
    scoped = url.set(query={**url.query, "options": f"-csearch_path={name}"})
    return scoped.render_as_string(hide_password=False), name


def drop_schema(base_url: str, name: str) -> None:
    admin = create_database_engine(base_url)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
    admin.dispose()


def prepared(url: str) -> Database:
    engine = create_database_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    database = Database.from_settings(Settings.from_env({"DOLEANCE_DATABASE_URL": url}))
    files = read_deployment_files(DEADLINES, DEADLINES)
    services.deploy_version(files, "bench", database.unit_of_work())
    return database


# --- seeding ------------------------------------------------------------------------------


def seed_worker(url: str, dues: list[str], references: multiprocessing.Queue) -> None:
    """Start one "wait" complaint per due instant (one already too close moves to a second
    from now, so that it is still a timer when the complaint is saved)."""
    database = Database.from_settings(Settings.from_env({"DOLEANCE_DATABASE_URL": url}))
    started = []
    for due in dues:
        due_at = max(datetime.fromisoformat(due), clock.now() + timedelta(seconds=1))
        data = {"due_at": due_at.isoformat()}
        started.append(services.start_instance("wait", data, "bench", database.unit_of_work()))
    references.put([view.reference for view in started])
    database.dispose()


def seconds_per_start(database: Database) -> float:
    """How long one start takes, seeding alone (these complaints wait a day: not counted)."""
    far = (clock.now() + timedelta(days=1)).isoformat()
    began = time.perf_counter()
    for _ in range(20):
        services.start_instance("wait", {"due_at": far}, "bench", database.unit_of_work())
    return (time.perf_counter() - began) / 20


def seed(url: str, dues: list[datetime]) -> list[str]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    shares = [dues[n::SEEDING_PROCESSES] for n in range(SEEDING_PROCESSES)]
    workers = [
        context.Process(target=seed_worker, args=(url, [d.isoformat() for d in share], queue))
        for share in shares
    ]
    for worker in workers:
        worker.start()
    references = [reference for _ in workers for reference in queue.get()]
    for worker in workers:
        worker.join()
    return references


# --- schedulers -----------------------------------------------------------------------------


class Scheduler:
    def __init__(self, url: str, name: str, log_path: Path):
        self.url, self.name, self.log_path = url, name, log_path
        self.popen: subprocess.Popen | None = None

    def start(self) -> None:
        env = {**os.environ, "DOLEANCE_DATABASE_URL": self.url}
        command = [
            sys.executable,
            "-m",
            "cli",
            "scheduler",
            "--name",
            self.name,
            "--claim-seconds",
            str(CLAIM_SECONDS),
        ]
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        while "watching for due timers" not in self.log_path.read_text(errors="replace"):
            if self.popen.poll() is not None:
                raise RuntimeError(f"scheduler {self.name} failed; see {self.log_path}")
            time.sleep(0.05)

    def kill(self) -> None:
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait()
        with open(self.log_path, "a") as log:
            log.write("--- killed ---\n")

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            self.popen.wait(timeout=60)


# --- one run --------------------------------------------------------------------------------


def run(
    label: str,
    url: str,
    schedulers: int,
    kill: bool,
    timers: int,
    spread: float,
    logs: Path,
    seeding_pace: float | None,
) -> Outcome:
    """One run; ``seeding_pace`` is the seconds per start seen in an earlier run, so that
    the first timer falls due once seeding is over."""
    database = prepared(url)
    running = [
        Scheduler(url, f"bench-{n}", logs / f"{label}-{schedulers}-{kill}-{n}.log")
        for n in range(1, schedulers + 1)
    ]
    try:
        for scheduler in running:
            scheduler.start()
        pace = seeding_pace or seconds_per_start(database)
        first_due = clock.now() + timedelta(seconds=timers * pace * 1.3 + 5)
        dues = [first_due + timedelta(seconds=spread * n / timers) for n in range(timers)]
        began = time.perf_counter()
        references = seed(url, dues)
        seeding_seconds = time.perf_counter() - began
        due_while_seeding = sum(1 for due in dues if due < clock.now())
        outage = None
        if kill:
            sleep_until(first_due + timedelta(seconds=spread / 2))
            down_at = clock.now()
            running[0].kill()
            time.sleep(RESTART_AFTER)
            running[0].start()
            outage = (down_at, clock.now())
        wait_for_all(database, references, dues[-1] + timedelta(seconds=60 + CLAIM_SECONDS))
    finally:
        for scheduler in running:
            scheduler.stop()
    outcome = measure(
        database, label, schedulers, kill, references, seeding_seconds, due_while_seeding, outage
    )
    database.dispose()
    return outcome


def sleep_until(instant: datetime) -> None:
    time.sleep(max(0.0, (instant - clock.now()).total_seconds()))


def wait_for_all(database: Database, references: list[str], give_up: datetime) -> None:
    while clock.now() < give_up:
        with database.unit_of_work(read_only=True) as uow:
            waiting = uow.session.scalar(
                select(func.count())
                .select_from(Timer)
                .join(Instance)
                .where(Instance.reference.in_(references), Timer.state.in_(("pending", "firing")))
            )
        if not waiting:
            return
        time.sleep(0.5)


def measure(
    database: Database,
    label: str,
    schedulers: int,
    kill: bool,
    references: list[str],
    seeding_seconds: float,
    due_while_seeding: int,
    outage: tuple[datetime, datetime] | None,
) -> Outcome:
    wanted = set(references)
    with database.unit_of_work(read_only=True) as uow:
        rows = uow.session.execute(
            select(Instance.reference, Timer.state, Timer.due_at, Timer.fired_at).join(Timer)
        ).all()
        fired_events = dict(
            uow.session.execute(
                select(AuditEvent.chain, func.count())
                .where(AuditEvent.kind == "timer_fired")
                .group_by(AuditEvent.chain)
            ).all()
        )
    fired = [row for row in rows if row.reference in wanted and row.state == "fired"]
    lateness = [(row.fired_at - row.due_at).total_seconds() for row in fired]
    in_outage = [
        (row.fired_at - row.due_at).total_seconds()
        for row in fired
        if outage is not None and outage[0] <= row.due_at <= outage[1]
    ]
    duplicates = sum(max(0, fired_events.get(reference, 0) - 1) for reference in wanted)
    misses = sum(1 for reference in wanted if fired_events.get(reference, 0) == 0)
    return Outcome(
        label,
        schedulers,
        kill,
        len(wanted),
        seeding_seconds,
        due_while_seeding,
        lateness,
        duplicates,
        misses,
        in_outage,
    )


# --- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timers", type=int, help="timers per run (default 10000)")
    parser.add_argument("--spread", type=float, help="seconds the due instants span (120)")
    parser.add_argument("--quick", action="store_true", help="2000 timers over 30 s")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="PostgreSQL URL")
    args = parser.parse_args()
    timers = args.timers or (2000 if args.quick else 10_000)
    spread = args.spread or (30.0 if args.quick else 120.0)

    logs = Path(tempfile.mkdtemp(prefix="timer-bench-"))
    print(f"{timers} timers due over {spread:.0f} s per run; scheduler logs in {logs}")
    print(HEADER, flush=True)
    pace: dict[str, float] = {}
    for schedulers in (1, 2):
        for kill in (False, True):
            url = sqlite_database(logs)
            outcome = run("sqlite", url, schedulers, kill, timers, spread, logs, pace.get("sqlite"))
            pace["sqlite"] = outcome.seeding_seconds / timers
            print(outcome.row(), flush=True)
    for schedulers in (1, 2):
        for kill in (False, True):
            scoped = postgres_schema(args.postgres)
            if scoped is None:
                return
            url, name = scoped
            try:
                outcome = run(
                    "postgresql", url, schedulers, kill, timers, spread, logs, pace.get("pg")
                )
            finally:
                drop_schema(args.postgres, name)
            pace["pg"] = outcome.seeding_seconds / timers
            print(outcome.row(), flush=True)


if __name__ == "__main__":
    main()
