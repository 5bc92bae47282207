"""Schema management through Alembic migrations."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create the schema or bring it up to date; safe to run any number of times."""
    with engine.begin() as connection:
        command.upgrade(_config(connection), revision)


def make_migration(engine: Engine, message: str) -> None:
    """Developer tool: write a new migration from the difference between models and database."""
    with engine.begin() as connection:
        command.revision(_config(connection), message=message, autogenerate=True)
