"""Demo data for a newcomer: one user per role (password "demo") and complaints at every stage.

Everything is created through the services and the deployed processes, exactly as people would,
so the demo shows real tasks, timers, outbox messages and audit trails.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable

import click
from sqlalchemy import func, select

from cli.context import Context, pass_context, reports_errors
from engine import services
from engine.db.models import Instance
from engine.errors import InvalidInput
from engine.services import documents, portal

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
    ctx.require_schema()
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
    desk = DemoDesk(ctx.uow)
    counts: dict[str, int] = {}
    for number, stage in zip(range(complaints), itertools.cycle(STAGES), strict=False):
        desk.complaint_up_to(stage, number)
        counts[stage] = counts.get(stage, 0) + 1
    summary = ", ".join(f"{n} {stage}" for stage, n in counts.items())
    click.echo(f"Demo complaints: {complaints} created ({summary}), filed on the customer portal")
    if desk.awaiting_opinion is not None:
        reference, token = desk.awaiting_opinion
        click.echo(
            f"Customer tracking link of {reference} (it waits for the customer's opinion):\n"
            f"  {portal.tracking_url(ctx.settings, token)}"
        )


class DemoDesk:
    """Plays the customer and the agent to bring one complaint to a given stage."""

    def __init__(self, uow: Callable):
        self.uow = uow
        self.awaiting_opinion: tuple[str, str] | None = None  # (reference, tracking token)

    def complaint_up_to(self, stage: str, number: int) -> str:
        """The customer files on the portal (every other one with a document), then staff work."""
        name, email = CUSTOMERS[number % len(CUSTOMERS)]
        category, product, remedy, subject, description = CASES[number % len(CASES)]
        form = {
            "customer_name": name,
            "customer_email": email,
            "subject": subject,
            "description": description,
            "product": product,
            "category": category,
            "remedy_wanted": remedy,
            "asks_for_treatment": stage != "dissatisfaction",
            "consent": True,
        }
        if number % 2 == 1:
            form["documents"] = [self._document(subject)]
        filed = portal.file_complaint(form, "fr", self.uow())
        reference = filed.reference
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
            self.awaiting_opinion = self.awaiting_opinion or (reference, filed.token)
            return reference
        reply = {
            "taken_into_account": "yes",
            "corrections": "yes",
            "relationship": "continue",
            "satisfied": True,
        }
        portal.answer(filed.token, reply, self.uow())
        return reference

    def _document(self, subject: str) -> str:
        """A one-page PDF the customer joins; the id of the stored document."""
        stored = documents.store(
            io.BytesIO(one_page_pdf(subject)),
            "justificatif.pdf",
            portal.CUSTOMER_SOURCE,
            portal.PORTAL_ACTOR,
            self.uow(),
        )
        return stored.id

    def _do(self, reference: str, bpmn_id: str, **data) -> None:
        (task,) = [
            t for t in services.list_tasks(self.uow(), reference=reference) if t.bpmn_id == bpmn_id
        ]
        services.complete_task(task.id, data, AGENT, self.uow())


def one_page_pdf(text: str) -> bytes:
    """A minimal valid PDF showing one line of text (Latin-1 letters; others become ``?``)."""
    line = "".join(_pdf_character(c) for c in text)
    stream = f"BT /F1 14 Tf 72 760 Td ({line}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    pdf, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(pdf)


def _pdf_character(character: str) -> str:
    if character in "()\\":
        return "\\" + character
    if " " <= character <= "~":
        return character
    return f"\\{ord(character):03o}" if ord(character) < 256 else "?"
