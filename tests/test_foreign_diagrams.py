"""Foreign diagrams run as SpiffWorkflow runs them, and a failing one says where and why."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from engine import services
from engine.config import PROJECT_ROOT
from engine.errors import ProcessError
from tests.diagrams import task_then_script


def only_task(uow, reference):
    (task,) = services.list_tasks(uow(), reference=reference)
    return task


def run_command(settings, *args) -> subprocess.CompletedProcess:
    """``doleance ARGS`` in a process of its own: nothing it uses was restored by this one."""
    env = {
        **os.environ,
        "DOLEANCE_DATABASE_URL": settings.database_url,
        "DOLEANCE_INSTANCE_DIR": str(settings.instance_dir),
    }
    command = [sys.executable, "-c", "from webui.cli import main; main()", *args]
    return subprocess.run(
        command, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )


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
