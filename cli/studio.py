"""Version commands: ``doleance migrate`` (running complaints) and ``doleance export``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cli.context import Context, pass_context, reports_errors
from engine.services import studio

#: How a reason a complaint cannot move reads on the command line.
_REASONS = {
    "element_changed": "'{name}' ({element}, {process}) is {state} and changed in the target",
    "element_removed": "'{name}' ({element}, {process}) is {state} and no longer exists",
    "element_replaced": "'{name}' ({element}, {process}) is {state} and was replaced by {form}",
    "process_removed": "the process '{process}' does not exist in the target version",
    "form_changed": "the ready task '{name}' uses the form {form}, which changed",
    "not_running": "the complaint is no longer running",
    "not_on_version": "the complaint is now on version {version}",
    "failed": "the migration failed: {message}",
}


def describe(reason: studio.Reason) -> str:
    """One reason a complaint cannot move, in words."""
    text = _REASONS.get(reason.code, "{message}").format(
        name=reason.element_name or reason.element_id or "-",
        element=reason.element_id or "-",
        process=reason.process_id or "-",
        state=reason.state or "-",
        form=", ".join(reason.attributes),  # the form, or the replacing element
        version=reason.version,
        message=reason.message or reason.code,
    )
    if reason.code == "element_changed" and reason.attributes:
        text += f" ({', '.join(reason.attributes)})"
    return text


@click.command()
@click.argument("source", type=int)
@click.argument("target", type=int)
@click.option("--dry-run", is_flag=True, help="Only say which complaints can move and why not.")
@click.option(
    "--revert",
    is_flag=True,
    help="Move back to SOURCE the complaints that were migrated from SOURCE to TARGET.",
)
@click.option("--as", "actor", default="cli", show_default=True, help="Who migrates.")
@pass_context
@reports_errors
def migrate(ctx: Context, source: int, target: int, dry_run: bool, revert: bool, actor: str):
    """Move the running complaints of version SOURCE to version TARGET when it is safe.

    Each complaint moves in a transaction of its own, recorded in its audit trail; one whose
    reached elements changed stays where it is, with the reason printed.
    """
    moving_from, moving_to = (target, source) if revert else (source, target)
    if dry_run:
        plan = studio.plan_migration(moving_from, moving_to, ctx.uow(read_only=True), revert)
        for candidate in plan.candidates:
            _print_candidate(candidate)
        click.echo(
            f"{len(plan.movable)} of {len(plan.candidates)} complaint(s) can move "
            f"from version {moving_from} to {moving_to} (dry run: nothing changed)"
        )
        return
    report = studio.migrate_complaints(
        moving_from, moving_to, actor, ctx.database.unit_of_work, revert
    )
    for reference in report.moved:
        click.echo(f"{reference}\tmoved to version {moving_to}")
    for candidate in report.refused:
        _print_candidate(candidate)
    click.echo(f"{len(report.moved)} moved, {len(report.refused)} left on version {moving_from}")
    if report.refused:
        sys.exit(1)


def _print_candidate(candidate: studio.Candidate) -> None:
    if candidate.movable:
        click.echo(f"{candidate.reference}\tcan move")
        return
    for reason in candidate.reasons:
        click.echo(f"{candidate.reference}\tcannot move: {describe(reason)}")


@click.command("export")
@click.argument("version", type=int)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the zip (default: doleance-v<VERSION>.zip here).",
)
@click.option(
    "--to",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the files into this folder (processes/ and forms/) instead of a zip.",
)
@pass_context
@reports_errors
def export(ctx: Context, version: int, output: Path | None, folder: Path | None):
    """Write the files of deployed VERSION as a zip, laid out like the repository."""
    if folder is not None:
        files = studio.deployed_files(version, ctx.uow(read_only=True))
        for name, text in sorted(files.items()):
            path = folder / studio.archive_path(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        click.echo(f"version {version}: {len(files)} file(s) written under {folder}")
        return
    filename, data = studio.version_archive(version, ctx.uow(read_only=True))
    path = output or Path(filename)
    path.write_bytes(data)
    click.echo(f"version {version} written to {path}")
