"""A process owner changes the procedure in the studio: drafts checked like `doleance validate`,
deployments that show what changed, running complaints migrated when safe, exports for git."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import zipfile
from datetime import timedelta

import pytest
from click.testing import CliRunner
from lxml import etree
from sqlalchemy import select

from cli.main import main as doleance
from engine import services
from engine.config import PROJECT_ROOT
from engine.db.models import AuditEvent, DraftFile
from engine.errors import ConcurrentUpdate, InvalidInput
from engine.rules.policy import parse_policy
from engine.services import studio
from tests.conftest import START
from tests.journeys.desk import Desk, deploy_processes

OWNER = "olivia"
MODERATE = {"gravity": "moderate", "complexity": "simple", "repercussions": "individual"}
WRITE_ANSWER = '<bpmn:userTask id="write_answer" name="Rédiger la réponse">'


@pytest.fixture
def desk(uow, database, frozen_clock) -> Desk:
    deploy_processes(uow)
    return Desk(uow, database, frozen_clock)


def deployed(uow, name: str, number: int = 1) -> str:
    return studio.deployed_files(number, uow())[name]


def changed(text: str, old: str, new: str) -> str:
    assert old in text, f"{old!r} is not in the file"
    return text.replace(old, new, 1)


def save(uow, name: str, text: str) -> studio.SavedDraft:
    return studio.save_draft(name, text, None, OWNER, uow())


def deploy(uow) -> services.VersionView:
    preview = studio.deployment_preview(uow())
    return studio.deploy_drafts(preview.token, OWNER, uow())


def drafts(database) -> dict[str, str]:
    with database.unit_of_work(read_only=True) as check:
        return {d.name: d.content for d in check.session.scalars(select(DraftFile))}


def renamed_write_answer(uow) -> str:
    return changed(
        deployed(uow, "evaluation.bpmn"),
        WRITE_ANSWER,
        '<bpmn:userTask id="write_answer" name="Rédiger la réponse au client">',
    )


def without_assess(uow) -> str:
    """The assessment task taken out: the history look-up leads straight to the priority."""
    root = etree.fromstring(deployed(uow, "evaluation.bpmn").encode())
    for element in list(root.iter()):
        if element.get("id") in ("assess", "assess_di", "flow_assess_compute_priority") or (
            element.get("bpmnElement") == "flow_assess_compute_priority"
        ):
            element.getparent().remove(element)
        elif element.get("id") == "flow_look_up_history_assess":
            element.set("targetRef", "compute_priority")
        elif element.text in ("assess", "flow_assess_compute_priority"):
            if etree.QName(element).localname == "incoming":
                element.text = "flow_look_up_history_assess"
            else:
                element.getparent().remove(element)
    return etree.tostring(root, encoding="unicode")


def version_of(desk: Desk, reference: str) -> int:
    return desk.complaint(reference).version


# --- saving drafts ----------------------------------------------------------------------------


def test_a_broken_sequence_flow_is_refused_with_its_id_and_nothing_is_kept(desk, uow, database):
    broken = changed(
        deployed(uow, "evaluation.bpmn"),
        'sourceRef="answer_merge" targetRef="write_answer"',
        'sourceRef="answer_merge" targetRef="nowhere"',
    )

    with pytest.raises(studio.DraftRejected) as refused:
        save(uow, "evaluation.bpmn", broken)

    (problem,) = refused.value.problems
    assert problem.element_id == "flow_answer_merge_write_answer"
    assert "'nowhere', which does not exist" in problem.message
    assert drafts(database) == {}


def test_a_task_using_a_missing_form_is_refused_on_the_task(desk, uow, database):
    missing = changed(
        deployed(uow, "evaluation.bpmn"), 'value="write_answer.json"', 'value="nowhere.json"'
    )

    with pytest.raises(studio.DraftRejected) as refused:
        save(uow, "evaluation.bpmn", missing)

    assert [(p.element_id, p.file) for p in refused.value.problems] == [
        ("write_answer", "evaluation.bpmn")
    ]
    assert "nowhere.json" in refused.value.problems[0].message
    assert drafts(database) == {}


def test_a_bare_iso_timer_is_refused_on_its_event(desk, uow, database):
    bare = changed(
        deployed(uow, "complaint.bpmn"),
        "deadline(&quot;answer&quot;, answer_clock_from)</bpmn:timeDate>",
        "P10D</bpmn:timeDate>",
    )

    with pytest.raises(studio.DraftRejected) as refused:
        save(uow, "complaint.bpmn", bare)

    assert [p.element_id for p in refused.value.problems] == ["answer_breach"]
    assert drafts(database) == {}


def test_a_valid_edit_is_kept_as_a_draft_and_deploys_nothing_yet(desk, uow, database):
    saved = save(uow, "evaluation.bpmn", renamed_write_answer(uow))

    assert saved.state == "saved"
    assert "Rédiger la réponse au client" in drafts(database)["evaluation.bpmn"]
    files = {f.name: f.state for f in studio.overview(uow()).files}
    assert files["evaluation.bpmn"] == "draft"
    assert files["complaint.bpmn"] == "deployed"
    assert [v.number for v in studio.overview(uow()).versions] == [1]


def test_the_deployed_text_saved_back_by_an_editor_keeps_no_draft(desk, uow, database):
    save(uow, "evaluation.bpmn", renamed_write_answer(uow))
    text = deployed(uow, "evaluation.bpmn")
    reformatted = etree.tostring(etree.fromstring(text.encode()), encoding="unicode")

    saved = save(uow, "evaluation.bpmn", reformatted)

    assert saved.state == "unchanged"
    assert drafts(database) == {}


def test_a_save_over_a_change_made_meanwhile_is_refused(desk, uow, database):
    opened = studio.open_file("evaluation.bpmn", uow())
    studio.save_draft(
        "evaluation.bpmn", renamed_write_answer(uow), opened.source_hash, "sam", uow()
    )
    other = changed(deployed(uow, "evaluation.bpmn"), "Évaluer la réclamation", "Évaluer")

    with pytest.raises(ConcurrentUpdate):
        studio.save_draft("evaluation.bpmn", other, opened.source_hash, OWNER, uow())

    assert "Rédiger la réponse au client" in drafts(database)["evaluation.bpmn"]


def test_a_diagram_may_use_a_form_that_is_still_a_draft(desk, uow, database):
    diagram = changed(
        deployed(uow, "evaluation.bpmn"), 'value="write_answer.json"', 'value="answer_v2.json"'
    )
    with pytest.raises(studio.DraftRejected):
        save(uow, "evaluation.bpmn", diagram)

    save(uow, "forms/answer_v2.json", deployed(uow, "forms/write_answer.json"))
    saved = save(uow, "evaluation.bpmn", diagram)

    assert saved.state == "saved"
    assert sorted(drafts(database)) == ["evaluation.bpmn", "forms/answer_v2.json"]


def test_a_new_form_needs_a_plain_file_name(desk, uow):
    with pytest.raises(InvalidInput):
        studio.open_file("forms/../../etc/passwd.json", uow(), new=True)
    assert studio.open_file("forms/check_documents.json", uow(), new=True).is_new


def test_form_problems_come_with_their_line(desk):
    broken = (
        '{\n  "title": {"fr": "T", "en": "T"},\n'
        '  "fields": [\n    {"key": "x", "type": "colour"}\n  ]\n}'
    )

    form, problems = studio.check_form("forms/x.json", broken)

    assert form is None
    assert problems and all(p.line == 4 for p in problems)


def test_the_policy_preview_gives_each_deadline_for_a_complaint_received_now(desk, uow):
    policy = changed(
        deployed(uow, "policy.toml"), 'preset = "acpr-answer"', 'preset = "psd2-answer"'
    )

    deadlines, problems = studio.check_policy(policy)

    assert problems == []
    answer = next(d for d in deadlines if d.name == "answer")
    assert answer.due == parse_policy(policy).rulebook.due("answer", START)


# --- deploying ----------------------------------------------------------------------------------


def test_deploying_the_drafts_makes_the_next_version_and_clears_them(desk, uow, database):
    save(uow, "evaluation.bpmn", renamed_write_answer(uow))

    version = deploy(uow)

    assert version.number == 2
    assert drafts(database) == {}
    assert "Rédiger la réponse au client" in deployed(uow, "evaluation.bpmn", 2)
    with database.unit_of_work(read_only=True) as check:
        event = check.session.scalars(
            select(AuditEvent).where(AuditEvent.kind == "process_deployed").order_by(AuditEvent.id)
        ).all()[-1]
        deployment = (event.actor, event.data["version"])
    assert deployment == (OWNER, 2)


def test_a_deployment_deploys_the_drafts_that_were_shown_or_nothing(desk, uow, database):
    save(uow, "evaluation.bpmn", renamed_write_answer(uow))
    shown = studio.deployment_preview(uow())
    save(
        uow, "policy.toml", changed(deployed(uow, "policy.toml"), "threshold = 3", "threshold = 4")
    )

    with pytest.raises(ConcurrentUpdate):
        studio.deploy_drafts(shown.token, OWNER, uow())

    assert [v.number for v in studio.overview(uow()).versions] == [1]
    assert len(drafts(database)) == 2


def test_new_complaints_follow_a_new_answer_deadline_and_priority_rule_running_ones_keep_theirs(
    desk, uow
):
    running = desk.customer_files_online()
    desk.qualifies(running)
    save(
        uow,
        "policy.toml",
        changed(deployed(uow, "policy.toml"), 'preset = "acpr-answer"', 'preset = "psd2-answer"'),
    )
    save(
        uow,
        "priority.dmn",
        changed(
            deployed(uow, "priority.dmn"),
            '<outputEntry id="priority_rule_6_out_0">\n          <text>"normal"</text>',
            '<outputEntry id="priority_rule_6_out_0">\n          <text>"high"</text>',
        ),
    )
    deploy(uow)

    new = desk.customer_files_online()
    desk.qualifies(new)
    desk.assesses(new, **MODERATE)
    desk.assesses(running, **MODERATE)

    assert (version_of(desk, running), version_of(desk, new)) == (1, 2)
    assert desk.complaint(new).summary["priority"] == "high"
    assert desk.complaint(running).summary["priority"] == "normal"
    due = {ref: _timer(uow, ref, "answer_breach").due_at for ref in (running, new)}
    assert due[new] == parse_policy(deployed(uow, "policy.toml", 2)).rulebook.due("answer", START)
    assert due[running] == parse_policy(deployed(uow, "policy.toml", 1)).rulebook.due(
        "answer", START
    )
    assert due[new] < due[running]


def _timer(uow, reference: str, bpmn_id: str) -> services.TimerView:
    (timer,) = [
        t
        for t in services.instance_timers(reference, uow())
        if t.bpmn_id == bpmn_id and t.state == "pending"
    ]
    return timer


# --- what changed --------------------------------------------------------------------------------


def test_the_diff_of_a_diagram_names_added_removed_and_changed_elements(desk, uow):
    old = deployed(uow, "evaluation.bpmn")
    new = changed(old, WRITE_ANSWER, WRITE_ANSWER.replace("Rédiger la réponse", "Répondre"))
    new = changed(
        new,
        '<bpmn:message id="msg_answer" name="answer" />',
        '<bpmn:message id="msg_answer_v2" name="answer" />',
    )

    (file,) = studio.diff_files({"evaluation.bpmn": old}, {"evaluation.bpmn": new})

    changes = {(e.change, e.element_id): e for e in file.elements}
    assert set(changes) == {
        ("changed", "write_answer"),
        ("removed", "msg_answer"),
        ("added", "msg_answer_v2"),
    }
    renamed = changes[("changed", "write_answer")]
    assert renamed.name == "Répondre"
    assert [(d.aspect, d.before, d.after) for d in renamed.details] == [
        ("name", "Rédiger la réponse", "Répondre")
    ]
    assert not file.layout_changed


def test_the_diff_of_a_timer_and_a_lane_says_what_moved(desk, uow):
    old = deployed(uow, "evaluation.bpmn")
    new = changed(old, "deadline(sla_clock, assessed_at)", 'deadline("answer", assessed_at)')
    new = changed(new, "<bpmn:flowNodeRef>write_answer</bpmn:flowNodeRef>\n", "").replace(
        "<bpmn:flowNodeRef>approve</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>approve</bpmn:flowNodeRef>\n"
        "        <bpmn:flowNodeRef>write_answer</bpmn:flowNodeRef>",
    )

    (file,) = studio.diff_files({"evaluation.bpmn": old}, {"evaluation.bpmn": new})

    details = {
        e.element_id: [(d.aspect, d.label, d.after) for d in e.details] for e in file.elements
    }
    assert details["sla_breach"] == [("timer", "timeDate", 'deadline("answer", assessed_at)')]
    assert details["write_answer"] == [("lane", None, "Superviseur")]


def test_the_diff_of_a_decision_table_names_the_rule_and_the_column(desk, uow):
    old = deployed(uow, "priority.dmn")
    new = changed(
        old,
        '<inputEntry id="priority_rule_6_in_0">\n          <text>"moderate"</text>',
        '<inputEntry id="priority_rule_6_in_0">\n          <text>"minor"</text>',
    )

    (file,) = studio.diff_files({"priority.dmn": old}, {"priority.dmn": new})

    (rule,) = file.elements
    assert (rule.change, rule.element_id, rule.name, rule.type) == (
        "changed",
        "priority_rule_6",
        "Gravité modérée",
        "rule",
    )
    assert [(d.aspect, d.label, d.before, d.after) for d in rule.details] == [
        ("cell", "Gravité", '"moderate"', '"minor"')
    ]


def test_the_diff_of_a_form_lists_its_fields_by_key(desk, uow):
    old = deployed(uow, "forms/write_answer.json")
    new = changed(old, '"min_length": 20', '"min_length": 30')
    new = changed(
        new,
        '  "fields": [\n',
        '  "fields": [\n'
        '    {"key": "tone", "type": "text", "label": {"fr": "Ton", "en": "Tone"}},\n',
    )

    (file,) = studio.diff_files({"forms/write_answer.json": old}, {"forms/write_answer.json": new})

    summary = [
        (e.change, e.element_id, [(d.label, d.before, d.after) for d in e.details])
        for e in file.elements
    ]
    assert ("added", "tone", []) in summary
    assert ("changed", "answer_text", [("min_length", "20", "30")]) in summary


def test_the_diff_of_the_policy_lists_changed_keys_by_table(desk, uow):
    old = deployed(uow, "policy.toml")
    new = changed(old, 'preset = "acpr-answer"', 'preset = "psd2-answer"')

    (file,) = studio.diff_files({"policy.toml": old}, {"policy.toml": new})

    (table,) = file.elements
    assert table.element_id == "deadlines.answer"
    assert [(d.label, d.before, d.after) for d in table.details] == [
        ("preset", '"acpr-answer"', '"psd2-answer"')
    ]


def test_moving_shapes_is_only_a_layout_change(desk, uow):
    old = deployed(uow, "evaluation.bpmn")
    shape = re.search(r'<bpmndi:BPMNShape id="write_answer_di".*?<dc:Bounds x="(\d+)"', old, re.S)
    new = old[: shape.start(1)] + str(int(shape.group(1)) + 40) + old[shape.end(1) :]

    (file,) = studio.diff_files({"evaluation.bpmn": old}, {"evaluation.bpmn": new})

    assert file.elements == () and file.layout_changed


# --- migrating running complaints ----------------------------------------------------------------


@pytest.fixture
def two_complaints(desk):
    """One complaint waiting for its assessment, one whose answer is being written."""
    at_assess = desk.customer_files_online()
    desk.qualifies(at_assess)
    at_answer = desk.customer_files_online()
    desk.qualifies(at_answer)
    desk.assesses(at_answer)
    desk.decides(at_answer)
    return at_assess, at_answer


def test_the_dry_run_says_which_complaints_can_move_and_why_others_cannot(
    desk, uow, two_complaints
):
    at_assess, at_answer = two_complaints
    save(uow, "evaluation.bpmn", renamed_write_answer(uow))
    deploy(uow)

    plan = studio.plan_migration(1, 2, uow())

    verdicts = {c.reference: c for c in plan.candidates}
    assert verdicts[at_assess].movable
    (reason,) = verdicts[at_answer].reasons
    assert (reason.code, reason.element_id, reason.state, reason.attributes) == (
        "element_changed",
        "write_answer",
        "ready",
        ("bpmn_name",),
    )
    assert [version_of(desk, r) for r in two_complaints] == [1, 1]  # a dry run changes nothing


def test_migration_moves_the_safe_complaints_with_an_audit_event_each(
    desk, uow, database, two_complaints
):
    at_assess, at_answer = two_complaints
    save(uow, "evaluation.bpmn", renamed_write_answer(uow))
    deploy(uow)

    report = studio.migrate_complaints(1, 2, OWNER, database.unit_of_work)

    assert report.moved == [at_assess]
    assert [c.reference for c in report.refused] == [at_answer]
    assert (version_of(desk, at_assess), version_of(desk, at_answer)) == (2, 1)
    (moved,) = desk.events(at_assess, "instance_migrated")
    assert (moved.actor, moved.data["from"], moved.data["to"]) == (OWNER, 1, 2)
    assert desk.events(at_answer, "instance_migrated") == []
    assert services.verify_audit(uow(), at_assess) == []


def test_a_migrated_complaint_goes_on_with_the_new_version(desk, uow, database, two_complaints):
    at_assess, _ = two_complaints
    save(uow, "evaluation.bpmn", renamed_write_answer(uow))
    deploy(uow)
    studio.migrate_complaints(1, 2, OWNER, database.unit_of_work)

    desk.assesses(at_assess)
    desk.decides(at_assess)

    (task,) = desk.ready_tasks(at_assess)
    assert (task.bpmn_id, task.name) == ("write_answer", "Rédiger la réponse au client")
    desk.answers(at_assess)
    assert desk.complaint(at_assess).stage == "En attente du client"


def test_waiting_timers_keep_their_due_time_across_a_migration(desk, uow, database, two_complaints):
    at_assess, _ = two_complaints
    before = {
        (t.bpmn_id, t.due_at)
        for t in services.instance_timers(at_assess, uow())
        if t.state == "pending"
    }
    save(
        uow,
        "policy.toml",
        changed(deployed(uow, "policy.toml"), 'preset = "acpr-answer"', 'preset = "psd2-answer"'),
    )
    deploy(uow)

    studio.migrate_complaints(1, 2, OWNER, database.unit_of_work)

    after = {
        (t.bpmn_id, t.due_at)
        for t in services.instance_timers(at_assess, uow())
        if t.state == "pending"
    }
    assert version_of(desk, at_assess) == 2
    assert after == before
    desk.clock.advance(timedelta(days=8))
    fired = [t.bpmn_id for t in services.fire_due_timers(at_assess, uow())]
    assert fired == ["progress_cycle"]  # the weekly progress update still comes


def test_removing_a_ready_task_is_refused_with_a_reason_and_changes_nothing(
    desk, uow, database, two_complaints
):
    at_assess, _ = two_complaints
    save(uow, "evaluation.bpmn", without_assess(uow))
    deploy(uow)

    report = studio.migrate_complaints(1, 2, OWNER, database.unit_of_work)

    refused = {c.reference: c.reasons for c in report.refused}
    assert report.moved == []
    assert ("element_removed", "assess", "ready") in [
        (r.code, r.element_id, r.state) for r in refused[at_assess]
    ]
    assert version_of(desk, at_assess) == 1
    assert desk.events(at_assess, "instance_migrated") == []
    desk.assesses(at_assess)  # still works on its own version


def test_a_ready_task_given_a_new_id_counts_as_replaced(desk, uow, two_complaints):
    at_assess, _ = two_complaints
    renamed = re.sub(r'(["> ])assess(["<])', r"\1assess_case\2", deployed(uow, "evaluation.bpmn"))
    save(uow, "evaluation.bpmn", renamed)
    deploy(uow)

    plan = studio.plan_migration(1, 2, uow())

    reasons = {c.reference: c.reasons for c in plan.candidates}[at_assess]
    assert ("element_replaced", "assess", "ready", ("assess_case",)) in [
        (r.code, r.element_id, r.state, r.attributes) for r in reasons
    ]


def test_a_changed_form_of_a_ready_task_keeps_the_complaint_where_it_is(desk, uow, two_complaints):
    at_assess, at_answer = two_complaints
    form = deployed(uow, "forms/write_answer.json")
    save(uow, "forms/write_answer.json", changed(form, '"min_length": 20', '"min_length": 30'))
    deploy(uow)

    plan = studio.plan_migration(1, 2, uow())

    verdicts = {c.reference: c for c in plan.candidates}
    assert verdicts[at_assess].movable
    assert [(r.code, r.element_id) for r in verdicts[at_answer].reasons] == [
        ("form_changed", "write_answer")
    ]


def test_revert_moves_the_migrated_complaints_back(desk, uow, database, two_complaints):
    at_assess, _ = two_complaints
    save(uow, "evaluation.bpmn", renamed_write_answer(uow))
    deploy(uow)
    studio.migrate_complaints(1, 2, OWNER, database.unit_of_work)
    started_on_2 = desk.customer_files_online()
    desk.qualifies(started_on_2)

    plan = studio.plan_migration(2, 1, uow(), revert=True)
    report = studio.migrate_complaints(2, 1, OWNER, database.unit_of_work, revert=True)

    assert [c.reference for c in plan.candidates] == [at_assess]  # not the one started on 2
    assert report.moved == [at_assess]
    assert (version_of(desk, at_assess), version_of(desk, started_on_2)) == (1, 2)
    back = desk.events(at_assess, "instance_migrated")[-1]
    assert (back.data["from"], back.data["to"], back.data["revert"]) == (2, 1, True)
    desk.assesses(at_assess)
    desk.decides(at_assess)
    assert [t.name for t in desk.ready_tasks(at_assess)] == ["Rédiger la réponse"]


def test_finished_complaints_are_not_offered_for_migration(desk, uow):
    closed = desk.customer_files_online()
    desk.qualifies(closed)
    desk.handles(closed)
    desk.customer_replies(closed, satisfied=True)
    save(uow, "evaluation.bpmn", renamed_write_answer(uow))
    deploy(uow)

    assert desk.complaint(closed).status == "completed"
    assert studio.plan_migration(1, 2, uow()).candidates == []


# --- the modeler keeps our extensions ---------------------------------------------------------

NODE = shutil.which("node")
BPMN_MODDLE = PROJECT_ROOT / "node_modules" / "bpmn-moddle" / "dist" / "index.cjs"
DESCRIPTOR = PROJECT_ROOT / "webui" / "static" / "js" / "studio-spiffworkflow.js"
ROUND_TRIP = """
const fs = require("fs"), vm = require("vm");
const BpmnModdle = require(process.argv[2]);
const sandbox = { window: {} };
vm.runInNewContext(fs.readFileSync(process.argv[3], "utf8"), sandbox);
const moddle = new BpmnModdle({ spiffworkflow: sandbox.window.DoleanceSpiffworkflowModdle });
(async () => {
  const out = {};
  for (const file of process.argv.slice(4)) {
    const { rootElement, warnings } = await moddle.fromXML(fs.readFileSync(file, "utf8"));
    const { xml } = await moddle.toXML(rootElement, { format: true });
    out[file] = { xml, warnings: warnings.map((w) => w.message) };
  }
  process.stdout.write(JSON.stringify(out));
})();
"""


@pytest.mark.skipif(not NODE or not BPMN_MODDLE.exists(), reason="needs node and `make vendor`")
def test_the_modeler_keeps_every_spiffworkflow_extension_of_our_diagrams(tmp_path):
    """bpmn-js reads and writes diagrams with bpmn-moddle and the studio's descriptor of the
    spiffworkflow elements: what it writes back must say exactly what our diagrams say."""
    script = tmp_path / "round_trip.cjs"
    script.write_text(ROUND_TRIP)
    diagrams = sorted((PROJECT_ROOT / "processes").glob("*.bpmn"))

    result = subprocess.run(
        [NODE, str(script), str(BPMN_MODDLE), str(DESCRIPTOR), *map(str, diagrams)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )

    written = json.loads(result.stdout)
    for path in diagrams:
        answer = written[str(path)]
        assert answer["warnings"] == [], path.name
        assert "spiffworkflow:property" in answer["xml"]
        assert studio.same_content(path.name, path.read_text(encoding="utf-8"), answer["xml"])


# --- exports -------------------------------------------------------------------------------------


def test_a_version_exports_as_a_zip_laid_out_like_the_repository(desk, uow):
    filename, data = studio.version_archive(1, uow())

    archive = zipfile.ZipFile(io.BytesIO(data))
    assert filename == "doleance-v1.zip"
    names = archive.namelist()
    assert {"processes/evaluation.bpmn", "processes/policy.toml", "forms/write_answer.json"} <= set(
        names
    )
    assert archive.read("processes/evaluation.bpmn").decode() == deployed(uow, "evaluation.bpmn")
    assert studio.version_archive(1, uow())[1] == data  # same bytes each time


def test_the_command_line_migrates_and_exports(
    desk, uow, settings, monkeypatch, tmp_path, two_complaints
):
    at_assess, at_answer = two_complaints
    save(uow, "evaluation.bpmn", renamed_write_answer(uow))
    deploy(uow)
    for key, value in {
        "DOLEANCE_DATABASE_URL": settings.database_url,
        "DOLEANCE_INSTANCE_DIR": str(settings.instance_dir),
    }.items():
        monkeypatch.setenv(key, value)
    run = CliRunner().invoke

    dry = run(doleance, ["migrate", "1", "2", "--dry-run"], catch_exceptions=False)
    real = run(doleance, ["migrate", "1", "2", "--as", OWNER], catch_exceptions=False)
    exported = run(doleance, ["export", "2", "--to", str(tmp_path / "git")], catch_exceptions=False)

    assert f"{at_assess}\tcan move" in dry.output
    assert (
        f"{at_answer}\tcannot move: 'Rédiger la réponse' (write_answer, evaluation) is ready"
        in dry.output
    )
    assert "1 of 2 complaint(s) can move" in dry.output
    assert (real.exit_code, version_of(desk, at_assess)) == (1, 2)  # one was left behind
    assert "1 moved, 1 left on version 1" in real.output
    assert exported.exit_code == 0
    assert (
        "Rédiger la réponse au client" in (tmp_path / "git/processes/evaluation.bpmn").read_text()
    )
    assert (tmp_path / "git/forms/write_answer.json").exists()
