"""Shared fixtures: a real database per test run (SQLite, or PostgreSQL when asked), a frozen clock.

Set DOLEANCE_TEST_DATABASE_URL to a PostgreSQL URL to run the suite there; each run (and each
xdist worker) gets its own schema, dropped at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from engine import clock, services
from engine.config import Settings
from engine.db import schema
from engine.db.models import Base
from engine.db.session import create_database_engine
from engine.services import Database, read_deployment_files

DATA = Path(__file__).parent / "data"
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday


def _postgres_url(base_url: str, schema_name: str) -> str:
    url = make_url(base_url)
    return url.set(query={**url.query, "options": f"-csearch_path={schema_name}"}).render_as_string(
        hide_password=False
    )


@contextmanager
def fresh_database(directory: Path, prefix: str) -> Iterator[str]:
    """The URL of a database without even a schema: a SQLite file in ``directory``, or, when
    DOLEANCE_TEST_DATABASE_URL is set, a new PostgreSQL schema named from ``prefix`` (dropped
    at the end)."""
    base = os.environ.get("DOLEANCE_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{directory / 'doleance.db'}"
        return
    schema_name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_database_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema_name}"'))
    try:
        yield _postgres_url(base, schema_name)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema_name}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, worker_id):
    """A migrated, empty database for this test session."""
    with fresh_database(tmp_path_factory.mktemp("db"), f"t_{worker_id}") as url:
        engine = create_database_engine(url)
        schema.upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture(scope="session")
def worker_id(request):
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    return Settings.from_env(
        {
            "DOLEANCE_DATABASE_URL": database_url,
            "DOLEANCE_INSTANCE_DIR": str(tmp_path / "instance"),
            "DOLEANCE_PROCESSES_DIR": str(DATA / "basic"),
            "DOLEANCE_FORMS_DIR": str(DATA / "basic" / "forms"),
        }
    )


@pytest.fixture
def database(settings):
    """The engine's database, emptied before each test."""
    db = Database.from_settings(settings)
    with db.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    yield db
    db.dispose()


@pytest.fixture
def uow(database):
    """A fresh unit of work each time it is called: ``services.x(..., uow())``."""
    return database.unit_of_work


@pytest.fixture(autouse=True)
def frozen_clock():
    clock.freeze(START)
    yield clock
    clock.unfreeze()


@pytest.fixture
def deployed(settings, uow):
    """The basic test processes deployed, the built-in roles and one user per role."""
    services.ensure_builtin_roles(uow())
    files = read_deployment_files(settings.processes_dir, settings.forms_dir)
    version = services.deploy_version(files, "tester", uow())
    for username, role in [
        ("alice", "agent"),
        ("sam", "supervisor"),
        ("quinn", "quality"),
        ("audrey", "auditor"),
    ]:
        services.create_user(username, [role], uow())
    return version
