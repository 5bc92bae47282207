"""The complaint file tells where a complaint stands and, in plain words, what happened; staff
also start complaints for customers who call, write or come to the counter."""

from __future__ import annotations

import io

import pytest

from engine import runtime, services
from engine.services import documents as attachments
from tests.journeys.desk import Desk
from tests.test_web_support import CHECK, QUALIFY, task_id, text

pytest_plugins = ["tests.test_web_support"]

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
REGISTER = "Enregistrer la réclamation"


@pytest.fixture
def desk(organisation, uow, database, frozen_clock) -> Desk:
    return Desk(uow, database, frozen_clock)


def test_the_file_shows_stage_summary_tasks_and_clocks(browser, file_complaint, uow):
    reference = file_complaint()
    services.complete_task(
        task_id(uow, reference, CHECK), {"submission_complete": True}, "alice", uow()
    )
    browser.login("sam")

    page = text(browser.get(f"/complaints/{reference}"))

    assert f"Dossier {reference}" in page
    assert "<strong>Reçue</strong>" in page and "<strong>En cours</strong>" in page
    assert "<dt>Catégorie</dt><dd>Facturation</dd>" in page  # the form's label, not "billing"
    assert "<dt>Canal de réception</dt><dd>Formulaire web</dd>" in page
    assert "<dd>Ma facture de novembre compte deux fois l&#39;abonnement.</dd>" in page
    assert QUALIFY in page
    assert "<td>Accusé de réception</td>" in page and "reste 11 j 13 h" in page
    assert '<table class="messages">' in page  # what was sent to the customer so far


def test_the_timeline_tells_the_story_in_plain_words(browser, desk):
    reference = desk.customer_files_online()
    desk.qualifies(reference)
    desk.handles(reference)
    browser.login("sam")

    page = text(browser.get(f"/complaints/{reference}"))

    assert "Reçue le 23/11/2026 à 10:00 (Formulaire web)" in page
    assert "Accusé de réception envoyé le 23/11/2026 à 10:00" in page
    assert "Priorité P4 (basse) évaluée par Alice Martin le 23/11/2026 à 10:00" in page
    assert "Réponse envoyée le 23/11/2026 à 10:00" in page
    assert "Étape « En traitement » le 23/11/2026 à 10:00" in page


def test_engine_steps_show_only_when_asked_for(browser, file_complaint):
    reference = file_complaint()
    browser.login("sam")
    waiting = f"Tâche « {CHECK} » en attente depuis le 23/11/2026 à 10:00"

    assert waiting not in text(browser.get(f"/complaints/{reference}"))
    everything = text(browser.get(f"/complaints/{reference}?all=1"))
    assert waiting in everything
    assert "Étape « Reçue » le 23/11/2026 à 10:00" in everything
    assert "<code>received_at</code>" in everything  # the process's own data too


def test_an_auditor_reads_the_file(browser, file_complaint):
    reference = file_complaint()
    browser.login("audrey")

    page = browser.get(f"/complaints/{reference}")

    assert page.status_code == 200
    assert 'href="/tasks/' not in text(page)  # she reads; she does not work tasks


def test_a_process_owner_does_not_read_complaint_files(browser, file_complaint):
    reference = file_complaint()
    browser.login("olivia")

    assert browser.get(f"/complaints/{reference}").status_code == 403


def test_an_unknown_reference_gives_a_friendly_not_found_page(browser, organisation):
    browser.login("alice")

    page = browser.get("/complaints/REC-2026-999999")

    assert page.status_code == 404
    assert "Cette page ou ce dossier n'existe pas." in text(page)


def test_an_unexpected_failure_shows_no_stack_trace(app, client):
    app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    def broken():
        raise RuntimeError("secret internals")

    app.add_url_rule("/broken", view_func=broken)
    page = client.get("/broken")

    assert page.status_code == 500
    assert "Erreur du serveur" in text(page)
    assert "secret internals" not in text(page) and "Traceback" not in text(page)


# --- documents ---------------------------------------------------------------------------------


@pytest.fixture
def with_document(file_complaint, uow):
    """A complaint with a document the customer sent; returns (reference, document id)."""
    reference = file_complaint()
    view = attachments.store(io.BytesIO(PDF), "facture nov.pdf", "customer", "portal", uow())
    with uow() as unit:
        runtime.documents.bind(unit, runtime.load_complaint(unit, reference), [view.id])
        unit.commit()
    return reference, view.id


def test_the_file_lists_its_documents_and_an_agent_downloads_one(browser, with_document):
    reference, document = with_document
    browser.login("alice")

    page = text(browser.get(f"/complaints/{reference}"))
    download = browser.client.get(f"/complaints/{reference}/documents/{document}")

    assert f'href="/complaints/{reference}/documents/{document}" download>facture nov.pdf' in page
    assert "envoyé par le client" in page
    assert download.status_code == 200
    assert download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(("person", "status"), [("audrey", 200), ("quinn", 200), ("olivia", 403)])
def test_only_people_who_read_the_file_download_its_documents(
    browser, with_document, person, status
):
    reference, document = with_document
    browser.login(person)

    assert browser.client.get(f"/complaints/{reference}/documents/{document}").status_code == status


def test_a_document_is_reached_only_through_its_own_complaint(
    browser, with_document, file_complaint
):
    _reference, document = with_document
    other = file_complaint(customer_name="Bruno Lefèvre")
    browser.login("alice")

    assert browser.client.get(f"/complaints/{other}/documents/{document}").status_code == 404


def test_nobody_signed_out_downloads_a_document(client, with_document):
    reference, document = with_document

    response = client.get(f"/complaints/{reference}/documents/{document}")

    assert response.status_code == 302 and response.location.startswith("/login")


# --- a complaint started for a customer -----------------------------------------------------------

PHONE_CALL = {
    "channel": "phone",
    "customer_name": "Paul Durand",
    "customer_phone": "+33 6 12 34 56 78",
    "customer_email": "paul.durand@example.org",
    "description": "Colis reçu abîmé, il veut un échange.",
    "product": "Lave-linge LX200",
    "category": "delivery",
    "remedy_wanted": "exchange",
    "asks_for_treatment": "yes",
}


def test_alice_registers_a_phone_complaint_with_a_document(browser, organisation, uow):
    browser.login("alice")
    assert "Nouvelle réclamation" in text(browser.get("/"))  # in her menu

    page = browser.post(
        "/complaints/new", {**PHONE_CALL, "documents": (io.BytesIO(PDF), "bon de livraison.pdf")}
    )

    assert "Réclamation REC-2026-000001 enregistrée." in text(page)
    assert page.request.path.startswith("/tasks/")  # straight on to the qualification
    assert 'value="Lave-linge LX200"' in text(page)
    complaint = services.get_instance("REC-2026-000001", uow())
    assert complaint.summary["channel"] == "phone"
    assert [d.filename for d in attachments.list_for(complaint.reference, uow())] == [
        "bon de livraison.pdf"
    ]
    history = text(browser.get(f"/complaints/{complaint.reference}"))
    assert "Reçue le 23/11/2026 à 10:00 (Téléphone), saisie par Alice Martin" in history
    assert f"Tâche « {REGISTER} » terminée par Alice Martin" in history
    assert "<dd>bon de livraison.pdf</dd>" in history


def test_a_registration_with_errors_keeps_what_was_typed(browser, organisation, uow):
    browser.login("sam")

    page = browser.post("/complaints/new", {**PHONE_CALL, "description": "Abîmé"})

    assert page.status_code == 422
    assert '<ul class="field-errors" id="description-errors">' in text(page)
    assert "Au moins 10 caractères." in text(page)
    assert 'value="Paul Durand"' in text(page)
    assert services.list_instances(uow()) == []


def test_a_document_of_a_refused_type_is_refused_beside_its_field(browser, organisation, uow):
    browser.login("alice")

    page = browser.post(
        "/complaints/new", {**PHONE_CALL, "documents": (io.BytesIO(b"MZ\x90\x00\x03"), "a.exe")}
    )

    assert page.status_code == 422
    assert "« a.exe » n&#39;est pas d&#39;un type accepté" in text(page)
    assert services.list_instances(uow()) == []


@pytest.mark.parametrize(("person", "status"), [("quinn", 403), ("audrey", 403), ("sam", 200)])
def test_who_may_register_a_complaint(browser, organisation, person, status):
    browser.login(person)

    assert browser.get("/complaints/new").status_code == status
