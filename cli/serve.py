"""``doleance serve``: the web interface, with a timer scheduler inside unless told not to."""

from __future__ import annotations

import signal

import click

from cli.context import Context, pass_context, reports_errors


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option(
    "--scheduler/--no-scheduler",
    "with_scheduler",
    default=True,
    show_default=True,
    help="Fire due timers in this process too. Turn it off when you run several web "
    "processes and dedicated `doleance scheduler` processes instead.",
)
@pass_context
@reports_errors
def serve(ctx: Context, host: str, port: int, threads: int, with_scheduler: bool):
    """Serve the web interface with waitress, and fire due timers unless told not to."""
    from waitress import serve as waitress_serve

    ctx.require_schema()

    from cli.timers import configure_logging
    from engine.scheduler.scheduler import TimerFirer, TimerScheduler
    from webui import create_app, database

    configure_logging()
    app = create_app()
    with app.app_context():
        timers = TimerScheduler(TimerFirer(database())) if with_scheduler else None
    signal.signal(signal.SIGTERM, _stop_serving)
    if timers is not None:
        timers.start()
    click.echo(f"Doléance is running at http://{host}:{port}/ (Ctrl+C to stop)")
    try:
        waitress_serve(app, host=host, port=port, threads=threads)
    finally:
        if timers is not None:
            timers.shutdown()


def _stop_serving(_signum, _frame):
    """SIGTERM stops waitress the way Ctrl+C does, so the scheduler can stop cleanly too."""
    raise SystemExit(0)
