"""The database engine, SQLite tuning, and what counts as a conflict between two transactions.

The unit of work (one transaction per user action) is :mod:`engine.runtime.unit_of_work`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

READ_ONLY = "doleance_read_only"


def create_database_engine(url: str, **options) -> Engine:
    """Create an engine; on SQLite, make the file's folder and turn on WAL and foreign keys."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        options.setdefault("connect_args", {}).setdefault("timeout", 30)
    engine = create_engine(url, **options)
    prepare_engine(engine)
    return engine


def prepare_engine(engine: Engine) -> None:
    """Install the SQLite behaviour the engine relies on (no-op for other databases).

    SQLite transactions that will write start with ``BEGIN IMMEDIATE``: writers queue on
    the busy timeout instead of failing later with "database is locked" when two
    requests read the same complaint and then both try to write it.
    """
    if engine.dialect.name != "sqlite" or getattr(engine, "_doleance_prepared", False):
        return
    engine._doleance_prepared = True

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def holds_nul(value: Any) -> bool:
    """True when ``value`` (a text, or texts inside lists, tuples and dicts, keys included)
    contains the NUL character, which PostgreSQL text cannot store."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(holds_nul(item) for item in value)
    return False


#: PostgreSQL's SQLSTATEs for a transaction that lost a race: serialization_failure,
#: deadlock_detected, lock_not_available.
_CONFLICT_STATES = frozenset({"40001", "40P01", "55P03"})


def is_conflict(error: BaseException) -> bool:
    """Whether ``error`` means another transaction changed the same rows at the same time.

    The optimistic version check failed (StaleDataError), a row appeared or vanished under a
    constraint (IntegrityError), PostgreSQL gave up on a lock, a deadlock or a serializable
    snapshot, or SQLite stayed locked past its busy timeout.
    """
    if isinstance(error, StaleDataError | IntegrityError):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if getattr(error.orig, "sqlstate", None) in _CONFLICT_STATES:
        return True
    text = str(error.orig).lower()
    return "database is locked" in text or "database table is locked" in text
