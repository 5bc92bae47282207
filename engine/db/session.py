"""Database engine, SQLite tuning and the unit of work (one transaction per user action)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from engine.config import Settings

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


class Database:
    """An engine plus its session factory; one per process."""

    def __init__(self, engine: Engine, settings: Settings):
        self.engine = engine
        self.settings = settings
        self.session_factory = sessionmaker(bind=engine, expire_on_commit=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(create_database_engine(settings.database_url), settings)

    def unit_of_work(self, read_only: bool = False) -> UnitOfWork:
        return UnitOfWork(self, read_only=read_only)

    def dispose(self) -> None:
        self.engine.dispose()


class UnitOfWork:
    """One transaction: ``with uow: ...; uow.commit()``. Leaving without commit rolls back."""

    def __init__(self, database: Database, read_only: bool = False):
        self.database = database
        self.settings = database.settings
        self.read_only = read_only
        self.session: Session | None = None

    def __enter__(self) -> UnitOfWork:
        if self.session is not None:
            raise RuntimeError("this unit of work is already in use")
        self.session = self.database.session_factory()
        if self.read_only:
            self.session.connection(execution_options={READ_ONLY: True})
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()
            self.session = None

    def commit(self) -> None:
        self.session.commit()
