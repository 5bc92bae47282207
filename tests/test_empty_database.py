"""Before ``doleance init``, every command and every page says to run it: never a traceback.

The commands come from click's own command tree, so a new command is tried here as soon as it
exists; each runs with arguments built from its parameters, on a database with no schema, then
on one left at an older schema.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import click
import pytest
from click.testing import CliRunner

from cli.main import main as doleance
from engine.db import schema
from engine.db.session import create_database_engine
from tests.conftest import fresh_database
from webui import create_app

NO_SCHEMA = "the database has no schema yet: run doleance init first"
OLD_SCHEMA = "the database is at an older schema: run doleance init to upgrade"
NO_DATABASE_NEEDED = {("validate",), ("deadline",)}  # they read files only
SERVERS = {("serve",), ("scheduler",)}  # they run until stopped once started
EXAMPLES = {
    ("audit", "export"): ["REC-2026-000001"],  # needs a reference or a period
    ("serve",): ["--port", "0"],  # any free port, should it start
}
FIRST_REVISION = "7265220cb9f1"


def commands(group: click.Group, path: tuple[str, ...] = ()):
    """(path, command) of every command under ``group``, subcommands included."""
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))
        else:
            yield (*path, name), command


COMMANDS = dict(commands(doleance))
USING_THE_DATABASE = sorted(set(COMMANDS) - NO_DATABASE_NEEDED - {("init",)})


def arguments_for(path: tuple[str, ...]) -> list[str]:
    """The command's required arguments and options, each with a plausible value."""
    if path in EXAMPLES:
        return EXAMPLES[path]
    words = []
    for param in COMMANDS[path].params:
        if not param.required or getattr(param, "prompt", None):
            continue
        value = _sample(param.type)
        words += [value] if isinstance(param, click.Argument) else [param.opts[0], value]
    return words


def _sample(kind: click.ParamType) -> str:
    if isinstance(kind, click.Choice):
        return str(kind.choices[0])
    if isinstance(kind, click.DateTime):
        return "2026-11-23"
    if isinstance(kind, click.types._NumberParamTypeBase):
        return "1"
    if isinstance(kind, click.Path):
        return "nowhere.bpmn"
    return "x"


@pytest.fixture
def empty_database(tmp_path):
    """The URL of a database nobody has initialised."""
    with fresh_database(tmp_path, "empty") as url:
        yield url


def run(database_url: str, tmp_path: Path, words: list[str]):
    environment = {
        "DOLEANCE_DATABASE_URL": database_url,
        "DOLEANCE_INSTANCE_DIR": str(tmp_path / "instance"),
        "DOLEANCE_SMTP_URL": "smtp://127.0.0.1:9",  # so that `outbox send` reaches the database
    }
    if tuple(words[:1]) in SERVERS:
        return _run_apart(words, environment)
    return CliRunner().invoke(doleance, words, env=environment, input="long-enough-pw\n" * 2)


def _run_apart(words: list[str], environment: dict[str, str]):
    """A command that would serve until stopped, in a process of its own: should it start
    serving, the test fails after a minute instead of hanging."""
    finished = subprocess.run(
        [sys.executable, "-c", "from cli.main import main; main()", *words],
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return SimpleNamespace(
        exit_code=finished.returncode,
        output=finished.stdout + finished.stderr,
        exception=SystemExit(finished.returncode) if finished.returncode else None,
    )


def last_line(result) -> str:
    """What the command said last (a password prompt may come before)."""
    return result.output.strip().splitlines()[-1]


def _no_traceback(result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}"
    )
    assert "Traceback" not in result.output


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_every_command_on_a_database_without_schema_says_to_run_init(
    empty_database, tmp_path, path
):
    result = run(empty_database, tmp_path, [*path, *arguments_for(path)])

    _no_traceback(result)
    if path == ("init",):
        assert result.exit_code == 0, result.output
    elif path not in NO_DATABASE_NEEDED:
        assert result.exit_code == 1
        assert last_line(result) == f"error: {NO_SCHEMA}"
        assert result.output.count("error:") == 1


@pytest.mark.parametrize("path", USING_THE_DATABASE, ids=" ".join)
def test_every_command_on_an_older_schema_says_to_run_init(empty_database, tmp_path, path):
    engine = create_database_engine(empty_database)
    schema.upgrade(engine, FIRST_REVISION)
    engine.dispose()

    result = run(empty_database, tmp_path, [*path, *arguments_for(path)])

    _no_traceback(result)
    assert result.exit_code == 1
    assert last_line(result) == f"error: {OLD_SCHEMA}"
    assert result.output.count("error:") == 1


@pytest.mark.parametrize("revision", [None, FIRST_REVISION], ids=["empty", "older"])
def test_init_creates_or_upgrades_the_schema_then_the_commands_work(
    empty_database, tmp_path, revision
):
    if revision is not None:
        engine = create_database_engine(empty_database)
        schema.upgrade(engine, revision)
        engine.dispose()

    assert run(empty_database, tmp_path, ["init"]).exit_code == 0
    listed = run(empty_database, tmp_path, ["user", "list"])

    assert listed.exit_code == 0, listed.output


# --- the web interface ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/login", "/", "/portal/", "/healthz"])
def test_every_page_on_a_database_without_schema_says_to_run_init(empty_database, tmp_path, path):
    app = create_app(
        {
            "TESTING": True,
            "DOLEANCE_DATABASE_URL": empty_database,
            "DOLEANCE_INSTANCE_DIR": str(tmp_path / "instance"),
        }
    )

    page = app.test_client().get(path)

    assert page.status_code == 503
    assert "lancez « doleance init » pour la créer" in page.get_data(as_text=True)
