"""The audit trail cannot be altered without detection."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import text

from cli.main import main as doleance
from engine import services


def a_finished_claim(uow):
    instance = services.start_instance("claim", {"amount": 3}, "alice", uow())
    (task,) = services.list_tasks(uow(), reference=instance.reference)
    services.complete_task(task.id, {"accepted": False}, "alice", uow())
    return instance.reference


def sql(database, statement, **params):
    with database.engine.begin() as connection:
        connection.execute(text(statement), params)


def test_an_untouched_trail_verifies(deployed, uow):
    reference = a_finished_claim(uow)

    assert services.verify_audit(uow(), reference) == []
    assert services.verify_audit(uow()) == []


def test_editing_an_event_in_sql_is_detected_at_that_event(deployed, uow, database):
    reference = a_finished_claim(uow)
    sql(
        database,
        "UPDATE audit_event SET actor = 'mallory' WHERE chain = :ref AND seq = 3",
        ref=reference,
    )

    (broken,) = services.verify_audit(uow(), reference)

    assert (broken.chain, broken.seq) == (reference, 3)
    assert "altered" in broken.reason


def test_deleting_an_event_in_the_middle_is_detected(deployed, uow, database):
    reference = a_finished_claim(uow)
    sql(database, "DELETE FROM audit_event WHERE chain = :ref AND seq = 2", ref=reference)

    (broken,) = services.verify_audit(uow(), reference)

    assert broken.seq == 2
    assert "missing" in broken.reason


def test_deleting_the_newest_event_is_detected(deployed, uow, database):
    reference = a_finished_claim(uow)
    history = services.instance_history(reference, uow())
    sql(
        database,
        "DELETE FROM audit_event WHERE chain = :ref AND seq = :seq",
        ref=reference,
        seq=history[-1].seq,
    )

    (broken,) = services.verify_audit(uow(), reference)

    assert "ends at" in broken.reason


def test_the_deployment_chain_is_verified_too(deployed, uow, database):
    sql(database, "UPDATE audit_event SET data = '{}' WHERE chain = 'system' AND seq = 1")

    breaks = services.verify_audit(uow())

    assert [(b.chain, b.seq) for b in breaks] == [("system", 1)]


def test_audit_verify_command_exits_1_after_tampering(
    deployed, uow, database, settings, monkeypatch
):
    monkeypatch.setenv("DOLEANCE_DATABASE_URL", settings.database_url)
    reference = a_finished_claim(uow)
    runner = CliRunner()

    intact = runner.invoke(doleance, ["audit", "verify"])
    sql(
        database,
        "UPDATE audit_event SET kind = 'nothing' WHERE chain = :ref AND seq = 1",
        ref=reference,
    )
    tampered = runner.invoke(doleance, ["audit", "verify", reference])

    assert (intact.exit_code, tampered.exit_code) == (0, 1)
    assert "intact" in intact.output
    assert f"BROKEN {reference}: event #1" in tampered.output
