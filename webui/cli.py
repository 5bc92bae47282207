"""The ``doleance`` command: the engine's commands plus the ones that need the web app."""

from __future__ import annotations

import click

from engine.cli import Context, register_engine_commands
from engine.config import Settings


@click.group()
@click.pass_context
def main(click_ctx: click.Context):
    """Doléance: complaint handling on BPMN processes."""
    click_ctx.obj = Context(Settings.from_env())


register_engine_commands(main)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host: str, port: int, threads: int):
    """Serve the web interface with waitress."""
    from waitress import serve as waitress_serve

    from webui import create_app

    click.echo(f"Doléance is running at http://{host}:{port}/ (Ctrl+C to stop)")
    waitress_serve(create_app(), host=host, port=port, threads=threads)
