"""The ``doleance`` command: one subcommand per operator action, each calling one use case."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from cli.context import Context, parse_json_object, pass_context, reports_errors
from cli.demo import demo
from cli.outbox import outbox_group
from cli.serve import serve
from cli.studio import export, migrate
from cli.timers import deadline, scheduler
from engine import services
from engine.config import Settings
from engine.db import schema
from engine.services import audit as trace


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


@click.command()
@pass_context
@reports_errors
def init(ctx: Context):
    """Create or upgrade the database schema, the built-in roles, and deploy processes/."""
    schema.upgrade(ctx.open_database().engine)
    click.echo("schema: up to date")
    created = services.ensure_builtin_roles(ctx.uow())
    click.echo(f"roles: {'created ' + ', '.join(created) if created else 'already present'}")
    _deploy_folder(ctx, ctx.settings.processes_dir, ctx.settings.forms_dir, "init")


def _deploy_folder(ctx: Context, processes_dir: Path, forms_dir: Path, actor: str) -> None:
    files = services.read_deployment_files(processes_dir, forms_dir)
    if not any(name.endswith(".bpmn") for name in files):
        click.echo(f"processes: no diagram in {processes_dir}, nothing deployed")
        return
    version = services.deploy_version(files, actor, ctx.uow())
    state = "deployed as new" if version.created else "unchanged, still"
    click.echo(f"processes: {state} version {version.number} ({', '.join(version.process_ids)})")


@click.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--forms",
    "forms_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of form files (default: forms/ beside the process folder).",
)
@click.option("--as", "actor", default="cli", show_default=True, help="Who deploys.")
@pass_context
@reports_errors
def deploy(ctx: Context, directory: Path | None, forms_dir: Path | None, actor: str):
    """Validate and deploy the process files of DIRECTORY as a new version."""
    processes_dir = directory or ctx.settings.processes_dir
    if forms_dir is None:
        forms_dir = processes_dir.parent / "forms" if directory else ctx.settings.forms_dir
    _deploy_folder(ctx, processes_dir, forms_dir, actor)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--forms",
    "forms_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where forms the diagrams use are looked up (default: the configured forms/).",
)
@pass_context
def validate(ctx: Context, files: tuple[Path, ...], forms_dir: Path | None):
    """Check BPMN, DMN and form files without deploying them; exit 1 when anything is wrong."""
    problems = services.validate_paths(files, forms_dir or ctx.settings.forms_dir)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) found", err=True)
        sys.exit(1)
    click.echo(f"{len(files)} file(s) OK")


@click.command()
@click.argument("process_id")
@click.option("--data", callback=parse_json_object, help="Initial data as a JSON object.")
@click.option("--as", "actor", default="cli", show_default=True, help="Who starts it.")
@pass_context
@reports_errors
def start(ctx: Context, process_id: str, data: dict, actor: str):
    """Start an instance of PROCESS_ID; prints its reference."""
    instance = services.start_instance(process_id, data, actor, ctx.uow())
    click.echo(instance.reference)


@click.command()
@click.option("--role", help="Only tasks in this role's lanes.")
@click.option("--user", help="Tasks for this user: assigned to them or open in their lanes.")
@click.option("--ref", "reference", help="Only tasks of this complaint.")
@pass_context
@reports_errors
def tasks(ctx: Context, role: str | None, user: str | None, reference: str | None):
    """List ready tasks, due first."""
    rows = services.list_tasks(ctx.uow(read_only=True), role=role, user=user, reference=reference)
    for task in rows:
        click.echo(
            "\t".join(
                [
                    task.id,
                    task.reference,
                    task.name,
                    task.lane or "-",
                    _when(task.due_at),
                    task.assignee or "-",
                ]
            )
        )
    if not rows:
        click.echo("no ready task", err=True)


@click.command()
@click.argument("task_id")
@click.option("--as", "actor", required=True, help="The user completing the task.")
@click.option("--data", callback=parse_json_object, help="The form's values as a JSON object.")
@pass_context
@reports_errors
def complete(ctx: Context, task_id: str, actor: str, data: dict):
    """Complete a task exactly as the web form would."""
    instance = services.complete_task(task_id, data, actor, ctx.uow())
    click.echo(f"{instance.reference}: {instance.status}, stage {instance.stage or '-'}")


@click.command()
@click.argument("task_id")
@click.option("--as", "actor", required=True, help="The user claiming the task.")
@pass_context
@reports_errors
def claim(ctx: Context, task_id: str, actor: str):
    """Claim a task so nobody else works on it."""
    task = services.claim_task(task_id, actor, ctx.uow())
    click.echo(f"{task.reference}: '{task.name}' claimed by {task.assignee}")


@click.command()
@click.argument("reference")
@click.argument("message")
@click.option("--data", callback=parse_json_object, help="The message payload as JSON.")
@click.option("--as", "actor", default="customer", show_default=True)
@pass_context
@reports_errors
def deliver(ctx: Context, reference: str, message: str, data: dict, actor: str):
    """Deliver MESSAGE (for example the customer's reply) to complaint REFERENCE."""
    instance = services.deliver_message(reference, message, data, actor, ctx.uow())
    click.echo(f"{instance.reference}: {instance.status}, stage {instance.stage or '-'}")


@click.command()
@click.option("--status", type=click.Choice(["running", "completed", "error"]))
@click.option("--limit", default=100, show_default=True)
@pass_context
@reports_errors
def instances(ctx: Context, status: str | None, limit: int):
    """List instances, newest first."""
    for item in services.list_instances(ctx.uow(read_only=True), status=status, limit=limit):
        click.echo(
            "\t".join(
                [
                    item.reference,
                    item.process_id,
                    f"v{item.version}",
                    item.status,
                    item.stage or "-",
                    _when(item.updated_at),
                ]
            )
        )


@click.command()
@click.argument("reference")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_context
@reports_errors
def history(ctx: Context, reference: str, as_json: bool):
    """Print a complaint's audit trail in order."""
    for event in services.instance_history(reference, ctx.uow(read_only=True)):
        if as_json:
            click.echo(
                json.dumps({**event.__dict__, "at": event.at.isoformat()}, ensure_ascii=False)
            )
            continue
        element = f"{event.element_name or event.element_id}" if event.element_id else ""
        details = json.dumps(event.data, ensure_ascii=False) if event.data else ""
        click.echo(
            f"#{event.seq}\t{event.at.isoformat(timespec='seconds')}\t{event.actor}\t"
            f"{event.kind}\t{element}\t{details}"
        )


@click.group()
def audit():
    """Audit trail tools."""


@audit.command("verify")
@click.argument("reference", required=False)
@pass_context
@reports_errors
def audit_verify(ctx: Context, reference: str | None):
    """Recompute the hash chains; report the first broken link of each; exit 1 if any."""
    breaks = services.verify_audit(ctx.uow(read_only=True), reference)
    for broken in breaks:
        click.echo(f"BROKEN {broken}")
    if breaks:
        sys.exit(1)
    click.echo(f"audit trail intact ({reference or 'all complaints and the system chain'})")


@audit.command("export")
@click.argument("reference", required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv"]),
    help="For REF: json (default) or csv. A period is always csv.",
)
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day received.")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last day received.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of the standard output.",
)
@click.option("--as", "actor", default="cli", show_default=True, help="Who exports.")
@pass_context
@reports_errors
def audit_export(ctx: Context, reference, fmt, start, end, output: Path | None, actor: str):
    """Export complaint REF's audit trail, or one CSV row per complaint received --from DATE
    --to DATE (for a regulator). Each export is recorded in the audit trail."""
    if reference and (start or end):
        raise click.UsageError("give either a complaint reference or --from/--to, not both")
    if reference:
        exported = trace.export_trail(reference, fmt or "json", actor, ctx.uow())
    elif start and end:
        if fmt == "json":
            raise click.UsageError("a period is exported as csv only")
        exported = trace.export_range(start.date(), end.date(), actor, ctx.uow())
    else:
        raise click.UsageError("give a complaint reference, or both --from and --to")
    if output is None:
        click.echo(exported.content, nl=False)
        return
    output.write_text(exported.content, encoding="utf-8")
    click.echo(f"{output}: written; recorded as audit event #{exported.event_seq}")


@click.group()
def user():
    """Manage user accounts."""


@user.command("add")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, help="Repeat for several roles.")
@click.option("--name", "display_name", help="Full name shown in the interface.")
@click.option("--password", help="Password for web login (omit for a CLI-only account).")
@pass_context
@reports_errors
def user_add(ctx: Context, username: str, roles: tuple[str, ...], display_name, password):
    """Create a user with one or more roles."""
    services.create_user(
        username, list(roles), ctx.uow(), display_name=display_name, password=password, actor="cli"
    )
    click.echo(f"user {username} created with role(s) {', '.join(roles)}")


@user.command("list")
@pass_context
@reports_errors
def user_list(ctx: Context):
    """List users: name, roles, active or not."""
    for person in services.list_users(ctx.uow()):
        state = "active" if person.active else "deactivated"
        click.echo(f"{person.username}\t{','.join(person.roles)}\t{state}\t{person.display_name}")


@user.command("roles")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, help="Repeat for several roles.")
@pass_context
@reports_errors
def user_roles(ctx: Context, username: str, roles: tuple[str, ...]):
    """Give a user exactly these roles."""
    services.set_user_roles(username, list(roles), "cli", ctx.uow())
    click.echo(f"user {username} now has role(s) {', '.join(sorted(set(roles)))}")


@user.command("deactivate")
@click.argument("username")
@pass_context
@reports_errors
def user_deactivate(ctx: Context, username: str):
    """Stop a user from signing in (their open session ends at their next request)."""
    services.set_user_active(username, False, "cli", ctx.uow())
    click.echo(f"user {username} deactivated")


@user.command("reactivate")
@click.argument("username")
@pass_context
@reports_errors
def user_reactivate(ctx: Context, username: str):
    """Let a deactivated user sign in again."""
    services.set_user_active(username, True, "cli", ctx.uow())
    click.echo(f"user {username} reactivated")


@user.command("password")
@click.argument("username")
@click.password_option(help="The new password (asked for when omitted).")
@pass_context
@reports_errors
def user_password(ctx: Context, username: str, password: str):
    """Set a new password for a user (at least 10 characters)."""
    services.reset_password(username, password, "cli", ctx.uow())
    click.echo(f"password of {username} changed")


@click.group()
@click.pass_context
@reports_errors
def main(click_ctx: click.Context):
    """Doléance: complaint handling on BPMN processes."""
    click_ctx.obj = Context(Settings.from_env())


for _command in (
    init,
    deploy,
    validate,
    start,
    tasks,
    complete,
    claim,
    deliver,
    instances,
    history,
    audit,
    user,
    deadline,
    scheduler,
    outbox_group,
    migrate,
    export,
    demo,
    serve,
):
    main.add_command(_command)
