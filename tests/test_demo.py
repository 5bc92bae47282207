"""A newcomer's first run: demo users and complaints at every stage, through the real processes."""

from __future__ import annotations

from click.testing import CliRunner

from cli.main import main as doleance
from engine import services
from engine.config import PROJECT_ROOT


def test_demo_creates_users_and_complaints_at_every_stage_once(
    settings, database, uow, monkeypatch
):
    for key, value in {
        "DOLEANCE_DATABASE_URL": settings.database_url,
        "DOLEANCE_INSTANCE_DIR": str(settings.instance_dir),
        "DOLEANCE_PROCESSES_DIR": str(PROJECT_ROOT / "processes"),
        "DOLEANCE_FORMS_DIR": str(PROJECT_ROOT / "forms"),
    }.items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    runner.invoke(doleance, ["init"], catch_exceptions=False)

    first = runner.invoke(doleance, ["demo", "--complaints", "6"], catch_exceptions=False)
    again = runner.invoke(doleance, ["demo"], catch_exceptions=False)

    assert "alice    agent          password: demo  (created)" in first.output
    assert "6 created" in first.output
    assert "none added" in again.output
    stages = {
        i.stage for i in services.list_instances(uow(), limit=10) if i.process_id == "complaint"
    }
    assert stages == {"Reçue", "En traitement", "En attente du client", "Clôturée"}
    assert services.list_tasks(uow(), user="alice")
    assert services.verify_audit(uow()) == []
