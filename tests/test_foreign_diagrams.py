"""Foreign diagrams run as SpiffWorkflow runs them, and a failing one says where and why.

The event sub-process diagram has the shape of SpiffWorkflow's own ``event-subprocess.bpmn``
test: a signal thrown on the main path starts a sub-process whose task a person completes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from engine import services
from engine.bpmn.parsing import parse_deployment
from engine.bpmn.workflow import (
    ProcessLibrary,
    RunningWorkflow,
    describe_engine_error,
    failing_spec,
)
from engine.config import PROJECT_ROOT
from engine.errors import ProcessError
from tests.conftest import DATA
from tests.diagrams import task_then_script

SIGNALLED = (DATA / "events" / "signalled.bpmn").read_text()


@pytest.fixture
def signalled(deployed, uow):
    services.deploy_version({"signalled.bpmn": SIGNALLED}, "tester", uow())


def only_task(uow, reference):
    (task,) = services.list_tasks(uow(), reference=reference)
    return task


def status(uow, reference):
    return services.get_instance(reference, uow()).status


def run_command(settings, *args) -> subprocess.CompletedProcess:
    """``doleance ARGS`` in a process of its own: nothing it uses was restored by this one."""
    env = {
        **os.environ,
        "DOLEANCE_DATABASE_URL": settings.database_url,
        "DOLEANCE_INSTANCE_DIR": str(settings.instance_dir),
    }
    command = [sys.executable, "-c", "from cli.main import main; main()", *args]
    return subprocess.run(
        command, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )


def test_an_event_sub_process_task_completes_after_another_process_restored_the_complaint(
    signalled, uow, settings
):
    reference = services.start_instance("signalled", {}, "alice", uow()).reference
    fill = only_task(uow, reference)
    services.complete_task(fill.id, {"signal_it": True}, "alice", uow())
    handle = only_task(uow, reference)
    assert (handle.bpmn_id, handle.name) == ("handle", "Traiter le signal")

    result = run_command(settings, "complete", handle.id, "--as", "alice", "--data", "{}")

    assert (result.returncode, result.stderr) == (0, "")
    assert status(uow, reference) == "completed"
    kinds = [e.kind for e in services.instance_history(reference, uow())]
    assert "error" not in kinds
    assert kinds.count("task_completed") == 2


def test_one_complaints_signal_does_not_start_the_event_sub_process_of_another(signalled, uow):
    first = services.start_instance("signalled", {}, "alice", uow()).reference
    services.complete_task(only_task(uow, first).id, {"signal_it": True}, "alice", uow())
    second = services.start_instance("signalled", {}, "alice", uow()).reference

    services.complete_task(only_task(uow, second).id, {"signal_it": False}, "alice", uow())

    assert status(uow, second) == "completed"
    assert only_task(uow, first).bpmn_id == "handle"
    services.complete_task(only_task(uow, first).id, {}, "alice", uow())
    assert status(uow, first) == "completed"


def library(text: str) -> ProcessLibrary:
    deployment, problems = parse_deployment({"signalled.bpmn": text})
    assert problems == []
    return ProcessLibrary(deployment.specs, deployment.flows)


def test_a_complaint_whose_event_sub_process_ran_moves_to_a_version_changing_elsewhere():
    running = RunningWorkflow.start(library(SIGNALLED), "signalled", {})
    running.run()
    (fill,) = running.human_tasks()
    running.complete_task(fill.id, {"signal_it": True})
    restored = RunningWorkflow.restore(library(SIGNALLED), "signalled", running.dump())
    quiet_end = '<bpmn:endEvent id="end_quiet" />'
    renamed = library(SIGNALLED.replace(quiet_end, quiet_end.replace("/>", 'name="Fin" />')))

    assert restored.migration_conflicts(library(SIGNALLED)) == []
    assert restored.migration_conflicts(renamed) == []
    restored.migrate(renamed)
    (handle,) = restored.human_tasks()
    restored.complete_task(handle.id, {})
    assert restored.completed


def test_an_engine_error_with_swapped_arguments_still_names_its_element():
    """SpiffWorkflow raises ``WorkflowException(spec, message)`` the wrong way round in
    ``TaskSpec.test``, which leaves the spec's repr as the message."""
    spec, _ = library(SIGNALLED).spec("signalled")
    with pytest.raises(Exception) as raised:
        spec.task_specs["handling"].test()  # an event sub-process is connected only when run

    message = describe_engine_error(raised.value, failing_spec(raised.value))

    assert message == "'Traitement du signal' failed: No input task connected"


def picking(script: str) -> dict[str, str]:
    diagram = task_then_script(
        "fragile_script", "Saisir l'historique", "Trouver le dernier", script
    )
    return {"fragile_script.bpmn": diagram}


def fail_with(uow, script: str) -> str:
    """Complete the first task of a diagram whose script is ``script``; the error it gives."""
    services.deploy_version(picking(script), "tester", uow())
    reference = services.start_instance("fragile_script", {}, "alice", uow()).reference
    task = only_task(uow, reference)
    with pytest.raises(ProcessError) as raised:
        services.complete_task(task.id, {"history": ["a", "b"]}, "alice", uow())
    return str(raised.value)


def test_an_error_about_a_value_without_a_readable_form_shows_no_object_address(deployed, uow):
    message = fail_with(uow, "recent = reversed(history)\nlatest = history.index(recent)")

    assert "object at 0x" not in message
    assert "'Trouver le dernier' failed (line 2): ValueError: a list_reverseiterator" in message


def test_a_script_leaving_a_value_a_complaint_cannot_store_is_refused_by_name(deployed, uow):
    message = fail_with(uow, "labels = map(str.upper, history)")

    assert "'Trouver le dernier' failed: 'labels' would hold a map value" in message
    assert "list(...)" in message


def test_a_command_line_error_is_one_line_naming_the_element_and_the_cause(deployed, uow, settings):
    services.deploy_version(picking("latest = history[5]"), "tester", uow())
    reference = services.start_instance("fragile_script", {}, "alice", uow()).reference
    task = only_task(uow, reference)

    result = run_command(
        settings, "complete", task.id, "--as", "alice", "--data", json.dumps({"history": []})
    )

    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert "'Trouver le dernier' failed (line 1): IndexError: list index out of range" in line
    assert "Traceback" not in result.stderr and "object at 0x" not in result.stderr
