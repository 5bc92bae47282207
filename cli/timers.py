"""Deadline and timer commands: ``doleance deadline`` and ``doleance scheduler``."""

from __future__ import annotations

import logging
import signal
import time
from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError

from cli.context import Context, pass_context, reports_errors
from engine.rules.business_calendar import BusinessCalendar, CalendarError, parse_instant
from engine.rules.policy import DEFAULT_POLICY, POLICY_FILE, Policy, PolicyError, load_policy
from engine.scheduler.scheduler import TimerFirer, TimerScheduler

USAGE_ERROR = 2


def configure_logging(level: int = logging.INFO) -> None:
    """One line per event on stderr, without APScheduler's and SpiffWorkflow's step chatter."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in ("apscheduler", "spiff"):
        logging.getLogger(chatty).setLevel(logging.WARNING)


@click.command()
@click.argument("rule")
@click.option(
    "--from",
    "start",
    required=True,
    metavar="ISO_DATETIME",
    help="When the clock starts; without an offset, local time of the calendar.",
)
@click.option(
    "--calendar",
    "calendar_name",
    metavar="NAME",
    help="Count on the policy's calendar NAME ([calendars.NAME]) instead of the organisation's.",
)
@click.option("--country", help="Count with this country's public holidays (FR, GB, US…).")
@click.option("--subdivision", help="A region with its own holidays, e.g. 57 (Moselle), SCT.")
@click.option("--timezone", help="IANA time zone, for a country that has no default one.")
@click.option(
    "--policy",
    "policy_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Policy file with the organisation's rules (default: the processes folder's).",
)
@pass_context
def deadline(
    ctx: Context,
    rule: str,
    start: str,
    calendar_name: str | None,
    country: str | None,
    subdivision: str | None,
    timezone: str | None,
    policy_file: Path | None,
):
    """Print when deadline RULE falls for a clock started at --from, then when it warns."""
    try:
        policy = _policy(policy_file, ctx.settings.processes_dir / POLICY_FILE)
        chosen = policy.rulebook.rule(rule)
        rule_calendar = policy.rulebook.calendar_for(chosen, calendar_name)
        calendar = _calendar(rule_calendar, country, subdivision, timezone)
        received = parse_instant(start, calendar)
        schedule = chosen.schedule(received, calendar)
    except (CalendarError, PolicyError) as exc:
        click.echo(f"error: {exc}", err=True)
        raise click.exceptions.Exit(USAGE_ERROR) from exc
    click.echo(schedule.due.isoformat())
    click.echo(schedule.warning.isoformat())


def _policy(given: Path | None, deployed: Path) -> Policy:
    """The file asked for, else the processes folder's policy, else the built-in presets."""
    if given is not None:
        return load_policy(given)
    return load_policy(deployed) if deployed.is_file() else DEFAULT_POLICY


def _calendar(
    rule_calendar: BusinessCalendar,
    country: str | None,
    subdivision: str | None,
    timezone: str | None,
) -> BusinessCalendar:
    """The rule's calendar, or its closures and hours in the region the options describe
    (a lone --subdivision or --timezone keeps the rule's country)."""
    if country is not None:
        return rule_calendar.for_region(country, subdivision, timezone)
    if subdivision is None and timezone is None:
        return rule_calendar
    return rule_calendar.for_region(
        rule_calendar.country,
        subdivision or rule_calendar.subdivision,
        timezone or rule_calendar.timezone,
    )


@click.command()
@click.option(
    "--name",
    help="How this scheduler signs its claims (default: host:pid). Give each scheduler its "
    "own; one restarted under the same name retries its predecessor's claims at once.",
)
@click.option(
    "--poll",
    "poll_seconds",
    default=0.5,
    show_default=True,
    type=click.FloatRange(0.05, 1.0),
    help="Seconds between looks for timers that other processes wrote.",
)
@click.option(
    "--claim-seconds",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=1.0),
    help="How long a claim lasts; the timers of a crashed scheduler are retried after it.",
)
@pass_context
@reports_errors
def scheduler(ctx: Context, name: str | None, poll_seconds: float, claim_seconds: float):
    """Fire due timers until stopped (Ctrl+C or SIGTERM); run one or several."""
    ctx.require_schema()
    configure_logging()
    # The handler only records the signal: setting a threading.Event there could deadlock
    # when the signal lands while the main thread holds the Event's own lock.
    signals: list[int] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda number, _frame: signals.append(number))
    firer = TimerFirer(ctx.database, name=name, claim_seconds=claim_seconds)
    timer_scheduler = TimerScheduler(firer, poll_seconds)
    try:
        timer_scheduler.start()
    except SQLAlchemyError as exc:
        click.echo(f"error: cannot use the database: {exc}", err=True)
        raise click.exceptions.Exit(1) from exc
    try:
        while not signals:
            time.sleep(0.2)  # a signal interrupts the sleep; the loop then sees it
    finally:
        timer_scheduler.shutdown()
        ctx.database.dispose()
