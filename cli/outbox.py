"""Outbox commands: ``doleance outbox send``, ``list`` and ``retry``."""

from __future__ import annotations

import click

from cli.context import Context, pass_context, reports_errors
from engine.services import messages as outbox


@click.group("outbox")
def outbox_group():
    """Messages to customers and the team: list them, mail what is due, retry a failure."""


@outbox_group.command("send")
@click.option(
    "--limit",
    default=outbox.SEND_BATCH,
    show_default=True,
    type=click.IntRange(min=1),
    help="Send at most this many messages.",
)
@pass_context
@reports_errors
def send(ctx: Context, limit: int):
    """Mail the messages that are due now, once; one line per message."""
    if not ctx.settings.smtp_url:
        raise outbox.OutboxError(
            "no mail server configured: set DOLEANCE_SMTP_URL (e.g. smtp://mail.example.org:587)"
        )
    results = outbox.send_due(ctx.uow, ctx.settings, limit)
    for result in results:
        click.echo(outbox.describe_delivery(result))
    if not results:
        click.echo("no message due", err=True)


@outbox_group.command("list")
@click.option("--status", type=click.Choice(outbox.STATUSES), help="Only messages in this state.")
@click.option("--ref", "reference", help="Only this complaint's messages (oldest first).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
@pass_context
@reports_errors
def list_(ctx: Context, status: str | None, reference: str | None, limit: int):
    """List messages, newest first: id, reference, message, recipient, status, attempts."""
    if reference:
        rows = outbox.messages_for(reference, ctx.uow(read_only=True))
        rows = [m for m in rows if status in (None, m.status)][:limit]
    else:
        rows = outbox.list_messages(ctx.uow(read_only=True), status=status, limit=limit)
    for message in rows:
        click.echo(
            "\t".join(
                [
                    str(message.id),
                    message.reference,
                    message.name,
                    message.recipient or f"({message.audience or 'nobody'})",
                    message.status,
                    str(message.attempts),
                    message.created_at.strftime("%Y-%m-%d %H:%M UTC"),
                    message.last_error or "",
                ]
            )
        )
    if not rows:
        click.echo("no message", err=True)


@outbox_group.command("retry")
@click.argument("message_id", type=int)
@click.option("--as", "actor", required=True, help="The supervisor asking for it.")
@pass_context
@reports_errors
def retry(ctx: Context, message_id: int, actor: str):
    """Send failed message MESSAGE_ID again at the next pass."""
    message = outbox.retry_message(message_id, actor, ctx.uow())
    click.echo(f"{message.reference} #{message.id} {message.name}: {message.status}")
