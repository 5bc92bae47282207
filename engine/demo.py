"""Demo data for a newcomer: one user per role (password "demo") and complaints at every stage.

Everything is created through the services and the deployed processes, exactly as people would,
so the demo shows real tasks, timers, outbox messages and audit trails.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import click
from sqlalchemy import func, select

from engine import services
from engine.cli import Context, pass_context, reports_errors
from engine.errors import InvalidInput
from engine.models import Instance

DEMO_PASSWORD = "demo"
DEMO_USERS = [
    ("alice", "Alice Martin", "agent"),
    ("sam", "Samuel Roy", "supervisor"),
    ("quinn", "Quitterie Noël", "quality"),
    ("olivia", "Olivia Petit", "process_owner"),
    ("audrey", "Audrey Leroux", "auditor"),
    ("admin", "Administrateur", "admin"),
]
CUSTOMERS = [
    ("Ana Martin", "ana.martin@example.org"),
    ("Bruno Lefèvre", "bruno.lefevre@example.org"),
    ("Chloé Dubois", "chloe.dubois@example.org"),
    ("David Moreau", "david.moreau@example.org"),
    ("Emma Laurent", "emma.laurent@example.org"),
    ("Farid Benali", "farid.benali@example.org"),
    ("Gaëlle Simon", "gaelle.simon@example.org"),
    ("Hugo Michel", "hugo.michel@example.org"),
]
CASES = [
    (
        "billing",
        "Box Internet",
        "refund",
        "Abonnement facturé deux fois",
        "Ma facture de novembre compte deux fois l'abonnement.",
    ),
    (
        "delivery",
        "Lave-linge LX200",
        "exchange",
        "Livraison d'un appareil abîmé",
        "Le lave-linge est arrivé avec la porte cassée.",
    ),
    (
        "customer_service",
        "Forfait mobile",
        "apology",
        "Conseiller injoignable",
        "J'ai appelé cinq fois sans obtenir de réponse.",
    ),
    (
        "product_quality",
        "Cafetière C3",
        "return",
        "Panne après deux semaines",
        "La cafetière ne chauffe plus depuis hier.",
    ),
    (
        "contract",
        "Assurance habitation",
        "explanation",
        "Résiliation non prise en compte",
        "Ma demande de résiliation d'octobre n'a pas été traitée.",
    ),
]
AGENT, SUPERVISOR = "alice", "sam"
# How far each demo complaint goes, in order; repeated to make about fifty complaints.
STAGES = ["received", "qualified", "assessed", "answered", "closed", "dissatisfaction"]


@click.command()
@click.option("--complaints", default=48, show_default=True, help="How many demo complaints.")
@pass_context
@reports_errors
def demo(ctx: Context, complaints: int):
    """Create the demo users and complaints at every stage (users are created once)."""
    click.echo("Demo users:")
    for username, name, role in DEMO_USERS:
        try:
            services.create_user(
                username, [role], ctx.uow(), display_name=name, password=DEMO_PASSWORD, actor="demo"
            )
            state = "created"
        except InvalidInput:
            state = "exists"
        click.echo(f"  {username:<8} {role:<14} password: {DEMO_PASSWORD}  ({state})")
    with ctx.uow(read_only=True) as uow:
        existing = uow.session.scalar(select(func.count()).select_from(Instance))
    if existing:
        click.echo(f"Demo complaints: the database already holds {existing} instances, none added")
        return
    desk = _DemoDesk(ctx.uow)
    counts: dict[str, int] = {}
    for number, stage in zip(range(complaints), itertools.cycle(STAGES), strict=False):
        desk.complaint_up_to(stage, number)
        counts[stage] = counts.get(stage, 0) + 1
    summary = ", ".join(f"{n} {stage}" for stage, n in counts.items())
    click.echo(f"Demo complaints: {complaints} created ({summary})")


class _DemoDesk:
    """Plays the customer and the agent to bring one complaint to a given stage."""

    def __init__(self, uow: Callable):
        self.uow = uow

    def complaint_up_to(self, stage: str, number: int) -> str:
        name, email = CUSTOMERS[number % len(CUSTOMERS)]
        category, product, remedy, subject, description = CASES[number % len(CASES)]
        start = {
            "channel": "web",
            "customer_name": name,
            "customer_email": email,
            "description": description,
            "asks_for_treatment": stage != "dissatisfaction",
            "category": category,
            "product": product,
            "remedy_wanted": remedy,
            "subject": subject,
        }
        reference = services.start_instance("complaint", start, "portal", self.uow()).reference
        if stage == "received":
            return reference
        self._do(reference, "check_web_submission", submission_complete=True)
        kind = "dissatisfaction" if stage == "dissatisfaction" else "complaint"
        self._do(
            reference,
            "qualify",
            kind=kind,
            category=category,
            product=product,
            remedy_wanted=remedy,
            subject=subject,
        )
        if stage in ("qualified", "dissatisfaction"):
            return reference
        self._do(
            reference,
            "assess",
            history_reviewed=True,
            gravity="minor",
            complexity="simple",
            repercussions="individual",
        )
        if stage == "assessed":
            return reference
        self._do(
            reference,
            "decide",
            remedy=remedy,
            remedy_amount="25.00",
            decision_rationale="Erreur de notre part, geste adapté au préjudice.",
        )
        self._do(
            reference,
            "write_answer",
            answer_text="Nous avons corrigé la situation et vous prions de nous excuser.",
        )
        if stage == "answered":
            return reference
        reply = {
            "taken_into_account": "yes",
            "corrections": "yes",
            "relationship": "continue",
            "satisfied": True,
        }
        services.deliver_message(reference, "customer_reply", reply, "portal", self.uow())
        return reference

    def _do(self, reference: str, bpmn_id: str, **data) -> None:
        (task,) = [
            t for t in services.list_tasks(self.uow(), reference=reference) if t.bpmn_id == bpmn_id
        ]
        services.complete_task(task.id, data, AGENT, self.uow())
