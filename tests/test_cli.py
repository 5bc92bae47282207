"""An operator drives Doléance from the command line."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli.main import main as doleance
from tests.conftest import DATA


@pytest.fixture
def run(settings, database, monkeypatch):
    """Run a doleance command against the test database; returns the click result."""
    for key, value in {
        "DOLEANCE_DATABASE_URL": settings.database_url,
        "DOLEANCE_INSTANCE_DIR": str(settings.instance_dir),
        "DOLEANCE_PROCESSES_DIR": str(settings.processes_dir),
        "DOLEANCE_FORMS_DIR": str(settings.forms_dir),
    }.items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    return lambda *args: runner.invoke(doleance, list(args), catch_exceptions=False)


def test_init_is_idempotent(run):
    first = run("init")
    second = run("init")

    assert first.exit_code == second.exit_code == 0
    assert "deployed as new version 1 (claim, fragile)" in first.output
    assert "unchanged, still version 1" in second.output
    assert "roles: already present" in second.output


def test_deploy_makes_a_new_version_only_when_files_change(run, tmp_path):
    run("init")
    processes = tmp_path / "processes"
    processes.mkdir()
    (processes / "claim.bpmn").write_text((DATA / "basic" / "claim.bpmn").read_text())
    forms = str(DATA / "basic" / "forms")

    changed = run("deploy", str(processes), "--forms", forms)
    again = run("deploy", str(processes), "--forms", forms)

    assert "deployed as new version 2 (claim)" in changed.output
    assert "unchanged, still version 2" in again.output


def test_a_complaint_goes_from_start_to_end_on_the_command_line(run):
    run("init")
    run("user", "add", "alice", "--role", "agent", "--name", "Alice Martin")

    reference = run("start", "claim", "--data", '{"amount": 12}', "--as", "alice").output.strip()
    listing = run("tasks", "--role", "agent").output
    task_id = listing.split("\t")[0]
    completed = run("complete", task_id, "--as", "alice", "--data", '{"accepted": "yes"}')
    delivered = run("deliver", reference, "customer_reply", "--data", '{"satisfied": true}')
    history = run("history", reference, "--json").output.splitlines()

    assert reference == "REC-2026-000001"
    assert f"\t{reference}\tReview the claim\tConseiller\t2026-11-25 09:00 UTC\t-" in listing
    assert completed.output.strip() == f"{reference}: running, stage Reçue"
    assert delivered.output.strip() == f"{reference}: completed, stage Reçue"
    kinds = [json.loads(line)["kind"] for line in history]
    assert kinds[0] == "instance_started" and kinds[-1] == "instance_completed"
    assert run("instances", "--status", "completed").output.startswith(reference)


def test_bad_input_gets_a_one_line_error_not_a_traceback(run):
    run("init")

    bad_json = run("start", "claim", "--data", "{amount: 1}")
    unknown = run("start", "nope")
    wrong_task = run("complete", "00000000-0000-0000-0000-000000000000", "--as", "alice")

    assert bad_json.exit_code == 2 and "not valid JSON" in bad_json.output
    assert unknown.exit_code == 1
    assert unknown.output.strip() == (
        "error: no deployed process 'nope'; deployed processes: claim, fragile"
    )
    assert wrong_task.exit_code == 1 and "no longer waiting" in wrong_task.output


def test_a_nul_character_in_json_data_is_refused_before_reaching_the_database(run):
    run("init")

    refused = run("start", "claim", "--data", '{"customer_name": "Ana\\u0000"}')

    assert refused.exit_code == 2
    assert "NUL character" in refused.output


def test_form_errors_are_listed_per_field(run):
    run("init")
    run("user", "add", "alice", "--role", "agent")
    run("start", "claim", "--data", '{"amount": 1}')
    task_id = run("tasks").output.split("\t")[0]

    result = run("complete", task_id, "--as", "alice", "--data", '{"comment": "hm"}')

    assert result.exit_code == 1
    assert "  accepted: This field is required." in result.output
