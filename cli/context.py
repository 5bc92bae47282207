"""What every command shares: settings and database, errors as one line, JSON options."""

from __future__ import annotations

import functools
import json

import click

from engine.config import Settings
from engine.db import schema
from engine.db.session import holds_nul
from engine.errors import DeploymentError, DoleanceError, InvalidInput
from engine.services import Database, UnitOfWork


class Context:
    """Settings and database, opened lazily so ``--help`` and ``validate`` need no database."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._database: Database | None = None
        self._schema_checked = False

    @property
    def database(self) -> Database:
        """The database, once its schema is known to be current (see :meth:`require_schema`)."""
        self.require_schema()
        return self.open_database()

    def require_schema(self) -> None:
        """Raise SchemaNotReady (run ``doleance init``) unless the schema is this version's."""
        if not self._schema_checked:
            schema.require_current(self.open_database().engine)
            self._schema_checked = True

    def open_database(self) -> Database:
        """The database whatever its schema (for ``init``, which creates or upgrades it)."""
        if self._database is None:
            self._database = Database.from_settings(self.settings)
        return self._database

    def uow(self, read_only: bool = False) -> UnitOfWork:
        return self.database.unit_of_work(read_only=read_only)


def pass_context(command):
    """Give a command the Context: the one its group made, or one built from the environment."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        click_ctx = click.get_current_context()
        context = click_ctx.find_object(Context)
        if context is None:
            context = click_ctx.meta.setdefault("doleance.context", Context(Settings.from_env()))
        return command(context, *args, **kwargs)

    return wrapper


def reports_errors(command):
    """Turn domain errors into a one-line message and exit status 1: never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except DeploymentError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            raise click.exceptions.Exit(1) from exc
        except InvalidInput as exc:
            click.echo(f"error: {exc}", err=True)
            for field, messages in exc.errors.items():
                click.echo(f"  {field}: {'; '.join(messages)}", err=True)
            raise click.exceptions.Exit(1) from exc
        except DoleanceError as exc:
            click.echo(f"error: {exc}", err=True)
            raise click.exceptions.Exit(1) from exc

    return wrapper


def parse_json_object(_ctx, _param, value):
    if value is None:
        return {}
    try:
        data = json.loads(value)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not valid JSON: {exc.msg} at column {exc.colno}") from exc
    if not isinstance(data, dict):
        raise click.BadParameter('give a JSON object, e.g. \'{"customer_name": "Ana"}\'')
    if holds_nul(data):
        raise click.BadParameter("a text holds the NUL character (\\u0000): remove it")
    return data
