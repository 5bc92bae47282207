"""Schema management through Alembic migrations, and the check every command makes first."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from engine.errors import DoleanceError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


class SchemaNotReady(DoleanceError):
    """The database has no schema yet, or an older one: ``doleance init`` sets it up.

    ``code`` is ``missing``, ``old`` or ``unknown`` (a revision this version does not know).
    """

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def require_current(engine: Engine) -> None:
    """Raise SchemaNotReady unless the database is at this version's latest migration."""
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    heads = _heads()
    if current == heads:
        return
    if not current:
        raise SchemaNotReady("the database has no schema yet: run doleance init first", "missing")
    if current <= _known_revisions():
        raise SchemaNotReady(
            "the database is at an older schema: run doleance init to upgrade", "old"
        )
    raise SchemaNotReady(
        f"the database's schema ({', '.join(sorted(current))}) is newer than this version of "
        "Doléance: upgrade Doléance",
        "unknown",
    )


@cache
def _heads() -> set[str]:
    return set(_scripts().get_heads())


@cache
def _known_revisions() -> set[str]:
    return {script.revision for script in _scripts().walk_revisions()}


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config(None))


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create the schema or bring it up to date; safe to run any number of times."""
    with engine.begin() as connection:
        command.upgrade(_config(connection), revision)


def make_migration(engine: Engine, message: str) -> None:
    """Developer tool: write a new migration from the difference between models and database."""
    with engine.begin() as connection:
        command.revision(_config(connection), message=message, autogenerate=True)
