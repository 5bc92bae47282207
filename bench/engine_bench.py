"""Engine benchmark: throughput, completion cost as an instance grows, stored bytes per complaint.

    .venv/bin/python bench/engine_bench.py [--complaints N] [--postgres URL]

Runs through engine.services exactly as the web UI does (one transaction per action), on a
fresh SQLite file in a temporary folder, and on PostgreSQL (own schema) when a URL is given.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import services
from engine.config import Settings
from engine.db import schema
from engine.db.models import AuditEvent, Instance
from engine.db.session import create_database_engine
from engine.services import Database, read_deployment_files

HERE = Path(__file__).resolve().parent


def open_database(url: str, instance_dir: Path) -> Database:
    settings = Settings.from_env(
        {"DOLEANCE_DATABASE_URL": url, "DOLEANCE_INSTANCE_DIR": str(instance_dir)}
    )
    engine = create_database_engine(url)
    schema.upgrade(engine)
    database = Database(engine, settings)
    services.ensure_builtin_roles(database.unit_of_work())
    services.create_user("bench", ["agent"], database.unit_of_work())
    files = read_deployment_files(HERE / "processes", HERE / "no-forms")
    services.deploy_version(files, "bench", database.unit_of_work())
    return database


def one_complaint(database: Database) -> str:
    uow = database.unit_of_work
    reference = services.start_instance("eight_tasks", {"amount": 10}, "bench", uow()).reference
    while True:
        tasks = services.list_tasks(uow(read_only=True), reference=reference)
        if not tasks:
            return reference
        services.complete_task(tasks[0].id, {"note": "ok"}, "bench", uow())


def throughput(database: Database, count: int) -> float:
    one_complaint(database)  # warm caches
    began = time.perf_counter()
    for _ in range(count):
        one_complaint(database)
    return count / (time.perf_counter() - began)


def completion_cost(database: Database, steps: int, samples: tuple[int, ...]) -> dict[int, float]:
    """Median ms of one completion around the given task numbers of one looping instance."""
    uow = database.unit_of_work
    reference = services.start_instance("loop", {}, "bench", uow()).reference
    timings: dict[int, list[float]] = {n: [] for n in samples}
    for number in range(1, steps + 1):
        (task,) = services.list_tasks(uow(read_only=True), reference=reference)
        began = time.perf_counter()
        services.complete_task(task.id, {"done": number == steps}, "bench", uow())
        elapsed = (time.perf_counter() - began) * 1000
        for sample in samples:
            if sample - 5 < number <= sample + 5:
                timings[sample].append(elapsed)
    return {n: statistics.median(values) for n, values in timings.items()}


def stored_bytes(database: Database, url: str) -> dict[str, float]:
    with database.unit_of_work(read_only=True) as uow:
        closed = uow.session.scalar(
            select(func.count())
            .select_from(Instance)
            .where(Instance.status == "completed", Instance.process_id == "eight_tasks")
        )
        state = uow.session.scalar(
            select(func.avg(func.length(Instance.state))).where(
                Instance.process_id == "eight_tasks"
            )
        )
        events = uow.session.scalar(select(func.count()).select_from(AuditEvent)) / max(closed, 1)
        if url.startswith("sqlite"):
            pages = uow.session.execute(text("PRAGMA page_count")).scalar()
            size = uow.session.execute(text("PRAGMA page_size")).scalar()
            total = pages * size
        else:
            total = uow.session.execute(
                text(
                    "SELECT sum(pg_total_relation_size(c.oid)) "
                    "FROM pg_class c JOIN pg_namespace n ON n.oid = "
                    "c.relnamespace WHERE n.nspname = current_schema() "
                    "AND c.relkind = 'r'"
                )
            ).scalar()
    return {
        "closed": closed,
        "state_bytes": float(state or 0),
        "events": events,
        "db_bytes_per_closed": total / max(closed, 1),
    }


def run(label: str, url: str, complaints: int, loop_steps: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        if url == "sqlite":
            url = f"sqlite:///{folder}/bench.db"
        database = open_database(url, Path(folder))
        rate = throughput(database, complaints)
        cost = completion_cost(database, loop_steps, (10, loop_steps - 10))
        storage = stored_bytes(database, url)
        database.dispose()
    early, late = cost[10], cost[loop_steps - 10]
    print(f"[{label}]")
    print(f"  end-to-end complaints (8 user tasks each): {rate:.1f} /s over {complaints}")
    print(
        f"  one completion at task 10: {early:.2f} ms; at task {loop_steps - 10}: {late:.2f} ms"
        f"  (ratio {late / early:.2f})"
    )
    print(
        f"  per closed complaint: {storage['db_bytes_per_closed'] / 1024:.1f} KiB in the database"
        f" (workflow state {storage['state_bytes'] / 1024:.1f} KiB compressed,"
        f" {storage['events']:.0f} audit events)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=200)
    parser.add_argument("--loop-steps", type=int, default=310)
    parser.add_argument("--postgres", help="also run on this PostgreSQL URL (own schema)")
    args = parser.parse_args()
    run("SQLite", "sqlite", args.complaints, args.loop_steps)
    if args.postgres:
        schema_name = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_database_engine(args.postgres)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema_name}"'))
        try:
            separator = "&" if "?" in args.postgres else "?"
            url = f"{args.postgres}{separator}options=-csearch_path%3D{schema_name}"
            run("PostgreSQL", url, args.complaints, args.loop_steps)
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema_name}" CASCADE'))


if __name__ == "__main__":
    main()
