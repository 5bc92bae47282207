"""One user action is one unit of work: it owns its transaction, its conflicts, the effects that
wait for its commit, and the documents sent with it."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from engine import services
from engine.db.models import Attachment, Instance, User
from engine.errors import ConcurrentUpdate, InvalidInput, TaskAlreadyCompleted
from engine.services import documents
from tests.test_web_support import task_id
from tests.test_web_tasks import PDF, REGISTRATION

pytest_plugins = ["tests.test_web_support"]


def count(uow, model) -> int:
    with uow(read_only=True) as reading:
        return reading.session.scalar(select(func.count()).select_from(model))


def stored_files(settings) -> list:
    """Every file in the document store, staged ones included."""
    folder = settings.instance_dir / "attachments"
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


# --- the unit of work itself ---------------------------------------------------------------------


def test_effects_wait_for_the_commit_and_undo_effects_run_only_without_it(database):
    done = []
    with database.unit_of_work() as committed:
        committed.after_commit(lambda: done.append("after commit"))
        committed.on_rollback(lambda: done.append("undone"))
        assert done == []
        committed.commit()
    with database.unit_of_work() as abandoned:
        abandoned.after_commit(lambda: done.append("never"))
        abandoned.on_rollback(lambda: done.append("rolled back"))

    assert done == ["after commit", "rolled back"]


def test_a_conflict_met_inside_an_action_leaves_it_as_concurrent_update(deployed, database):
    unit = database.unit_of_work()
    with pytest.raises(ConcurrentUpdate, match="reload"), unit:  # not an IntegrityError
        unit.session.add(User(username="alice", display_name="Another Alice"))
        unit.session.flush()

    assert count(database.unit_of_work, User) == 4


# --- documents are saved with the action that sends them -----------------------------------------


def test_a_task_form_refused_by_the_engine_keeps_none_of_its_documents(
    browser, file_complaint, uow, settings
):
    reference = file_complaint(channel="letter", customer_email=None)
    registration = task_id(uow, reference, "Enregistrer la réclamation")
    services.claim_task(registration, "sam", uow())  # the task is his now
    browser.login("alice")

    refused = browser.post(
        f"/tasks/{registration}",
        {**REGISTRATION, "documents": (io.BytesIO(PDF), "lettre du client.pdf")},
    )

    assert refused.status_code == 403
    assert count(uow, Attachment) == 0
    assert stored_files(settings) == []


def test_a_task_form_with_a_document_saves_both_in_one_action(file_complaint, uow, settings):
    reference = file_complaint(channel="letter", customer_email=None)
    registration = task_id(uow, reference, "Enregistrer la réclamation")
    received = documents.receive(io.BytesIO(PDF), "relevé.pdf", settings)

    services.complete_task(
        registration,
        {**REGISTRATION, "documents": [received.id]},
        "alice",
        uow(),
        documents_received=[received],
    )

    (document,) = documents.list_for(reference, uow())
    assert (document.id, document.filename, document.uploaded_by) == (
        received.id,
        "relevé.pdf",
        "alice",
    )
    assert documents.path_of(document, settings).read_bytes() == PDF
    assert not received.staged.exists()
    with pytest.raises(TaskAlreadyCompleted):
        services.complete_task(registration, REGISTRATION, "alice", uow())


def test_a_registration_whose_document_cannot_be_kept_saves_nothing(organisation, uow, settings):
    received = documents.receive(io.BytesIO(PDF), "bon.pdf", settings)

    with pytest.raises(InvalidInput) as refused:
        services.register_complaint(
            "phone",
            services.Customer("Paul Durand", phone="+33 6 12 34 56 78"),
            {"description": "Colis reçu abîmé, il veut un échange.", "asks_for_treatment": True},
            "alice",
            uow(),
            documents_received=[received],
            documents_uploaded=["0b8a7c9e-0000-4000-8000-000000000000"],  # nobody uploaded it
            registered_with="register_complaint.json",
        )

    assert list(refused.value.errors) == ["documents"]
    assert count(uow, Instance) == 0
    assert count(uow, Attachment) == 0
    assert stored_files(settings) == []


def test_staff_register_a_complaint_and_its_registration_task_at_once(organisation, uow):
    view = services.register_complaint(
        "counter",
        services.Customer("Paul Durand", email="paul.durand@example.org"),
        {"description": "Colis reçu abîmé, il veut un échange.", "asks_for_treatment": True},
        "alice",
        uow(),
        registered_with="register_complaint.json",
    )

    kinds = [(e.kind, e.element_name) for e in services.instance_history(view.reference, uow())]
    assert ("task_completed", "Enregistrer la réclamation") in kinds
    assert view.summary["channel"] == "counter"
    assert [t.name for t in services.list_tasks(uow(), reference=view.reference)] == [
        "Qualifier la demande"
    ]


def test_a_complaint_comes_in_through_a_known_channel_only(organisation, uow):
    with pytest.raises(InvalidInput) as refused:
        services.register_complaint(
            "pigeon", services.Customer("Paul Durand"), {"description": "…"}, "alice", uow()
        )

    assert refused.value.code == "channel"
    assert count(uow, Instance) == 0
