"""Journeys of complaints through the organisation's processes (processes/, forms/).

Each test follows one path from end to end through the service layer, with the test clock,
and checks what an auditor would: the path taken, the tasks offered to each lane, the
messages put in the outbox and the stage the complaint ends in.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.config import PROJECT_ROOT
from engine.rules.policy import parse_policy
from tests.conftest import START
from tests.journeys.desk import (
    AGENT,
    CRITICAL,
    QUALITY,
    SUPERVISOR,
    Desk,
    deploy_processes,
)

POLICY = parse_policy((PROJECT_ROOT / "processes" / "policy.toml").read_text(encoding="utf-8"))
MEDIATOR = POLICY.value("recourse.mediator")


@pytest.fixture
def desk(uow, database, frozen_clock) -> Desk:
    deploy_processes(uow)
    return Desk(uow, database, frozen_clock)


def stages_announced(desk: Desk, reference: str) -> list[str]:
    return [payload["stage"] for payload in desk.sent(reference, "progress_update")]


def answered_complaint(desk: Desk) -> str:
    """A web complaint qualified, handled within delegation and answered; waiting for the
    customer's opinion."""
    reference = desk.customer_files_online()
    desk.qualifies(reference)
    desk.handles(reference)
    return reference


def critical_complaint(desk: Desk) -> str:
    """A web complaint assessed as critical: it has opened a corrective action."""
    reference = desk.customer_files_online()
    desk.qualifies(reference)
    desk.assesses(reference, **CRITICAL)
    return reference


# --- the main path ------------------------------------------------------------------------------


def test_a_simple_complaint_is_solved_and_the_satisfied_customer_closes_it(desk):
    reference = desk.customer_files_online()
    desk.qualifies(reference)
    desk.handles(reference, remedy="refund", amount="30.00")

    desk.customer_replies(reference, satisfied=True)

    complaint = desk.complaint(reference)
    assert (complaint.status, complaint.stage) == ("completed", "Clôturée")
    assert complaint.summary["priority"] == "low"
    assert desk.tasks_offered(reference) == [
        ("check_web_submission", "Accueil"),
        ("qualify", "Accueil"),
        ("assess", "Conseiller"),
        ("decide", "Conseiller"),
        ("write_answer", "Conseiller"),
    ]
    assert desk.flows(reference)[:4] == [
        "flow_web",
        "flow_registered_merge_qualify",
        "flow_kind_confirmed",
        "flow_kind_merge_is_complaint_gateway",
    ]
    assert {
        "flow_is_complaint",
        "flow_to_treatment",
        "flow_no_capa",
        "flow_within_delegation",
        "flow_not_refused",
        "flow_satisfied",
    } <= set(desk.flows(reference))
    assert desk.stages(reference) == [
        "Reçue",
        "Accusée",
        "En traitement",
        "Réponse envoyée",
        "En attente du client",
        "Clôturée",
    ]
    assert [name for name, _ in desk.outbox(reference)] == [
        "progress_update",
        "acknowledgement",
        "progress_update",
        "progress_update",
        "answer",
        "progress_update",
        "progress_update",
        "checkin_questions",
        "progress_update",
    ]
    assert stages_announced(desk, reference) == desk.stages(reference)
    (answer,) = desk.sent(reference, "answer")
    assert (answer["remedy"], answer["amount"], answer["recourse"]) == ("refund", "30.00", None)
    (acknowledgement,) = desk.sent(reference, "acknowledgement")
    assert acknowledgement["acknowledged_at"] == "2026-11-23T09:00:00+00:00"
    assert acknowledgement["answer_due_by"] == "2027-01-23T22:59:59+00:00"  # 2 months, ACPR
    (feedback,) = desk.events(reference, "message_received")
    assert feedback.element_id == "reply_received"
    assert desk.path(reference)[-3:] == ["close_file", "stage_closed", "inform_closed"]


def test_a_dissatisfaction_is_recorded_counted_thanked_and_closed_without_treatment(desk):
    reference = desk.customer_files_online(asks_for_treatment=False)
    desk.does(reference, "check_web_submission", AGENT, submission_complete=True)

    desk.does(
        reference,
        "qualify",
        AGENT,
        kind="dissatisfaction",
        category="billing",
        product="Box Internet",
        remedy_wanted="none",
        subject="Facture peu lisible",
    )

    complaint = desk.complaint(reference)
    assert (complaint.status, complaint.stage) == ("completed", "Clôturée")
    assert "flow_dissatisfaction" in desk.flows(reference)
    assert "flow_is_dissatisfaction" in desk.flows(reference)
    assert "count_dissatisfactions" in desk.path(reference)
    assert "treatment_call" not in desk.path(reference)
    assert desk.tasks_offered(reference) == [
        ("check_web_submission", "Accueil"),
        ("qualify", "Accueil"),
    ]
    assert [name for name, _ in desk.outbox(reference)] == [
        "progress_update",
        "thanks",
        "progress_update",
    ]
    assert desk.stages(reference) == ["Reçue", "Clôturée"]
    (count,) = [
        e
        for e in desk.events(reference, "element_completed")
        if e.element_id == "count_dissatisfactions"
    ]
    assert count.data["changes"]["dissatisfaction_trend"][1]["count"] == 1


def test_a_phone_complaint_is_registered_by_the_agent_before_qualification(desk):
    reference = desk.customer_files_online(channel="phone", customer_email=None)

    desk.does(
        reference,
        "register_complaint",
        AGENT,
        channel="phone",
        customer_name="Paul Durand",
        customer_phone="+33 6 12 34 56 78",
        description="Colis reçu abîmé, il veut un échange.",
        asks_for_treatment=True,
    )
    desk.does(
        reference,
        "qualify",
        AGENT,
        kind="complaint",
        category="delivery",
        product="Colis 123",
        remedy_wanted="exchange",
        subject="Colis abîmé",
    )

    assert desk.flows(reference)[0] == "flow_other_channel"
    assert desk.ready(reference) == [("assess", "Conseiller")]
    assert desk.task_data(reference, "assess")["team"] == "logistics"  # routing.dmn
    assert desk.complaint(reference).stage == "En traitement"


def test_an_agent_converts_a_declared_complaint_into_a_dissatisfaction_with_a_reason(desk):
    reference = desk.customer_files_online()
    desk.does(reference, "check_web_submission", AGENT, submission_complete=True)
    qualification = dict(
        category="billing",
        product="Box Internet",
        remedy_wanted="none",
        subject="Remarque sur la facture",
        kind="dissatisfaction",
    )

    desk.does(reference, "qualify", AGENT, **qualification)
    assert desk.ready(reference) == [("qualify", "Accueil")]  # a reason is required
    desk.does(
        reference,
        "qualify",
        AGENT,
        **qualification,
        kind_change_reason="Le client précise au téléphone qu'il ne demande rien.",
    )

    qualification_outcomes = ("flow_reason_missing", "flow_requalified", "flow_kind_confirmed")
    outcomes = [f for f in desk.flows(reference) if f in qualification_outcomes]
    assert outcomes == ["flow_reason_missing", "flow_requalified"]
    (requalified,) = [
        e
        for e in desk.events(reference, "element_completed")
        if e.element_id == "record_requalification"
    ]
    conversion = requalified.data["changes"]["requalification"][1]
    assert (conversion["from"], conversion["to"]) == ("complaint", "dissatisfaction")
    assert desk.complaint(reference).stage == "Clôturée"


def test_the_handler_sees_the_customers_earlier_complaints_when_assessing(desk):
    earlier = answered_complaint(desk)
    desk.customer_replies(earlier, satisfied=True)
    other_customer = desk.customer_files_online(customer_email="leo@example.org")
    desk.qualifies(other_customer)

    reference = desk.customer_files_online(subject="Encore une erreur de facture")
    desk.qualifies(reference)

    history = desk.task_data(reference, "assess")["customer_history"]
    assert [(c["reference"], c["stage"], c["subject"]) for c in history] == [
        (earlier, "Clôturée", "Abonnement facturé deux fois")
    ]
    assert "look_up_history" in desk.path(reference)


# --- approvals, remedies and recourse ------------------------------------------------------------


def test_a_critical_complaint_needs_supervisor_approval_and_opens_a_corrective_action(desk):
    reference = critical_complaint(desk)
    desk.decides(reference, remedy="refund", amount="80.00")

    desk.does(reference, "approve", SUPERVISOR, approved=True)
    desk.answers(reference)

    assert desk.complaint(reference).summary["priority"] == "critical"
    assert ("approve", "Superviseur") in desk.tasks_offered(reference)
    assert {"flow_open_capa", "flow_needs_approval", "flow_approved"} <= set(desk.flows(reference))
    (capa,) = desk.references_of("corrective_action")
    assert capa == "CAPA-2026-000001"
    assert desk.linked_to(capa) == [reference]
    assert desk.ready(capa) == [("decide_investigation", "Qualité")]
    assert desk.task_data(capa, "decide_investigation")["trigger"] == "critical"
    assert desk.complaint(reference).stage == "En attente du client"
    assert [name for name, _ in desk.outbox(reference)][-3:] == [
        "progress_update",
        "progress_update",
        "checkin_questions",
    ]


def test_a_supervisor_sends_a_decision_beyond_delegation_back_to_the_handler(desk):
    reference = desk.customer_files_online()
    desk.qualifies(reference)
    desk.assesses(reference)
    desk.decides(reference, remedy="refund", amount="400.00")  # over the 150 EUR delegation

    desk.does(
        reference,
        "approve",
        SUPERVISOR,
        approved=False,
        approval_comment="Remboursez le seul mois en double.",
    )
    desk.decides(reference, remedy="refund", amount="39.90")
    desk.answers(reference)

    assert desk.flows(reference).count("flow_needs_approval") == 1
    assert "flow_sent_back" in desk.flows(reference)
    assert [task for task, _ in desk.tasks_offered(reference)].count("decide") == 2
    (answer,) = desk.sent(reference, "answer")
    assert answer["amount"] == "39.90"


def test_a_refusal_carries_the_internal_appeal_and_the_mediators_contact(desk):
    reference = desk.customer_files_online()
    desk.qualifies(reference)

    desk.handles(reference, remedy="refusal", amount="0")

    assert "flow_refusal" in desk.flows(reference)
    (answer,) = desk.sent(reference, "answer")
    assert answer["remedy"] == "refusal"
    assert answer["recourse"]["mediator"] == MEDIATOR
    assert answer["recourse"]["internal_appeal"]["email"] == "recours@example.org"


# --- the customer check-in ---------------------------------------------------------------------


def test_an_unsatisfied_customer_reopens_the_complaint_and_is_then_satisfied(desk):
    reference = answered_complaint(desk)

    desk.customer_replies(reference, satisfied=False, comment="Toujours facturé deux fois.")
    assert desk.complaint(reference).stage == "En traitement"
    desk.handles(reference, remedy="refund", amount="39.90")
    desk.customer_replies(reference, satisfied=True)

    reopening = [f for f in desk.flows(reference) if f in ("flow_unsatisfied", "flow_reopen")]
    assert reopening == ["flow_unsatisfied", "flow_reopen"]
    assert "flow_satisfied" in desk.flows(reference)
    assert [t for t, _ in desk.tasks_offered(reference)].count("assess") == 2
    assert desk.stages(reference) == [
        "Reçue",
        "Accusée",
        "En traitement",
        "Réponse envoyée",
        "En attente du client",
        "En traitement",
        "Réponse envoyée",
        "En attente du client",
        "Clôturée",
    ]
    assert len(desk.sent(reference, "answer")) == 2
    assert desk.complaint(reference).status == "completed"


def test_after_the_allowed_reopenings_the_supervisor_takes_the_final_position(desk):
    reference = answered_complaint(desk)
    desk.customer_replies(reference, satisfied=False)
    desk.handles(reference)

    desk.customer_replies(reference, satisfied=False)

    assert desk.ready(reference) == [("final_decision_task", "Superviseur")]
    desk.does(
        reference,
        "final_decision_task",
        SUPERVISOR,
        final_decision="maintained",
        final_answer_text="Nous maintenons notre décision, voici vos voies de recours.",
    )
    assert "flow_reopen_limit" in desk.flows(reference)
    (final,) = desk.sent(reference, "final_answer")
    assert final["recourse"]["mediator"] == MEDIATOR
    assert desk.complaint(reference).stage == "Clôturée"


def test_a_silent_customer_is_reminded_then_the_complaint_closes_as_no_reply(desk):
    reference = answered_complaint(desk)

    assert desk.time_passes(timedelta(days=8), reference) == ["reminder_due"]
    assert len(desk.sent(reference, "checkin_reminder")) == 1
    assert desk.complaint(reference).stage == "En attente du client"
    assert desk.time_passes(timedelta(days=8), reference) == ["silence_timeout"]

    complaint = desk.complaint(reference)
    assert (complaint.status, complaint.stage) == ("completed", "Clôturée")
    fired = desk.events(reference, "timer_fired")
    assert [(e.element_id, e.data["clock"], e.data["clock_role"]) for e in fired] == [
        ("reminder_due", "checkin_reminder", "reminder"),
        ("silence_timeout", "checkin_silence", "breach"),
    ]
    assert "note_no_reply" in desk.path(reference)
    (closed,) = [
        e for e in desk.events(reference, "element_completed") if e.element_id == "close_file"
    ]
    assert closed.data["changes"]["closure_reason"][1] == "no_reply"


# --- the clocks --------------------------------------------------------------------------------


def test_the_answer_deadline_warns_then_escalates_while_the_work_goes_on(desk):
    reference = desk.customer_files_online()
    desk.qualifies(reference)  # now in treatment, waiting for the assessment

    fired_at_warning = desk.time_passes(timedelta(days=50), reference)
    assert "answer_warning" in fired_at_warning
    (warning,) = desk.sent(reference, "deadline_warning")
    assert (warning["to"], warning["clock"]) == ("team", "answer")
    assert desk.ready(reference) == [("assess", "Conseiller")]

    fired_at_breach = desk.time_passes(timedelta(days=12), reference)  # past 23 January
    assert "answer_breach" in fired_at_breach
    (alert,) = desk.sent(reference, "deadline_escalation")
    assert (alert["to"], alert["clock"], alert["priority"]) == ("supervisor", "answer", "high")
    (escalated,) = desk.events(reference, "escalated")
    assert escalated.data == {"clock": "answer", "from": None, "to": "high"}
    assert desk.ready(reference) == [("assess", "Conseiller")]  # the work goes on

    desk.handles(reference)  # assessed as minor: the escalation keeps it high
    complaint = desk.complaint(reference)
    assert (complaint.stage, complaint.summary["priority"]) == ("En attente du client", "high")


def test_an_acknowledgement_not_sent_in_time_is_escalated(desk):
    reference = desk.customer_files_online()

    desk.time_passes(timedelta(days=15), reference)  # 10 jours ouvrables have passed

    fired = [(e.element_id, e.data["clock_role"]) for e in desk.events(reference, "timer_fired")]
    assert fired == [("acknowledgement_warning", "warning"), ("acknowledgement_breach", "breach")]
    assert [p["clock"] for p in desk.sent(reference, "deadline_escalation")] == ["acknowledgement"]
    assert desk.ready(reference) == [("check_web_submission", "Accueil")]


def test_the_customer_gets_a_progress_update_every_week_of_treatment(desk):
    reference = desk.customer_files_online()
    desk.qualifies(reference)

    desk.time_passes(timedelta(days=7, hours=1), reference)
    desk.time_passes(timedelta(days=7), reference)

    periodic = [p for p in desk.sent(reference, "progress_update") if p.get("periodic")]
    update = {"to": "customer", "reference": reference, "stage": "En traitement", "periodic": True}
    assert periodic == [update, update]
    assert desk.ready(reference) == [("assess", "Conseiller")]


# --- corrective actions ---------------------------------------------------------------------------


def test_the_third_similar_complaint_starts_a_corrective_action_and_the_fourth_joins_it(desk):
    references = []
    for _ in range(4):
        reference = desk.customer_files_online()
        desk.qualifies(reference)
        desk.assesses(reference)
        references.append(reference)
    first, second, third, fourth = references

    (capa,) = desk.references_of("corrective_action")
    assert "flow_no_capa" in desk.flows(first) and "flow_no_capa" in desk.flows(second)
    assert "flow_open_capa" in desk.flows(third)
    assert "flow_join_capa" in desk.flows(fourth)
    assert desk.linked_to(capa) == references
    assert desk.task_data(capa, "decide_investigation")["similar_references"] == [
        first,
        second,
        third,
    ]
    desk.does(capa, "decide_investigation", QUALITY, investigate=True)
    related = desk.task_data(capa, "analyse")["related_complaints"]
    assert [c["reference"] for c in related] == references


def test_an_ineffective_corrective_action_loops_back_to_root_cause_until_effective(desk):
    complaint = critical_complaint(desk)
    (capa,) = desk.references_of("corrective_action")
    desk.does(capa, "decide_investigation", QUALITY, investigate=True)

    def analyse_plan_implement():
        desk.does(
            capa,
            "analyse",
            QUALITY,
            root_cause_category="system",
            root_cause="Le module de facturation double les prorata.",
        )
        desk.does(
            capa,
            "plan",
            QUALITY,
            action_1="Corriger le calcul des prorata",
            action_1_owner="DSI",
            action_1_due="2026-12-15",
        )
        desk.does(
            capa,
            "implement",
            QUALITY,
            implementation_report="Correctif déployé et vérifié sur 100 factures.",
        )

    analyse_plan_implement()
    recurring = desk.customer_files_online(customer_email="leo@example.org")
    desk.qualifies(recurring)
    desk.assesses(recurring)  # a similar complaint after the implementation joins the action
    desk.time_passes(timedelta(days=91), capa)
    assert desk.ready(capa) == [("analyse", "Qualité")]
    analyse_plan_implement()
    desk.time_passes(timedelta(days=91), capa)

    assert [f for f in desk.flows(capa) if f in ("flow_not_effective", "flow_effective")] == [
        "flow_not_effective",
        "flow_effective",
    ]
    action = desk.complaint(capa)
    assert (action.status, action.stage) == ("completed", "Clôturée")
    assert desk.stages(capa).count("En analyse") == 2
    for linked in (complaint, recurring):
        (closed,) = desk.events(linked, "corrective_action_closed")
        assert closed.data == {"corrective_action": capa, "outcome": "effective"}


def test_a_decision_not_to_investigate_is_recorded_with_its_reason_and_author(desk):
    complaint = critical_complaint(desk)
    (capa,) = desk.references_of("corrective_action")

    desk.does(capa, "decide_investigation", QUALITY, investigate=False)
    desk.does(
        capa,
        "justify_no_investigation",
        QUALITY,
        no_investigation_reason="Incident isolé : panne du fournisseur, déjà résolue.",
    )

    assert "flow_no_investigation" in desk.flows(capa)
    (decision,) = desk.events(capa, "decision_recorded")
    assert decision.actor == QUALITY
    assert decision.data["decided_by"] == QUALITY
    assert decision.data["reason"] == "Incident isolé : panne du fournisseur, déjà résolue."
    action = desk.complaint(capa)
    assert (action.status, action.stage) == ("completed", "Clôturée sans investigation")
    (closed,) = desk.events(complaint, "corrective_action_closed")
    assert closed.data == {"corrective_action": capa, "outcome": "not_investigated"}


def test_the_handlers_task_shows_when_the_answer_is_due(desk):
    reference = desk.customer_files_online()
    desk.qualifies(reference)

    (assess,) = [t for t in desk.ready_tasks(reference) if t.bpmn_id == "assess"]

    assert assess.due_at.isoformat() == POLICY.deadline("answer", START)
