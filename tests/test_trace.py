"""The auditor's trace of a complaint: the path it took, drawn from its trail; the timeline with
the data each step changed; the chain check; the exports, each of them recorded.

The expected paths below are read off the diagrams in processes/ by hand, element by element
and flow by flow, for the journeys of tests/test_journeys.py.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select, update

from cli.main import main as doleance
from engine import services
from engine.db.models import AuditEvent, Instance
from engine.errors import InvalidInput, NotFound
from engine.services import audit as trace
from engine.trail.audit import SYSTEM_CHAIN
from tests.journeys.desk import CRITICAL, SUPERVISOR, Desk, deploy_processes


@pytest.fixture
def desk(uow, database, frozen_clock) -> Desk:
    deploy_processes(uow)
    return Desk(uow, database, frozen_clock)


def ids(text: str) -> set[str]:
    return set(text.split())


def answered(desk: Desk, **changes) -> str:
    reference = desk.customer_files_online(**changes)
    desk.qualifies(reference)
    desk.handles(reference)
    return reference


# --- the path: what the diagrams show ------------------------------------------------------------

MAIN_TO_CHECKIN = ids(
    """complaint_received open_file stage_received inform_received intake_call kind_gateway
    stage_acknowledged inform_acknowledged treatment_loop_merge stage_in_treatment
    inform_in_treatment treatment_call stage_answered inform_answered stage_waiting
    inform_waiting"""
)
MAIN_FLOWS_TO_CHECKIN = ids(
    """flow_complaint_received_open_file flow_open_file_stage_received
    flow_stage_received_inform_received flow_inform_received_intake_call
    flow_intake_call_kind_gateway flow_to_treatment flow_stage_acknowledged_inform_acknowledged
    flow_inform_acknowledged_treatment_loop_merge flow_treatment_loop_merge_stage_in_treatment
    flow_stage_in_treatment_inform_in_treatment flow_inform_in_treatment_treatment_call
    flow_treatment_call_stage_answered flow_stage_answered_inform_answered
    flow_inform_answered_stage_waiting flow_stage_waiting_inform_waiting
    flow_inform_waiting_checkin_call"""
)
MAIN_CLOSING = ids(
    "checkin_call satisfied_gateway closing_merge close_file stage_closed inform_closed "
    "complaint_closed"
)
MAIN_CLOSING_FLOWS = ids(
    """flow_checkin_call_satisfied_gateway flow_satisfied flow_closing_merge_close_file
    flow_close_file_stage_closed flow_stage_closed_inform_closed
    flow_inform_closed_complaint_closed"""
)
WEB_INTAKE = ids(
    """intake_start channel_gateway check_web_submission registered_merge qualify
    requalified_gateway kind_merge is_complaint_gateway date_acknowledgement
    send_acknowledgement route intake_done"""
)
WEB_INTAKE_FLOWS = ids(
    """flow_intake_start_channel_gateway flow_web flow_check_web_submission_registered_merge
    flow_registered_merge_qualify flow_qualify_requalified_gateway flow_kind_confirmed
    flow_kind_merge_is_complaint_gateway flow_is_complaint
    flow_date_acknowledgement_send_acknowledgement flow_send_acknowledgement_route
    flow_route_intake_done"""
)
ASSESSED = ids(
    """evaluation_start look_up_history assess compute_priority start_internal_clock
    count_similar capa_gateway treatment_merge"""
)
ASSESSED_FLOWS = ids(
    """flow_evaluation_start_look_up_history flow_look_up_history_assess
    flow_assess_compute_priority flow_compute_priority_start_internal_clock
    flow_start_internal_clock_count_similar flow_count_similar_capa_gateway
    flow_treatment_merge_decide"""
)
ANSWERED = ids(
    """decide check_authority approval_gateway answer_merge write_answer refusal_gateway
    recourse_merge date_answer send_answer evaluation_done"""
)
ANSWERED_FLOWS = ids(
    """flow_decide_check_authority flow_check_authority_approval_gateway
    flow_answer_merge_write_answer flow_write_answer_refusal_gateway flow_not_refused
    flow_recourse_merge_date_answer flow_date_answer_send_answer flow_send_answer_evaluation_done"""
)
CHECKIN_ASKED = ids("checkin_start prepare_checkin ask_customer")
CHECKIN_ASKED_FLOWS = ids(
    "flow_checkin_start_prepare_checkin flow_prepare_checkin_ask_customer "
    "flow_ask_customer_reply_or_reminder"
)
CHECKIN_REPLIED = ids(
    "reply_or_reminder reply_received reply_merge record_feedback feedback_recorded"
)
CHECKIN_REPLIED_FLOWS = ids(
    "flow_reply flow_reply_received_reply_merge flow_reply_merge_record_feedback "
    "flow_record_feedback_feedback_recorded"
)


def test_a_satisfied_web_complaint_lights_up_exactly_the_path_it_took(desk):
    reference = answered(desk)
    desk.customer_replies(reference, satisfied=True)

    path = trace.path_of(reference, desk.uow())

    assert [p.process_id for p in path.processes] == [
        "complaint",
        "intake",
        "evaluation",
        "customer_checkin",
    ]
    main = path.process("complaint")
    assert main.completed == dict.fromkeys(MAIN_TO_CHECKIN | MAIN_CLOSING, 1)
    assert main.flows == dict.fromkeys(MAIN_FLOWS_TO_CHECKIN | MAIN_CLOSING_FLOWS, 1)
    intake = path.process("intake")
    assert (set(intake.completed), set(intake.flows)) == (WEB_INTAKE, WEB_INTAKE_FLOWS)
    evaluation = path.process("evaluation")
    assert set(evaluation.completed) == ASSESSED | ANSWERED
    assert set(evaluation.flows) == ASSESSED_FLOWS | ANSWERED_FLOWS | {
        "flow_no_capa",
        "flow_within_delegation",
    }
    checkin = path.process("customer_checkin")
    assert set(checkin.completed) == CHECKIN_ASKED | CHECKIN_REPLIED
    assert set(checkin.flows) == CHECKIN_ASKED_FLOWS | CHECKIN_REPLIED_FLOWS
    assert all(not (p.waiting or p.fired_timers or p.errors) for p in path.processes)
    assert main.cancelled == dict.fromkeys(
        ids(
            "acknowledgement_warning acknowledgement_breach answer_breach answer_warning "
            "progress_cycle"
        ),
        1,
    )


def test_a_reopened_complaint_shows_its_loop_with_counts(desk):
    reference = answered(desk)
    desk.customer_replies(reference, satisfied=False, comment="Toujours facturé deux fois.")
    desk.handles(reference, remedy="refund", amount="39.90")
    desk.customer_replies(reference, satisfied=True)

    path = trace.path_of(reference, desk.uow())

    main = path.process("complaint")
    looped = ids(
        """treatment_loop_merge stage_in_treatment inform_in_treatment treatment_call
        stage_answered inform_answered stage_waiting inform_waiting checkin_call
        satisfied_gateway"""
    )
    assert main.completed == {
        **dict.fromkeys(MAIN_TO_CHECKIN | MAIN_CLOSING | {"reopen_gateway", "reopen"}, 1),
        **dict.fromkeys(looped, 2),
    }
    looped_flows = ids(
        """flow_treatment_loop_merge_stage_in_treatment flow_stage_in_treatment_inform_in_treatment
        flow_inform_in_treatment_treatment_call flow_treatment_call_stage_answered
        flow_stage_answered_inform_answered flow_inform_answered_stage_waiting
        flow_stage_waiting_inform_waiting flow_inform_waiting_checkin_call
        flow_checkin_call_satisfied_gateway"""
    )
    assert main.flows == {
        **dict.fromkeys(
            MAIN_FLOWS_TO_CHECKIN | MAIN_CLOSING_FLOWS | {"flow_unsatisfied", "flow_reopen"},
            1,
        ),
        "flow_reopened": 1,
        **dict.fromkeys(looped_flows, 2),
    }
    assert "flow_reopen_limit" not in main.flows
    evaluation = path.process("evaluation")
    assert evaluation.completed == dict.fromkeys(ASSESSED | ANSWERED, 2)
    assert path.process("customer_checkin").flows["flow_reply"] == 2


def test_a_critical_complaint_shows_the_approval_and_its_corrective_action_still_open(desk):
    reference = desk.customer_files_online()
    desk.qualifies(reference)
    desk.assesses(reference, **CRITICAL)
    desk.decides(reference, remedy="refund", amount="80.00")
    desk.does(reference, "approve", SUPERVISOR, approved=True)
    desk.answers(reference)

    path = trace.path_of(reference, desk.uow())

    (capa,) = desk.references_of("corrective_action")
    assert [(p.reference, p.process_id) for p in path.processes] == [
        (reference, "complaint"),
        (reference, "intake"),
        (reference, "evaluation"),
        (reference, "customer_checkin"),
        (capa, "corrective_action"),
    ]
    evaluation = path.process("evaluation")
    assert set(evaluation.completed) == ASSESSED | ANSWERED | {
        "open_capa",
        "approve",
        "approved_gateway",
    }
    assert set(evaluation.flows) == ASSESSED_FLOWS | ANSWERED_FLOWS | ids(
        """flow_open_capa flow_open_capa_treatment_merge flow_needs_approval
        flow_approve_approved_gateway flow_approved"""
    )
    main = path.process("complaint")
    assert set(main.completed) == MAIN_TO_CHECKIN
    assert [(w.element_id, w.kind) for w in main.waiting if w.kind != "timer"] == [
        ("checkin_call", "subprocess")
    ]
    checkin = path.process("customer_checkin")
    assert {(w.element_id, w.kind) for w in checkin.waiting} == {
        ("reminder_due", "timer"),
        ("reply_or_reminder", "event"),
        ("reply_received", "event"),
    }
    action = path.process("corrective_action", capa)
    assert set(action.completed) == ids("capa_start open_capa_file stage_capa_open")
    assert set(action.flows) == ids(
        "flow_capa_start_open_capa_file flow_open_capa_file_stage_capa_open "
        "flow_stage_capa_open_decide_investigation"
    )
    assert [(w.element_id, w.kind) for w in action.waiting] == [("decide_investigation", "task")]


def test_a_silent_customer_shows_the_two_timers_that_fired(desk):
    reference = answered(desk)
    desk.time_passes(timedelta(days=8), reference)
    desk.time_passes(timedelta(days=8), reference)

    checkin = trace.path_of(reference, desk.uow()).process("customer_checkin")

    assert checkin.fired_timers == {"reminder_due": 1, "silence_timeout": 1}
    assert set(checkin.completed) == CHECKIN_ASKED | ids(
        """reply_or_reminder reminder_due remind_customer reply_or_silence silence_timeout
        note_no_reply no_reply_end"""
    )
    assert set(checkin.flows) == CHECKIN_ASKED_FLOWS | ids(
        """flow_reminder flow_reminder_due_remind_customer flow_remind_customer_reply_or_silence
        flow_silence flow_silence_timeout_note_no_reply flow_note_no_reply_no_reply_end"""
    )


def test_a_breached_answer_deadline_shows_its_timers_and_the_periodic_updates(desk):
    reference = desk.customer_files_online()
    desk.qualifies(reference)
    desk.time_passes(timedelta(days=50), reference)
    desk.time_passes(timedelta(days=12), reference)

    path = trace.path_of(reference, desk.uow())

    main = path.process("complaint")
    updates = len(desk.sent(reference, "progress_update")) - 3  # after the three stage updates
    assert updates == 8
    assert main.fired_timers == {"answer_warning": 1, "answer_breach": 1, "progress_cycle": updates}
    assert main.flows["flow_progress_cycle_progress_update"] == updates
    assert main.completed["progress_update"] == main.completed["end_progress"] == updates
    assert {
        "flow_answer_warning_warn_answer",
        "flow_warn_answer_end_answer_warned",
        "flow_answer_breach_escalate_answer",
        "flow_escalate_answer_alert_supervisor_answer",
        "flow_alert_supervisor_answer_end_answer_escalated",
    } <= set(main.flows)
    assert {(w.element_id, w.kind) for w in main.waiting} == {
        ("progress_cycle", "timer"),
        ("treatment_call", "subprocess"),
    }
    assert [(w.element_id, w.kind) for w in path.process("evaluation").waiting] == [
        ("assess", "task")
    ]


def test_every_flow_followed_joins_two_elements_the_path_reached(desk):
    reference = answered(desk)
    desk.customer_replies(reference, satisfied=False)
    desk.handles(reference)
    desk.customer_replies(reference, satisfied=False)

    path = trace.path_of(reference, desk.uow())

    for process in path.processes:
        with desk.uow() as reading:
            instance = reading.session.scalar(
                select(Instance).where(Instance.reference == process.reference)
            )
            diagram = trace.diagrams_of(instance.process_version)[process.process_id]
        reached = set(process.completed) | {w.element_id for w in process.waiting}
        for flow_id in process.flows:
            flow = diagram.flows[flow_id]
            assert {flow.source, flow.target} <= reached, flow_id
    assert path.process("complaint").flows["flow_reopen_limit"] == 1
    assert [w.element_id for w in path.process("complaint").waiting] == ["final_decision_task"]


def test_the_path_of_an_unknown_complaint_is_not_found(desk):
    with pytest.raises(NotFound):
        trace.path_of("REC-1999-000001", desk.uow())


# --- the timeline ---------------------------------------------------------------------------------


def test_the_timeline_shows_what_each_step_changed_before_and_after(desk):
    reference = answered(desk)
    desk.customer_replies(reference, satisfied=False)

    timeline = trace.trace_of(reference, desk.uow()).timeline

    (started,) = [e for e in timeline if e.kind == "instance_started"]
    assert trace.Change("customer_name", None, "Ana Martin", True) in started.changes
    (priority,) = [e for e in timeline if e.element_id == "compute_priority"]
    assert [(c.key, c.before, c.after) for c in priority.changes] == [("priority", None, "low")]
    (reopened,) = [e for e in timeline if e.element_id == "reopen"]
    assert ("reopen_count", 0, 1) in [(c.key, c.before, c.after) for c in reopened.changes]
    (treatment,) = [
        e for e in timeline if e.kind == "subprocess_completed" and e.element_id == "treatment_call"
    ]
    assert "priority" not in {c.key for c in treatment.changes}  # already shown when set


def test_the_timeline_gives_each_message_sent_its_content(desk):
    reference = answered(desk)

    complaint = trace.trace_of(reference, desk.uow())

    (acknowledgement,) = [e for e in complaint.timeline if e.element_id == "send_acknowledgement"]
    assert acknowledgement.message.name == "acknowledgement"
    assert acknowledgement.message.payload["answer_due_by"] == "2027-01-23T22:59:59+00:00"
    sent = [e.message.id for e in complaint.timeline if e.kind == "message_sent"]
    assert sent == [m.id for m in complaint.messages]


# --- the chain check ---------------------------------------------------------------------------


def test_an_intact_trail_verifies(desk):
    reference = answered(desk)

    check = trace.check_chain(reference, desk.uow())

    assert check.intact and check.events == len(desk.history(reference))


def test_an_event_edited_in_the_database_breaks_the_chain_at_its_seq(desk):
    reference = answered(desk)
    with desk.uow() as tampering:
        tampering.session.execute(
            update(AuditEvent)
            .where(AuditEvent.chain == reference, AuditEvent.seq == 12)
            .values(actor="mallory")
        )
        tampering.commit()

    check = trace.check_chain(reference, desk.uow())

    assert (check.intact, check.broken_at, check.problem) == (False, 12, "altered")
    assert [b.seq for b in services.verify_audit(desk.uow(), reference)] == [12]


def test_deleting_the_newest_events_is_detected_as_a_truncated_trail(desk):
    reference = answered(desk)
    last = len(desk.history(reference))
    with desk.uow() as tampering:
        tampering.session.execute(
            delete(AuditEvent).where(AuditEvent.chain == reference, AuditEvent.seq >= last - 1)
        )
        tampering.commit()

    check = trace.check_chain(reference, desk.uow())

    assert (check.broken_at, check.problem) == (last - 1, "truncated")


# --- exports -------------------------------------------------------------------------------------


def test_the_json_export_is_the_whole_trail_with_its_hashes_ending_with_the_export(desk):
    reference = answered(desk)

    exported = trace.export_trail(reference, "json", "audrey", desk.uow())

    document = json.loads(exported.content)
    with desk.uow() as check:
        stored = check.session.scalars(
            select(AuditEvent).where(AuditEvent.chain == reference).order_by(AuditEvent.seq)
        ).all()
        rows = [(e.seq, e.kind, e.actor, e.prev_hash, e.hash) for e in stored]
    assert [
        (e["seq"], e["kind"], e["actor"], e["prev_hash"], e["hash"]) for e in document["events"]
    ] == rows
    assert document["events"][-1]["kind"] == "trail_exported"
    assert document["events"][-1]["data"] == {"format": "json", "scope": "trail"}
    assert exported.event_seq == len(rows)
    assert document["chain"]["intact"] is True
    assert document["chain"]["head_hash"] == rows[-1][4]
    assert exported.filename.startswith(reference) and exported.filename.endswith(".json")


def test_the_csv_export_has_one_row_per_event_and_the_documented_columns(desk):
    reference = answered(desk)

    exported = trace.export_trail(reference, "csv", "audrey", desk.uow())

    rows = list(csv.reader(io.StringIO(exported.content)))
    assert rows[0] == list(trace.TRAIL_COLUMNS)
    history = desk.history(reference)
    assert [int(row[0]) for row in rows[1:]] == [e.seq for e in history]
    assert json.loads(rows[1][7])["data"]["customer_name"] == "Ana Martin"
    assert rows[-1][2:4] == ["audrey", "trail_exported"]


def test_each_export_is_recorded_in_the_complaints_trail_and_keeps_it_intact(desk):
    reference = answered(desk)

    trace.export_trail(reference, "csv", "audrey", desk.uow())
    trace.record_report(reference, "sam", desk.uow())

    exports = desk.events(reference, "trail_exported")
    assert [(e.actor, e.data["format"]) for e in exports] == [("audrey", "csv"), ("sam", "html")]
    assert trace.check_chain(reference, desk.uow()).intact


def test_an_unknown_export_format_is_refused_and_records_nothing(desk):
    reference = answered(desk)
    before = len(desk.history(reference))

    with pytest.raises(InvalidInput):
        trace.export_trail(reference, "xml", "audrey", desk.uow())

    assert len(desk.history(reference)) == before


def test_the_regulators_export_has_one_row_per_complaint_received_in_the_period(desk):
    satisfied = answered(desk)
    desk.customer_replies(satisfied, satisfied=False)
    desk.handles(satisfied)
    desk.customer_replies(satisfied, satisfied=True)
    late = desk.customer_files_online(customer_email="leo@example.org")
    desk.time_passes(timedelta(days=15), late)  # the acknowledgement deadline passes
    desk.customer_files_online()  # received in December: outside the period

    exported = trace.export_range(date(2026, 11, 1), date(2026, 11, 30), "audrey", desk.uow())

    rows = list(csv.DictReader(io.StringIO(exported.content)))
    assert list(rows[0]) == list(trace.REGULATOR_COLUMNS)
    first, second = rows
    assert (first["reference"], second["reference"]) == (satisfied, late)
    assert first["received_at"] == "2026-11-23T10:00:00+01:00"  # Paris time
    assert (
        first["acknowledged_at"]
        == first["answered_at"]
        == first["closed_at"]
        == first["received_at"]
    )
    assert (first["status"], first["outcome"], first["reopen_count"]) == (
        "completed",
        "satisfied",
        "1",
    )
    assert first["deadlines_met"] == "acknowledgement; answer; internal_sla"
    assert (second["acknowledged_at"], second["status"]) == ("", "running")
    assert second["deadlines_breached"] == "acknowledgement"
    assert second["escalations"] == "1"
    (recorded,) = _system_exports(desk)
    assert recorded == (
        "audrey",
        {
            "format": "csv",
            "scope": "range",
            "from": "2026-11-01",
            "to": "2026-11-30",
            "complaints": 2,
        },
    )


def test_the_regulators_export_names_the_corrective_action_of_a_critical_complaint(desk):
    reference = desk.customer_files_online()
    desk.qualifies(reference)
    desk.assesses(reference, **CRITICAL)

    exported = trace.export_range(date(2026, 11, 23), date(2026, 11, 23), "audrey", desk.uow())

    (row,) = csv.DictReader(io.StringIO(exported.content))  # the action itself is no complaint
    (capa,) = desk.references_of("corrective_action")
    assert (row["reference"], row["priority"], row["corrective_action"]) == (
        reference,
        "critical",
        capa,
    )


def _system_exports(desk: Desk) -> list[tuple[str, dict]]:
    """(actor, data) of the exports recorded on the system chain."""
    with desk.uow() as reading:
        return reading.session.execute(
            select(AuditEvent.actor, AuditEvent.data).where(
                AuditEvent.chain == SYSTEM_CHAIN, AuditEvent.kind == "trail_exported"
            )
        ).all()


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [
        (date(2026, 12, 1), date(2026, 11, 1), "range_reversed"),
        (date(2020, 1, 1), date(2026, 1, 1), "range_too_long"),
        (None, date(2026, 1, 1), "range_missing"),
    ],
)
def test_a_wrong_period_is_refused_with_its_reason(desk, start, end, code):
    with pytest.raises(InvalidInput) as refused:
        trace.export_range(start, end, "audrey", desk.uow())

    assert refused.value.code == code
    assert _system_exports(desk) == []


# --- search --------------------------------------------------------------------------------------


@pytest.fixture
def filed(desk):
    """Three complaints on three days: Ana's answered one, Léo's late one, Mia's new one."""
    ana = answered(desk)
    desk.clock.advance(timedelta(days=1))
    leo = desk.customer_files_online(customer_name="Léo Petit", customer_email="leo@example.org")
    desk.qualifies(leo, category="delivery")
    desk.time_passes(timedelta(days=70), leo)  # the answer deadline passes
    mia = desk.customer_files_online(customer_name="Mia Roux", customer_email="mia@example.org")
    return ana, leo, mia


def found(desk, **criteria) -> list[str]:
    hits, total = trace.search_instances(trace.TraceSearch(**criteria), desk.uow())
    assert total == len(hits)
    return [hit.reference for hit in hits]


def test_search_finds_by_reference_name_or_email_newest_first(desk, filed):
    ana, leo, mia = filed

    assert found(desk) == [mia, leo, ana]
    assert found(desk, text=leo[-3:]) == [leo]
    assert found(desk, text="ana mar") == [ana]
    assert found(desk, text="MIA@EXAMPLE") == [mia]


def test_search_filters_by_received_date_stage_category_priority_and_breach(desk, filed):
    ana, leo, _mia = filed

    assert found(desk, received_from=date(2026, 11, 24), received_to=date(2026, 11, 24)) == [leo]
    assert found(desk, stage="En attente du client") == [ana]
    assert found(desk, category="Delivery") == [leo]
    assert found(desk, priority="low") == [ana]
    assert found(desk, breached=True) == [leo]
    hits, _ = trace.search_instances(trace.TraceSearch(breached=True), desk.uow())
    assert [h.breached for h in hits] == [True]


def test_search_pages_and_counts_every_match(desk, filed):
    ana, leo, mia = filed

    first, total = trace.search_instances(trace.TraceSearch(), desk.uow(), limit=2)
    second, again = trace.search_instances(trace.TraceSearch(), desk.uow(), limit=2, offset=2)
    beyond, still = trace.search_instances(trace.TraceSearch(), desk.uow(), limit=2, offset=4)

    assert [h.reference for h in first + second] == [mia, leo, ana]
    assert total == again == still == 3
    assert beyond == []


def test_search_of_corrective_actions(desk):
    reference = desk.customer_files_online()
    desk.qualifies(reference)
    desk.assesses(reference, **CRITICAL)

    (capa,) = desk.references_of("corrective_action")
    assert found(desk, process_id="corrective_action") == [capa]
    assert found(desk, process_id=None) == [capa, reference]


def test_search_options_come_from_the_deployed_diagrams_and_policy(desk):
    options = trace.search_options(desk.uow())

    assert options.processes == [
        ("complaint", "Réclamation"),
        ("corrective_action", "Action corrective"),
    ]
    assert {"Reçue", "Accusée", "En traitement", "Clôturée", "En analyse"} <= set(options.stages)
    assert options.priorities == ["low", "normal", "high", "critical"]


# --- the command line ----------------------------------------------------------------------------


@pytest.fixture
def run(settings, monkeypatch):
    for key, value in {
        "DOLEANCE_DATABASE_URL": settings.database_url,
        "DOLEANCE_INSTANCE_DIR": str(settings.instance_dir),
    }.items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    return lambda *args: runner.invoke(doleance, list(args), catch_exceptions=False)


def test_the_command_line_exports_a_trail_and_records_who_did(desk, run, tmp_path):
    reference = answered(desk)
    target = tmp_path / "trail.json"

    result = run("audit", "export", reference, "--as", "audrey", "-o", str(target))

    assert result.exit_code == 0, result.output
    document = json.loads(target.read_text(encoding="utf-8"))
    assert document["events"][-1]["actor"] == "audrey"
    assert f"recorded as audit event #{document['events'][-1]['seq']}" in result.output


def test_the_command_line_exports_a_period_as_csv_to_standard_output(desk, run):
    reference = answered(desk)

    result = run("audit", "export", "--from", "2026-11-01", "--to", "2026-11-30")

    assert result.exit_code == 0
    assert result.output.splitlines()[1].startswith(f"{reference},2026-11-23T10:00:00+01:00,web")


@pytest.mark.parametrize(
    "args",
    [
        ("audit", "export"),
        ("audit", "export", "REC-2026-000001", "--from", "2026-11-01", "--to", "2026-11-30"),
        ("audit", "export", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "json"),
    ],
)
def test_the_command_line_refuses_an_ambiguous_export(desk, run, args):
    result = run(*args)

    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_the_command_line_reports_an_unknown_complaint_in_one_line(desk, run):
    result = run("audit", "export", "REC-1999-000001")

    assert result.exit_code == 1
    assert result.output.strip() == "error: no complaint with reference 'REC-1999-000001'"
