"""The people and systems around a complaint, driving the real processes through the services.

A journey test reads like the story: the customer files on the portal, Alice (agent) checks
and qualifies, handles the complaint, Sam (supervisor) approves, Quinn (quality) runs the
corrective action, the portal delivers the customer's reply, time passes and the scheduler
fires the timers. Each step checks that the task it expects is the one waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from engine import services
from engine.config import PROJECT_ROOT
from engine.db.models import Instance, InstanceLink, OutboxMessage
from engine.services import Database, UnitOfWork, read_deployment_files

AGENT, SUPERVISOR, QUALITY, PORTAL = "alice", "sam", "quinn", "portal"

LANE_WORKERS = {"Superviseur": SUPERVISOR, "Qualité": QUALITY}  # the agent works the others
WEB_COMPLAINT = {
    "channel": "web",
    "customer_name": "Ana Martin",
    "customer_email": "ana.martin@example.org",
    "description": "Ma facture de novembre compte deux fois l'abonnement.",
    "asks_for_treatment": True,
    "category": "billing",
    "product": "Box Internet",
    "remedy_wanted": "refund",
    "subject": "Abonnement facturé deux fois",
}
QUALIFICATION_KEYS = ("kind", "category", "product", "remedy_wanted", "subject")
MINOR = {"gravity": "minor", "complexity": "simple", "repercussions": "individual"}
CRITICAL = {"gravity": "critical", "complexity": "moderate", "repercussions": "individual"}


def deploy_processes(uow: Callable[[], UnitOfWork]) -> None:
    """The organisation's processes, forms and policy, and one person per role."""
    services.ensure_builtin_roles(uow())
    files = read_deployment_files(PROJECT_ROOT / "processes", PROJECT_ROOT / "forms")
    services.deploy_version(files, "process-owner", uow())
    for username, role in [(AGENT, "agent"), (SUPERVISOR, "supervisor"), (QUALITY, "quality")]:
        services.create_user(username, [role], uow())


class Desk:
    """Everything a journey does or looks at, by complaint reference."""

    def __init__(self, uow: Callable[[], UnitOfWork], database: Database, clock):
        self.uow = uow
        self.database = database
        self.clock = clock

    # --- the customer and the portal -------------------------------------------------------

    def customer_files_online(self, **changes: Any) -> str:
        data = {**WEB_COMPLAINT, **changes}
        return services.start_instance("complaint", data, PORTAL, self.uow()).reference

    def customer_replies(self, reference: str, satisfied: bool, **answers: Any) -> None:
        reply = {
            "taken_into_account": "yes" if satisfied else "no",
            "corrections": "yes" if satisfied else "partly",
            "relationship": "continue" if satisfied else "uncertain",
            "satisfied": satisfied,
            **answers,
        }
        services.deliver_message(reference, "customer_reply", reply, PORTAL, self.uow())

    # --- people doing their tasks -------------------------------------------------------------

    def ready_tasks(self, reference: str) -> list[services.TaskView]:
        return services.list_tasks(self.uow(), reference=reference)

    def does(self, reference: str, bpmn_id: str, actor: str, **data: Any):
        """``actor`` completes the one ready task of the complaint, which must be ``bpmn_id``."""
        tasks = [t for t in self.ready_tasks(reference) if t.bpmn_id == bpmn_id]
        assert len(tasks) == 1, f"{bpmn_id} is not ready: {self.ready(reference)}"
        return services.complete_task(tasks[0].id, data, actor, self.uow())

    def ready(self, reference: str) -> list[tuple[str, str | None]]:
        """(task, lane) of every ready task."""
        return [(t.bpmn_id, t.lane) for t in self.ready_tasks(reference)]

    def task_data(self, reference: str, bpmn_id: str) -> dict:
        (task,) = [t for t in self.ready_tasks(reference) if t.bpmn_id == bpmn_id]
        reader = LANE_WORKERS.get(task.lane, AGENT)
        return services.task_form_context(task.id, reader, self.uow())["data"]

    def qualifies(self, reference: str, **changes: Any) -> None:
        """Alice checks the web submission and confirms the qualification."""
        self.does(reference, "check_web_submission", AGENT, submission_complete=True)
        qualification = {k: WEB_COMPLAINT[k] for k in QUALIFICATION_KEYS[1:]}
        self.does(reference, "qualify", AGENT, kind="complaint", **{**qualification, **changes})

    def assesses(self, reference: str, **assessment: str) -> None:
        self.does(reference, "assess", AGENT, history_reviewed=True, **(assessment or MINOR))

    def decides(self, reference: str, remedy: str = "refund", amount: str = "30.00") -> None:
        self.does(
            reference,
            "decide",
            AGENT,
            remedy=remedy,
            remedy_amount=amount,
            decision_rationale="Le client a été facturé deux fois : erreur avérée.",
        )

    def answers(self, reference: str) -> None:
        self.does(
            reference,
            "write_answer",
            AGENT,
            answer_text="Nous avons corrigé votre facture et vous remboursons la différence.",
        )

    def handles(self, reference: str, remedy: str = "refund", amount: str = "30.00") -> None:
        """Alice assesses (minor), decides within her delegation and answers."""
        self.assesses(reference)
        self.decides(reference, remedy, amount)
        self.answers(reference)

    # --- time -------------------------------------------------------------------------------------

    def time_passes(self, delta: timedelta, *references: str) -> list[str]:
        """Move the clock; the scheduler fires what is due; returns the timers that fired."""
        self.clock.advance(delta)
        fired = []
        for reference in references:
            fired += [t.bpmn_id for t in services.fire_due_timers(reference, self.uow())]
        return fired

    # --- what the records show -------------------------------------------------------------------

    def complaint(self, reference: str) -> services.InstanceView:
        return services.get_instance(reference, self.uow())

    def history(self, reference: str) -> list[services.EventView]:
        return services.instance_history(reference, self.uow())

    def events(self, reference: str, kind: str) -> list[services.EventView]:
        return [e for e in self.history(reference) if e.kind == kind]

    def path(self, reference: str) -> list[str]:
        """The elements passed, in order (tasks, scripts, milestones, messages, timers)."""
        passed = {
            "task_completed",
            "element_completed",
            "milestone_reached",
            "message_sent",
            "message_received",
            "timer_fired",
            "subprocess_completed",
        }
        return [e.element_id for e in self.history(reference) if e.kind in passed]

    def flows(self, reference: str) -> list[str]:
        """The sequence flows taken out of gateways, in order."""
        return [
            flow["flow"]
            for e in self.events(reference, "gateway_passed")
            for flow in e.data["flows"]
        ]

    def tasks_offered(self, reference: str) -> list[tuple[str, str]]:
        """(task, lane) of every task that appeared, in order."""
        return [(e.element_id, e.data["lane"]) for e in self.events(reference, "task_ready")]

    def stages(self, reference: str) -> list[str]:
        return [e.element_name for e in self.events(reference, "milestone_reached")]

    def outbox(self, reference: str) -> list[tuple[str, dict]]:
        with self.database.unit_of_work(read_only=True) as check:
            instance_id = check.session.scalar(
                select(Instance.id).where(Instance.reference == reference)
            )
            rows = check.session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.instance_id == instance_id)
                .order_by(OutboxMessage.id)
            )
            return [(m.name, m.payload) for m in rows]

    def sent(self, reference: str, name: str) -> list[dict]:
        return [payload for message, payload in self.outbox(reference) if message == name]

    def linked_to(self, reference: str) -> list[str]:
        """References of the complaints linked to instance ``reference``."""
        with self.database.unit_of_work(read_only=True) as check:
            target = check.session.scalar(
                select(Instance.id).where(Instance.reference == reference)
            )
            rows = check.session.scalars(
                select(Instance.reference)
                .join(InstanceLink, InstanceLink.source_id == Instance.id)
                .where(InstanceLink.target_id == target)
                .order_by(Instance.reference)
            )
            return list(rows)

    def references_of(self, process_id: str) -> list[str]:
        with self.database.unit_of_work(read_only=True) as check:
            return list(
                check.session.scalars(
                    select(Instance.reference)
                    .where(Instance.process_id == process_id)
                    .order_by(Instance.id)
                )
            )
