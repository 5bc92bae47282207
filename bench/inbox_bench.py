"""Inbox benchmark: 100,000 complaints, and an agent's inbox page timed over HTTP.

    .venv/bin/python bench/inbox_bench.py [--complaints N] [--requests N] [--keep DIR]
                                          [--database URL] [--postgres URL]

1. Load. A handful of complaints go through the real processes (``services.start_instance``
   and ``complete_task``, as in ``engine/demo.py``): one waiting at each ready task of the
   lanes Accueil, Conseiller and Superviseur, a corrective action waiting in Qualité, one
   waiting for the customer, two closed. Their rows are then cloned with bulk ``INSERT``s
   (SQLAlchemy Core, batches of 10,000, one transaction per 10,000 complaints) up to N
   instances: a new reference, customer, category and priority each; the whole timeline
   shifted to a new receipt date in the past year; task rows with fresh ids and varied
   claims; the timer rows; and about ten audit events sampled from the template's trail,
   re-chained with ``engine.trail.audit.event_hash`` so that ``doleance audit verify`` passes.
   About 80 % of the complaints are closed, 5 % wait for the customer and 15 % have one ready
   task; some of those are claimed by the agent measured, some by colleagues.
   A clone's workflow state is its template's: clones serve the inbox and the complaint
   file, but their task ids are not in that state, so their task pages cannot open them.
2. Measure. ``doleance serve --no-scheduler`` (waitress) serves the real app on a free port
   of 127.0.0.1; the agent signs in over HTTP (CSRF token from the login page, cookies) and
   GETs the inbox, a search by customer name, a search by reference and page 5, each
   WARM-UP times then N times, one request at a time. Target: p95 <= 50 ms on SQLite.

The SQLite database is a fresh file in a temporary folder, or DIR/inbox_bench.db with
``--keep DIR`` (a database that already holds complaints is measured without loading again).
``--database URL`` loads into (or reuses) that database instead; ``--postgres URL`` also runs
on PostgreSQL, in a schema of its own dropped at the end.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import math
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from cli.demo import CASES, DemoDesk  # the demo's desk brings a complaint to a stage
from engine import clock, services
from engine.config import PROJECT_ROOT, Settings
from engine.db import schema
from engine.db.models import AuditEvent, HumanTask, Instance, ReferenceCounter, Timer
from engine.db.session import create_database_engine
from engine.services import Database, UnitOfWork, read_deployment_files
from engine.trail import audit

AGENT = "alice"  # the agent whose inbox is measured (lanes Accueil and Conseiller)
PASSWORD = "bench"
COLLEAGUES = {
    "agent": [f"agent{n:02d}" for n in range(2, 9)],
    "supervisor": ["sam"],
    "quality": ["quinn"],
}
# fmt: off
FIRST_NAMES = [
    "Ana", "Bruno", "Chloé", "David", "Emma", "Farid", "Gaëlle", "Hugo", "Inès", "Jules",
    "Karima", "Léo", "Manon", "Nathan", "Océane", "Paul", "Quentin", "Rose", "Samir", "Théo",
    "Ursula", "Victor", "Wassim", "Yasmine", "Zoé", "Agathe", "Bastien", "Camille", "Dylan",
    "Élodie",
]
LAST_NAMES = [
    "Martin", "Lefèvre", "Dubois", "Moreau", "Laurent", "Benali", "Simon", "Michel", "Garcia",
    "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Leroy", "Roux", "Fournier",
    "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller",
    "Faure", "André", "Mercier", "Blanc",
]
# fmt: on
SEARCHED_CUSTOMER = "Chloé Dubois"
PRIORITIES = ("low", "low", "normal", "normal", "normal", "high")
TEAMS = {  # what processes/routing.dmn gives for each category
    "billing": "billing",
    "delivery": "logistics",
    "product_quality": "quality",
    "contract": "contracts",
    "customer_service": "customer_service",
}
# What the complaints are doing, as shares of all instances; each is cloned from the
# template of the same name (see make_templates).
SHARES = {
    "closed": 0.70,
    "dissatisfaction": 0.10,
    "waiting_for_customer": 0.05,
    "check_submission": 0.05,  # Accueil
    "assess": 0.035,  # Conseiller
    "decide": 0.03,  # Conseiller
    "approve": 0.015,  # Superviseur
    "corrective_action": 0.02,  # Qualité
}
# How often a ready task of a lane is claimed, as a repeating pattern of assignees
# (None: unclaimed): agents claim 8 % (the measured agent) and 12 % (colleagues).
CLAIMS = {
    "Accueil": [AGENT, AGENT, *COLLEAGUES["agent"][:3]] + [None] * 20,
    "Conseiller": [AGENT, AGENT, *COLLEAGUES["agent"][3:6]] + [None] * 20,
    "Superviseur": ["sam"] + [None] * 3,
    "Qualité": ["quinn"] + [None] * 3,
}
WAITING_AT = {  # the ready task of each template that has one
    "check_submission": "check_web_submission",
    "assess": "assess",
    "decide": "decide",
    "approve": "approve",
    "corrective_action": "decide_investigation",
}
CRITICAL = {"gravity": "critical", "complexity": "moderate", "repercussions": "individual"}
MAX_AGE_DAYS = {"open": 20, "waiting": 40, "closed": 365}  # how long ago clones came in
EVENTS_PER_CLONE = 10
BATCH = 10_000
WARM_UP = 20
TARGET_P95_MS = 50.0
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


# --- loading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """One instance made through the real processes, read back as table rows to clone."""

    instance: dict
    tasks: list[dict]
    timers: list[dict]
    events: list[dict]  # the sampled events, oldest first

    @property
    def kind(self) -> str:
        if self.tasks:
            return "open"
        return "waiting" if self.instance["status"] == "running" else "closed"


@dataclass(frozen=True)
class Contents:
    """What the database holds, counted after loading."""

    instances: int
    events: int
    timers: int
    tasks_by_lane: dict[str, int]
    claimed_by_agent: int

    @classmethod
    def of(cls, database: Database) -> Contents:
        with database.unit_of_work(read_only=True) as reading:
            session = reading.session

            def count(table) -> int:
                return session.scalar(select(func.count()).select_from(table))

            lanes = session.execute(
                select(HumanTask.lane, func.count())
                .group_by(HumanTask.lane)
                .order_by(HumanTask.lane)
            )
            claimed = select(HumanTask).where(HumanTask.assignee == AGENT).subquery()
            return cls(
                count(Instance),
                count(AuditEvent),
                count(Timer),
                {lane: n for lane, n in lanes},
                count(claimed),
            )


def open_database(url: str, instance_dir: Path) -> Database:
    engine = create_database_engine(url)
    schema.upgrade(engine)
    settings = Settings.from_env(
        {"DOLEANCE_DATABASE_URL": url, "DOLEANCE_INSTANCE_DIR": str(instance_dir)}
    )
    return Database(engine, settings)


def load(database: Database, complaints: int, seed: int = 2026) -> float | None:
    """Fill an empty database with ``complaints`` instances (see the module docstring).

    Returns the seconds it took, or None when the database already held instances.
    """
    uow = database.unit_of_work
    with uow(read_only=True) as reading:
        if reading.session.scalar(select(func.count()).select_from(Instance)):
            return None
    began = time.perf_counter()
    _organisation(uow)
    templates = make_templates(uow)
    cloner = _Cloner(database, templates, random.Random(seed))
    plan = cloner.plan(complaints - len(templates))
    for start in range(0, len(plan), BATCH):
        cloner.insert(plan[start : start + BATCH])
    cloner.finish()
    return time.perf_counter() - began


def _organisation(uow: Callable[[], UnitOfWork]) -> None:
    """The real processes, the agent measured (with a password) and their colleagues."""
    services.ensure_builtin_roles(uow())
    files = read_deployment_files(PROJECT_ROOT / "processes", PROJECT_ROOT / "forms")
    services.deploy_version(files, "bench", uow())
    services.create_user(AGENT, ["agent"], uow(), display_name="Alice Martin", password=PASSWORD)
    for role, usernames in COLLEAGUES.items():
        for username in usernames:
            services.create_user(username, [role], uow())


def make_templates(uow: Callable[[], UnitOfWork]) -> dict[str, Template]:
    """One instance per kind in SHARES, made through the real processes."""
    desk = DemoDesk(uow)
    references = {
        "check_submission": desk.complaint_up_to("received", 0),
        "assess": desk.complaint_up_to("qualified", 1),
        "decide": desk.complaint_up_to("assessed", 2),
        "waiting_for_customer": desk.complaint_up_to("answered", 3),
        "closed": desk.complaint_up_to("closed", 4),
        "dissatisfaction": desk.complaint_up_to("dissatisfaction", 5),
    }
    # A critical complaint: a supervisor approves the remedy, and a corrective action opens.
    critical = desk.complaint_up_to("qualified", 6)
    _complete(uow, critical, "assess", history_reviewed=True, **CRITICAL)
    rationale = "Préjudice important : geste au-delà de la délégation de l'agent."
    _complete(
        uow,
        critical,
        "decide",
        remedy="refund",
        remedy_amount="80.00",
        decision_rationale=rationale,
    )
    references["approve"] = critical
    with uow(read_only=True) as reading:
        references["corrective_action"] = reading.session.scalar(
            select(Instance.reference).where(Instance.process_id == "corrective_action")
        )
        templates = {name: _read(reading, ref) for name, ref in references.items()}
    for name, template in templates.items():
        waiting_at = [task["bpmn_id"] for task in template.tasks]
        if waiting_at != ([WAITING_AT[name]] if name in WAITING_AT else []):
            raise RuntimeError(f"template {name} waits at {waiting_at}: processes changed?")
    return templates


def _complete(uow: Callable[[], UnitOfWork], reference: str, bpmn_id: str, **data) -> None:
    (task,) = [t for t in services.list_tasks(uow(), reference=reference) if t.bpmn_id == bpmn_id]
    services.complete_task(task.id, data, AGENT, uow())


def _read(reading: UnitOfWork, reference: str) -> Template:
    def rows(table, where, order) -> list[dict]:
        found = reading.session.execute(select(table).where(where).order_by(order))
        return [dict(row._mapping) for row in found]

    (instance,) = rows(Instance.__table__, Instance.reference == reference, Instance.id)
    tasks = rows(HumanTask.__table__, HumanTask.instance_id == instance["id"], HumanTask.id)
    timers = rows(Timer.__table__, Timer.instance_id == instance["id"], Timer.id)
    events = rows(AuditEvent.__table__, AuditEvent.chain == reference, AuditEvent.seq)
    return Template(instance, tasks, timers, _sample(events, EVENTS_PER_CLONE))


def _sample(events: list[dict], count: int) -> list[dict]:
    """``count`` events spread evenly over the trail, its first and last included."""
    if len(events) <= count:
        return events
    return [events[round(n * (len(events) - 1) / (count - 1))] for n in range(count)]


class _Cloner:
    """Turns a plan into rows and inserts them, keeping ids, references and claims in step."""

    def __init__(self, database: Database, templates: dict[str, Template], rng: random.Random):
        self.database = database
        self.templates = templates
        self.rng = rng
        self.now = clock.now()
        with database.unit_of_work(read_only=True) as reading:
            session = reading.session
            self.next_id = session.scalar(select(func.max(Instance.id))) + 1
            self.counters = {
                (row.prefix, row.year): row.last
                for row in session.scalars(select(ReferenceCounter))
            }
        self.claims_made = Counter()  # per lane, to walk the CLAIMS patterns
        self.customers = [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES]

    def plan(self, clones: int) -> list[tuple[Template, datetime]]:
        """Each clone's template and receipt date, oldest first: exact SHARES (largest
        remainder), receipt dates drawn within MAX_AGE_DAYS of the template's kind."""
        total = sum(SHARES.values())
        exact = {name: clones * share / total for name, share in SHARES.items()}
        counts = {name: math.floor(value) for name, value in exact.items()}
        by_remainder = sorted(exact, key=lambda name: exact[name] - counts[name], reverse=True)
        for name in by_remainder[: clones - sum(counts.values())]:
            counts[name] += 1
        plan = []
        for name, count in counts.items():
            template = self.templates[name]
            max_age = MAX_AGE_DAYS[template.kind] * 86400
            for _ in range(count):
                age = timedelta(seconds=self.rng.uniform(3600, max_age))
                plan.append((template, self.now - age))
        return sorted(plan, key=lambda clone: clone[1])

    def insert(self, clones: list[tuple[Template, datetime]]) -> None:
        """One transaction: the clones' instances, tasks, timers and audit events."""
        instances, tasks, timers, events = [], [], [], []
        for template, received_at in clones:
            self._clone(template, received_at, instances, tasks, timers, events)
        with self.database.engine.begin() as connection:
            for table, rows in (
                (Instance.__table__, instances),
                (HumanTask.__table__, tasks),
                (Timer.__table__, timers),
                (AuditEvent.__table__, events),
            ):
                for start in range(0, len(rows), BATCH):
                    connection.execute(insert(table), rows[start : start + BATCH])

    def _clone(self, template: Template, received_at: datetime, instances, tasks, timers, events):
        source = template.instance
        shift = received_at - source["created_at"]
        instance_id, self.next_id = self.next_id, self.next_id + 1
        reference = self._reference(source["reference"], received_at.year)
        summary = self._summary(source["summary"])

        def moved(value: datetime | None) -> datetime | None:
            return None if value is None else value + shift

        prev, seq = audit.GENESIS, 0
        for event in template.events:
            seq += 1
            at = moved(event["at"])
            data = _with_customer(event["data"], summary) if seq == 1 else event["data"]
            content = [event[key] for key in ("actor", "kind", "process_id", "element_id")]
            content += [event["element_name"], data]
            digest = audit.event_hash(prev, reference, seq, at, *content)
            row = {**event, "chain": reference, "seq": seq, "at": at, "data": data}
            row.update(prev_hash=prev, hash=digest)
            del row["id"]
            events.append(row)
            prev = digest
        instances.append(
            {
                **source,
                "id": instance_id,
                "reference": reference,
                "summary": summary,
                "created_at": received_at,
                "updated_at": moved(source["updated_at"]),
                "completed_at": moved(source["completed_at"]),
                "audit_seq": seq,
                "audit_head": prev,
                "lock_version": 1,
            }
        )
        for task in template.tasks:
            assignee = self._assignee(task["lane"])
            created_at = moved(task["created_at"])
            tasks.append(
                {
                    **task,
                    "id": str(uuid.uuid4()),
                    "instance_id": instance_id,
                    "created_at": created_at,
                    "due_at": moved(task["due_at"]),
                    "assignee": assignee,
                    "claimed_at": created_at + timedelta(minutes=30) if assignee else None,
                }
            )
        for timer in template.timers:
            row = {
                **timer,
                "instance_id": instance_id,
                "due_at": moved(timer["due_at"]),
                "fired_at": moved(timer["fired_at"]),
                "claimed_by": None,
                "claim_expires_at": None,
            }
            del row["id"]
            timers.append(row)

    def _reference(self, template_reference: str, year: int) -> str:
        prefix = template_reference.split("-")[0]
        number = self.counters.get((prefix, year), 0) + 1
        self.counters[(prefix, year)] = number
        return f"{prefix}-{year}-{number:06d}"

    def _summary(self, template_summary: dict) -> dict:
        if "customer_name" not in template_summary:  # a corrective action
            return template_summary
        customer = self.rng.choice(self.customers)
        category, product, _remedy, subject, _description = self.rng.choice(CASES)
        summary = {
            **template_summary,
            "customer_name": customer,
            "customer_email": _email(customer),
            "category": category,
            "product": product,
            "subject": subject,
        }
        if "team" in summary:
            summary["team"] = TEAMS[category]
        if summary.get("priority") not in (None, "critical"):
            summary["priority"] = self.rng.choice(PRIORITIES)
        return summary

    def _assignee(self, lane: str) -> str | None:
        pattern = CLAIMS[lane]
        made = self.claims_made[lane]
        self.claims_made[lane] += 1
        return pattern[made % len(pattern)]

    def finish(self) -> None:
        """Move the reference counters (and PostgreSQL's id sequence) past the clones."""
        with self.database.unit_of_work() as writing:
            for (prefix, year), last in self.counters.items():
                writing.session.merge(ReferenceCounter(prefix=prefix, year=year, last=last))
            if writing.session.bind.dialect.name == "postgresql":
                writing.session.execute(
                    text(
                        "SELECT setval(pg_get_serial_sequence('instance', 'id'), "
                        "(SELECT max(id) FROM instance))"
                    )
                )
            writing.commit()
        if self.database.engine.dialect.name == "postgresql":  # as autovacuum soon would
            with self.database.engine.begin() as connection:
                for table in (Instance, HumanTask, Timer, AuditEvent):
                    connection.execute(text(f"ANALYZE {table.__tablename__}"))


def _with_customer(data: dict, summary: dict) -> dict:
    """The first event's copy of the complaint's data, with the clone's customer in it."""
    filed = data.get("data")
    if not isinstance(filed, dict) or "customer_name" not in filed:
        return data
    keys = ("customer_name", "customer_email", "category", "product", "subject")
    return {**data, "data": {**filed, **{key: summary[key] for key in keys if key in filed}}}


def _email(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return plain.lower().replace(" ", ".") + "@example.org"


def database_bytes(database: Database) -> int:
    with database.engine.connect() as connection:
        if database.engine.dialect.name == "sqlite":
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar()
            return pages * connection.exec_driver_sql("PRAGMA page_size").scalar()
        return connection.execute(
            text(
                "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind = 'r'"
            )
        ).scalar()


# --- measuring over HTTP ---------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    base_url: str
    pid: int

    def cpu_seconds(self) -> float | None:
        """CPU time the server process has used so far (None where /proc is missing)."""
        stat = Path(f"/proc/{self.pid}/stat")
        if not stat.exists():
            return None
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


@contextmanager
def serving(url: str, instance_dir: Path) -> Iterator[Server]:
    """``doleance serve --no-scheduler`` (waitress) on a free port of 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DOLEANCE_DATABASE_URL": url,
        "DOLEANCE_INSTANCE_DIR": str(instance_dir),
        "DOLEANCE_SECRET_KEY": secrets.token_hex(16),
    }
    command = [sys.executable, "-c", "from cli.main import main; main()", "serve"]
    command += ["--no-scheduler", "--host", "127.0.0.1", "--port", str(port)]
    log_path = instance_dir / "serve.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"the server stopped; see {log_path}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start; see {log_path}") from None
                time.sleep(0.1)
        yield Server(f"http://127.0.0.1:{port}", server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)


class Agent:
    """A person at a browser: a cookie jar, the CSRF token of the login form."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[str, str]:
        """The page's final address (after redirects) and its text."""
        with self.opener.open(self.base_url + path, timeout=30) as response:
            return response.url, response.read().decode("utf-8")

    def sign_in(self, username: str, password: str) -> None:
        _, page = self.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        form = {"csrf_token": token, "username": username, "password": password}
        body = urllib.parse.urlencode(form).encode()
        with self.opener.open(self.base_url + "/login", data=body, timeout=30) as response:
            if urllib.parse.urlsplit(response.url).path == "/login":
                raise RuntimeError(f"{username} could not sign in")

    def check(self, path: str, expected_total: int) -> None:
        """The page is the inbox and counts the tasks it should; then WARM_UP more GETs."""
        address, page = self.get(path)
        shown = re.search(r'class="count">\D*(\d+)', page)
        if urllib.parse.urlsplit(address).path != "/" or not shown:
            raise RuntimeError(f"{path} did not show the inbox (landed on {address})")
        if int(shown.group(1)) != expected_total:
            raise RuntimeError(f"{path} shows {shown.group(1)} tasks, expected {expected_total}")
        for _ in range(WARM_UP):
            self.get(path)

    def timings(self, path: str, count: int) -> list[float]:
        """Milliseconds of ``count`` GETs, one after the other."""
        result = []
        for _ in range(count):
            began = time.perf_counter()
            self.get(path)
            result.append((time.perf_counter() - began) * 1000)
        return result


@dataclass(frozen=True)
class Measure:
    database: str
    page: str
    tasks: int
    timings: list[float]
    server_cpu_ms: float | None  # the server's CPU time per request, mean

    def row(self) -> str:
        ordered = sorted(self.timings)
        p95 = ordered[math.ceil(len(ordered) * 0.95) - 1]
        cpu = "-" if self.server_cpu_ms is None else f"{self.server_cpu_ms:.1f}"
        verdict = "yes" if p95 <= TARGET_P95_MS else "NO"
        return (
            f"{self.database:<10} {self.page:<22} {self.tasks:>7,} {len(ordered):>8}"
            f" {statistics.median(ordered):>7.1f} {p95:>7.1f} {ordered[-1]:>7.1f}"
            f" {cpu:>7}  {verdict}"
        )


HEADER = (
    f"{'database':<10} {'page':<22} {'tasks':>7} {'requests':>8}"
    f" {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'cpu ms':>7}  p95 <= {TARGET_P95_MS:.0f} ms"
)


def pages_to_measure(database: Database) -> list[tuple[str, str, int]]:
    """(label, path, tasks the agent should see) of each page timed."""
    uow = database.unit_of_work
    with uow(read_only=True) as reading:
        reference = reading.session.scalar(
            select(Instance.reference)
            .join(HumanTask, HumanTask.instance_id == Instance.id)
            .where(HumanTask.lane == "Conseiller", HumanTask.assignee.is_(None))
            .order_by(Instance.id.desc())
            .limit(1)
        )
    reference_prefix = reference[:-2]  # e.g. REC-2026-0421: a hundred recent complaints

    def total(search: str | None = None) -> int:
        return services.count_tasks(
            uow(read_only=True), services.TaskFilter(user=AGENT, search=search)
        )

    quoted = urllib.parse.quote(SEARCHED_CUSTOMER)
    return [
        ("inbox /", "/", total()),
        (f"?q={SEARCHED_CUSTOMER}", f"/?q={quoted}", total(SEARCHED_CUSTOMER)),
        (f"?q={reference_prefix}", f"/?q={reference_prefix}", total(reference_prefix)),
        ("?page=5", "/?page=5", total()),
    ]


# --- one database ----------------------------------------------------------------------------


def run(label: str, url: str, complaints: int, requests: int, workdir: Path) -> list[Measure]:
    print(f"[{label}]")
    database = open_database(url, workdir)
    try:
        seconds = load(database, complaints)
        contents = Contents.of(database)
        size = database_bytes(database)
        pages = pages_to_measure(database)
    finally:
        database.dispose()
    lanes = ", ".join(f"{lane} {n:,}" for lane, n in contents.tasks_by_lane.items())
    if seconds is None:
        print("  the database already held instances: measuring only")
    else:
        print(f"  loaded in {seconds:.1f} s")
    print(
        f"  {contents.instances:,} instances, {contents.events:,} audit events,"
        f" {contents.timers:,} timer rows; {sum(contents.tasks_by_lane.values()):,} ready tasks"
        f" ({lanes}), {contents.claimed_by_agent:,} claimed by {AGENT}"
    )
    print(f"  database size: {size / 1024 / 1024:.1f} MiB")
    measures = []
    with serving(url, workdir) as server:
        agent = Agent(server.base_url)
        agent.sign_in(AGENT, PASSWORD)
        for page, path, tasks in pages:
            agent.check(path, tasks)
            cpu_before = server.cpu_seconds()
            timings = agent.timings(path, requests)
            cpu_after = server.cpu_seconds()
            cpu_ms = None if cpu_before is None else (cpu_after - cpu_before) * 1000 / requests
            measure = Measure(label, page, tasks, timings, cpu_ms)
            print(f"  {measure.row()}")
            measures.append(measure)
    return measures


@contextmanager
def postgres_schema(base_url: str) -> Iterator[str | None]:
    """A URL on a new schema of the PostgreSQL database (None when unreachable); dropped after."""
    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_database_engine(base_url)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{name}"'))
    except OperationalError as exc:
        print(f"PostgreSQL skipped: cannot connect to {base_url} ({exc.orig})")
        admin.dispose()
        yield None
        return
    url = make_url(base_url)
    scoped = url.set(query={**url.query, "options": f"-csearch_path={name}"})
    try:
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=100_000, help="instances to load")
    parser.add_argument("--requests", type=int, default=200, help="timed GETs per page")
    parser.add_argument("--keep", type=Path, help="keep the SQLite database in this folder")
    parser.add_argument("--database", help="use this database URL instead of a SQLite file")
    parser.add_argument(
        "--postgres", nargs="?", const=DEFAULT_POSTGRES, help="also run on PostgreSQL (own schema)"
    )
    args = parser.parse_args()
    if args.complaints < 100:
        parser.error("--complaints must be at least 100")
    measures = []
    with tempfile.TemporaryDirectory() as folder:
        workdir = args.keep or Path(folder)
        workdir.mkdir(parents=True, exist_ok=True)
        url = args.database or f"sqlite:///{workdir / 'inbox_bench.db'}"
        backend = make_url(url).get_backend_name()
        label = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(backend, backend)
        measures += run(label, url, args.complaints, args.requests, workdir)
        if args.postgres:
            with postgres_schema(args.postgres) as pg_url:
                if pg_url:
                    measures += run("PostgreSQL", pg_url, args.complaints, args.requests, workdir)
    load_1, load_5, _ = os.getloadavg()
    print()
    print(f"The inbox of {AGENT} (agent: lanes Accueil and Conseiller), one request at a time")
    print(f"over HTTP after {WARM_UP} warm-up requests; cpu ms: the server's CPU time per request;")
    print(
        f"load average at the end {load_1:.2f} (1 min), {load_5:.2f} (5 min), {os.cpu_count()} CPUs"
    )
    print(HEADER)
    for measure in measures:
        print(measure.row())


if __name__ == "__main__":
    main()
