"""The customer portal, as a customer uses it: no account, a form, a link, a questionnaire."""

from __future__ import annotations

import hashlib
import io
import json
import re
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from cli.main import main as doleance
from engine import services
from engine.config import PROJECT_ROOT
from engine.db.models import Attachment, CustomerAccess, Instance
from engine.services import documents as attachments
from tests.journeys.desk import Desk
from tests.test_web_support import Browser, text
from webui import create_app

pytest_plugins = ["tests.test_web_support"]

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
ANA = {
    "customer_name": "Ana Martin",
    "customer_email": "ana.martin@example.org",
    "customer_phone": "06 12 34 56 78",
    "subject": "Abonnement facturé deux fois",
    "description": "Ma facture de novembre compte deux fois l'abonnement.",
    "occurred_on": "2026-11-02",
    "product": "Box Internet",
    "category": "billing",
    "remedy_wanted": "refund",
    "asks_for_treatment": "yes",
    "consent": "yes",
}
TRACKING_LINK = re.compile(r'href="https?://[^"/]+(/portal/track/([A-Za-z0-9_-]+))"')
REFERENCE = re.compile(r"REC-\d{4}-\d{6}")


def files_online(browser: Browser, documents=(("facture.pdf", PDF),), **changes):
    """The customer opens the portal, fills in the form, joins documents and sends it."""
    browser.get("/portal/")
    form = {k: v for k, v in {**ANA, **changes}.items() if v is not None}
    form["documents"] = [(io.BytesIO(content), name) for name, content in documents]
    return browser.post("/portal/", form)


def confirmation(response) -> tuple[str, str, str]:
    """(reference, tracking path, token) read off the confirmation page."""
    page = text(response)
    path, token = TRACKING_LINK.search(page).groups()
    return REFERENCE.search(page).group(0), path, token


def counts(uow) -> tuple[int, int]:
    """How many complaints and documents the database holds."""
    with uow(read_only=True) as check:
        instances = check.session.scalar(select(func.count()).select_from(Instance))
        documents = check.session.scalar(select(func.count()).select_from(Attachment))
        return instances, documents


@pytest.fixture
def desk(uow, database, frozen_clock) -> Desk:
    return Desk(uow, database, frozen_clock)


# --- filing a complaint -------------------------------------------------------------------------


def test_a_customer_files_a_complaint_with_a_pdf_and_gets_a_tracking_link(browser, organisation):
    response = files_online(browser)

    page = text(response)
    assert response.status_code == 200
    assert "Votre réclamation est enregistrée" in page
    _, path, token = confirmation(response)
    assert len(token) >= 43
    assert "ana.martin@example.org" in page
    assert browser.get(path).status_code == 200


def test_the_filed_complaint_comes_from_the_web_with_its_document_and_the_consent(
    browser, organisation, uow
):
    reference, _, _ = confirmation(files_online(browser))

    complaint = services.get_instance(reference, uow())
    assert complaint.summary["channel"] == "web"
    assert complaint.stage == "Reçue"
    (document,) = attachments.list_for(reference, uow())
    assert (document.filename, document.source) == ("facture.pdf", "customer")
    started = services.instance_history(reference, uow())[0].data["data"]
    assert started["consent"] == {"version": "2026-11-23", "given_at": "2026-11-23T09:00:00+00:00"}
    assert started["language"] == "fr"
    assert started["documents"] == [document.id]
    assert (started["customer_phone"], started["occurred_on"]) == ("06 12 34 56 78", "2026-11-02")


def test_only_the_fingerprint_of_the_tracking_token_is_kept(browser, organisation, uow):
    reference, _, token = confirmation(files_online(browser))

    with uow(read_only=True) as check:
        (access,) = check.session.execute(
            select(CustomerAccess.token_hash, CustomerAccess.created_at, CustomerAccess.expires_at)
        ).all()
    assert access.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert access.expires_at - access.created_at == timedelta(days=365)
    trail = json.dumps([e.data for e in services.instance_history(reference, uow())])
    assert token not in trail


def test_the_confirmation_shows_the_link_once(browser, organisation):
    files_online(browser)

    again = browser.get("/portal/filed")

    assert "Confirmation déjà affichée" in text(again)
    assert not TRACKING_LINK.search(text(again))


def test_the_complaint_is_filed_in_the_language_of_the_page(browser, organisation, uow):
    browser.get("/portal/")
    browser.post("/language", {"language": "en", "next": "/portal/"})

    reference, _, _ = confirmation(files_online(browser))

    assert services.instance_history(reference, uow())[0].data["data"]["language"] == "en"


def test_without_consent_nothing_is_filed_and_the_form_says_why_keeping_what_was_typed(
    browser, organisation, uow
):
    response = files_online(browser, consent=None)

    page = text(response)
    assert response.status_code == 422
    assert "sans votre accord, nous ne pouvons pas traiter votre réclamation" in page
    assert 'value="Ana Martin"' in page
    assert "Ma facture de novembre compte deux fois" in page
    assert "sélectionnez-les à nouveau" in page
    assert counts(uow) == (0, 0)


def test_missing_fields_are_shown_beside_each_field_and_nothing_is_filed(
    browser, organisation, uow
):
    response = files_online(browser, customer_email="pas-une-adresse", description="", category="")

    page = text(response)
    assert response.status_code == 422
    assert re.search(r'id="customer_email-errors">\s*<li>Le format attendu', page)
    assert re.search(r'id="description-errors">\s*<li>Ce champ est obligatoire', page)
    assert re.search(r'id="category-errors">\s*<li>Ce champ est obligatoire', page)
    assert 'value="pas-une-adresse"' in page
    assert counts(uow) == (0, 0)


def test_a_program_disguised_as_a_pdf_is_refused_by_its_content(browser, organisation, uow):
    response = files_online(browser, documents=[("facture.pdf", EXE)])

    page = text(response)
    assert response.status_code == 422
    assert re.search(r'id="documents-errors">\s*<li>« facture.pdf » n&#39;est pas', page)
    assert 'value="Ana Martin"' in page
    assert counts(uow) == (0, 0)


@pytest.fixture
def small_uploads(settings, organisation) -> Browser:
    """A portal that accepts documents of at most 0.01 MB (about 10 kB)."""
    app = create_app(
        {
            "TESTING": True,
            "DOLEANCE_DATABASE_URL": settings.database_url,
            "DOLEANCE_INSTANCE_DIR": str(settings.instance_dir),
            "DOLEANCE_MAX_UPLOAD_MB": "0.01",
        }
    )
    return Browser(app.test_client())


def test_a_document_over_the_size_limit_is_refused(small_uploads, uow):
    big = PDF + b"0" * 20_000

    response = files_online(small_uploads, documents=[("scan.pdf", big)])

    assert response.status_code == 422
    assert re.search(
        r'id="documents-errors">\s*<li>« scan.pdf » est trop volumineux', text(response)
    )
    assert counts(uow) == (0, 0)


def test_a_sending_far_over_the_limit_gets_a_page_in_the_customers_words(small_uploads, uow):
    huge = PDF + b"0" * 1_200_000

    response = files_online(small_uploads, documents=[("scan.pdf", huge)])

    assert response.status_code == 413
    assert "Documents trop volumineux" in text(response)
    assert 'href="/portal/policy"' in text(response)
    assert counts(uow) == (0, 0)


def test_the_public_form_refuses_a_post_without_its_csrf_token(client, organisation, uow):
    response = client.post("/portal/", data=ANA)

    assert response.status_code == 400
    assert counts(uow) == (0, 0)


# --- following the complaint --------------------------------------------------------------------


def test_the_tracking_page_shows_the_stage_the_dates_and_the_messages_but_no_agent(
    browser, organisation, desk
):
    reference, path, _ = confirmation(files_online(browser))
    desk.qualifies(reference)

    response = browser.get(path)

    page = text(response)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert reference in page
    assert re.search(r'aria-current="step">\s*<span class="step-title">En cours d.examen', page)
    assert "Notre réponse au plus tard le 23 janvier 2027" in page
    assert "Accusé de réception" in page
    assert "Point d&#39;avancement : Prise en charge" in page
    assert "facture.pdf" in page
    assert "alice" not in page.lower()
    assert "deadline_warning" not in page


def test_the_customer_downloads_the_document_they_sent(browser, organisation, uow):
    reference, path, _ = confirmation(files_online(browser))
    (document,) = attachments.list_for(reference, uow())

    response = browser.client.get(f"{path}/documents/{document.id}")

    assert response.status_code == 200
    assert response.data == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == "attachment; filename=facture.pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_document_of_another_complaint_cannot_be_reached_through_a_link(
    browser, organisation, uow
):
    _, path, _ = confirmation(files_online(browser))
    other, _, _ = confirmation(files_online(Browser(browser.client.application.test_client())))
    (theirs,) = attachments.list_for(other, uow())

    response = browser.client.get(f"{path}/documents/{theirs.id}")

    assert response.status_code == 404


def test_a_wrong_tracking_link_says_so_in_the_customers_words(client, organisation):
    response = client.get("/portal/track/" + "x" * 43)

    assert response.status_code == 404
    assert "Lien de suivi inconnu" in text(response)


def test_an_expired_tracking_link_says_how_to_get_news(browser, organisation, frozen_clock):
    _, path, _ = confirmation(files_online(browser))
    frozen_clock.advance(timedelta(days=366))

    response = browser.get(path)

    assert response.status_code == 410
    assert "Ce lien de suivi a expiré" in text(response)
    assert "reclamations@example.org" in text(response)


# --- the check-in questionnaire -----------------------------------------------------------------


def test_the_questionnaire_appears_only_once_the_complaint_waits_for_the_customer(
    browser, organisation, desk
):
    reference, path, _ = confirmation(files_online(browser))
    desk.qualifies(reference)
    before = text(browser.get(path))

    desk.handles(reference)
    after = text(browser.get(path))

    assert "Votre avis sur le traitement de votre réclamation" not in before
    assert "Votre avis sur le traitement de votre réclamation" in after
    assert 'name="taken_into_account"' in after
    assert "Répondez de préférence avant le" in after


def test_answering_the_questionnaire_delivers_the_reply_to_the_process(browser, organisation, desk):
    reference, path, _ = confirmation(files_online(browser))
    desk.qualifies(reference)
    desk.handles(reference)
    browser.get(path)

    response = browser.post(
        f"{path}/answer",
        {
            "taken_into_account": "yes",
            "corrections": "yes",
            "relationship": "continue",
            "satisfied": "yes",
            "comment": "Merci pour la rapidité.",
        },
    )

    page = text(response)
    assert "Merci ! Votre avis nous a bien été transmis." in page
    assert "Nous avons reçu votre avis le 23 novembre 2026" in page
    assert 'name="taken_into_account"' not in page
    (reply,) = desk.events(reference, "message_received")
    assert (reply.actor, reply.data["message"]) == ("customer", "customer_reply")
    assert desk.complaint(reference).stage == "Clôturée"


def test_an_incomplete_answer_shows_its_errors_and_keeps_what_was_chosen(
    browser, organisation, desk
):
    reference, path, _ = confirmation(files_online(browser))
    desk.qualifies(reference)
    desk.handles(reference)
    browser.get(path)

    response = browser.post(f"{path}/answer", {"taken_into_account": "partly", "comment": "Bof"})

    page = text(response)
    assert response.status_code == 422
    assert re.search(r'id="corrections-errors">\s*<li>Ce champ est obligatoire', page)
    assert re.search(r'value="partly" checked', page)
    assert desk.events(reference, "message_received") == []


def test_an_answer_that_is_no_longer_awaited_is_not_delivered(browser, organisation, desk):
    reference, path, _ = confirmation(files_online(browser))
    desk.qualifies(reference)
    browser.get(path)

    response = browser.post(f"{path}/answer", {"satisfied": "yes"})

    assert "Votre avis n&#39;est plus attendu" in text(response)
    assert desk.events(reference, "message_received") == []


# --- the published policy -----------------------------------------------------------------------


def test_the_policy_page_publishes_the_deadlines_values_and_mediator_from_the_policy(
    client, organisation
):
    response = client.get("/portal/policy")

    page = text(response)
    assert response.status_code == 200
    assert "Nous vous répondons dans un délai de 2 mois à compter de sa réception." in page
    assert "10 jours ouvrables (du lundi au samedi, hors jours fériés)" in page
    assert "Écoute : toute réclamation est enregistrée" in page
    assert "Le Médiateur de la consommation" in page
    assert "https://www.mediateur.example.org" in page


def test_the_portal_pages_link_each_other_and_offer_the_language_switch(client, organisation):
    page = text(client.get("/portal/"))

    assert 'href="/portal/policy"' in page
    assert 'href="/portal/track"' in page
    assert 'name="language" value="en"' in page
    assert "Se déconnecter" not in page


# --- the demo -----------------------------------------------------------------------------------


def test_the_demo_prints_a_tracking_link_where_the_customers_opinion_is_awaited(
    settings, app, monkeypatch
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

    output = runner.invoke(doleance, ["demo", "--complaints", "6"], catch_exceptions=False).output

    path = re.search(r"http://\S+(/portal/track/[A-Za-z0-9_-]+)", output).group(1)
    page = text(app.test_client().get(path))
    assert 'name="taken_into_account"' in page
    assert "justificatif.pdf" in page
