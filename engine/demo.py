"""Demo data for a newcomer: one user per role (password "demo"), created through the services."""

from __future__ import annotations

import click

from engine import services
from engine.cli import Context, pass_context, reports_errors
from engine.errors import InvalidInput

DEMO_PASSWORD = "demo"
DEMO_USERS = [
    ("alice", "Alice Martin", "agent"),
    ("sam", "Samuel Roy", "supervisor"),
    ("quinn", "Quitterie Noël", "quality"),
    ("olivia", "Olivia Petit", "process_owner"),
    ("audrey", "Audrey Leroux", "auditor"),
    ("admin", "Administrateur", "admin"),
]


@click.command()
@pass_context
@reports_errors
def demo(ctx: Context):
    """Create the demo users (idempotent); prints their logins."""
    for username, name, role in DEMO_USERS:
        try:
            services.create_user(
                username, [role], ctx.uow(), display_name=name, password=DEMO_PASSWORD, actor="demo"
            )
            state = "created"
        except InvalidInput:
            state = "exists"
        click.echo(f"  {username:<8} {role:<14} password: {DEMO_PASSWORD}  ({state})")
