"""Alice works a complaint: she opens the task, fills the form, fixes her mistake, moves on."""

from __future__ import annotations

import io

import pytest
from flask import render_template_string
from werkzeug.datastructures import MultiDict

from engine import services
from engine.forms import parse_form_definition, validate_submission
from engine.services import documents as attachments
from tests.journeys.desk import Desk
from tests.test_web_support import CHECK, QUALIFY, task_id, text
from webui.forms import FieldView, submission

pytest_plugins = ["tests.test_web_support"]

QUALIFICATION = {
    "kind": "complaint",
    "category": "billing",
    "product": "Box Internet",
    "remedy_wanted": "refund",
    "subject": "Abonnement facturé deux fois",
}


def test_alice_fixes_a_form_error_then_returns_to_her_inbox(browser, file_complaint, uow):
    reference = file_complaint()
    browser.login("alice")
    browser.post(f"/tasks/{task_id(uow, reference, CHECK)}", {"submission_complete": "yes"})
    qualify = f"/tasks/{task_id(uow, reference, QUALIFY)}"

    page = text(browser.get(qualify))
    assert "Qualifier la demande" in page
    assert "Ana Martin" in page  # the complaint summary
    assert 'value="Box Internet"' in page  # prefilled from what the customer wrote

    refused = browser.post(qualify, {**QUALIFICATION, "product": "", "subject": "Double facture"})
    assert refused.status_code == 422
    assert '<ul class="field-errors" id="product-errors">' in text(refused)
    assert "Ce champ est obligatoire." in text(refused)
    assert 'value="Double facture"' in text(refused)  # what she typed is kept

    done = browser.post(qualify, {**QUALIFICATION, "subject": "Double facture"})
    assert done.request.path == "/"
    assert f"Tâche « {QUALIFY} » terminée pour le dossier {reference}" in text(done)
    assert QUALIFY not in [t.name for t in services.list_tasks(uow(), reference=reference)]


def test_a_task_someone_else_just_completed_gives_a_conflict_page(browser, file_complaint, uow):
    reference = file_complaint()
    check = f"/tasks/{task_id(uow, reference, CHECK)}"
    browser.login("alice")
    browser.get(check)
    services.complete_task(check.rsplit("/", 1)[1], {"submission_complete": True}, "sam", uow())

    late = browser.post(check, {"submission_complete": "yes"})

    assert late.status_code == 409
    assert "Une autre personne a terminé cette tâche" in text(late)


def test_an_agent_cannot_complete_a_task_someone_else_claimed(browser, file_complaint, uow):
    reference = file_complaint()
    check_id = task_id(uow, reference, CHECK)
    services.claim_task(check_id, "sam", uow())
    browser.login("alice")

    assert "prise par sam" in text(browser.get(f"/tasks/{check_id}"))
    assert browser.post(f"/tasks/{check_id}", {"submission_complete": "yes"}).status_code == 403


def test_quality_cannot_open_a_task_of_the_reception_lane(browser, file_complaint, uow):
    check = f"/tasks/{task_id(uow, file_complaint(), CHECK)}"
    browser.login("quinn")

    page = browser.get(check)

    assert page.status_code == 403
    assert "Accès refusé" in text(page)


def test_an_auditor_cannot_work_tasks(browser, file_complaint, uow):
    check = f"/tasks/{task_id(uow, file_complaint(), CHECK)}"
    browser.login("audrey")

    assert browser.get(check).status_code == 403


def test_a_task_that_never_existed_gives_a_not_found_page(browser, organisation):
    browser.login("alice")

    assert browser.get("/tasks/not-a-task").status_code == 404
    assert browser.get("/tasks/00000000-0000-4000-8000-000000000000").status_code == 404


def test_opening_a_task_someone_else_completed_explains_it(browser, file_complaint, uow):
    check_id = task_id(uow, file_complaint(), CHECK)
    services.complete_task(check_id, {"submission_complete": True}, "sam", uow())
    browser.login("alice")

    page = browser.get(f"/tasks/{check_id}")

    assert page.status_code == 409
    assert "Une autre personne a terminé cette tâche" in text(page)


EVERY_TYPE = {
    "title": {"fr": "Tous les champs", "en": "Every field"},
    "fields": [
        {"key": "t", "type": "text", "label": {"fr": "Texte", "en": "Text"}, "required": True},
        {"key": "lt", "type": "long_text", "label": {"fr": "Long", "en": "Long"}},
        {
            "key": "c",
            "type": "choice",
            "label": {"fr": "Choix", "en": "Choice"},
            "choices": [{"value": v, "label": {"fr": v.upper(), "en": v}} for v in "ab"],
        },
        {
            "key": "mc",
            "type": "multi_choice",
            "label": {"fr": "Plusieurs", "en": "Several"},
            "help": {"fr": "Cochez ce qui s'applique", "en": "Tick what applies"},
            "choices": [{"value": v, "label": {"fr": v.upper(), "en": v}} for v in "xyz"],
        },
        {"key": "yn", "type": "yes_no", "label": {"fr": "Oui ou non", "en": "Yes or no"}},
        {"key": "n", "type": "number", "label": {"fr": "Nombre", "en": "Number"}, "min": 1},
        {"key": "m", "type": "money", "label": {"fr": "Montant", "en": "Amount"}},
        {"key": "d", "type": "date", "label": {"fr": "Date", "en": "Date"}},
        {"key": "f", "type": "file", "label": {"fr": "Pièces", "en": "Files"}, "multiple": True},
    ],
}


def test_every_field_type_has_its_input_with_a_french_label(app):
    form = parse_form_definition(EVERY_TYPE, "every.json")
    fields = [
        FieldView(
            f, f.label["fr"], (f.help or {}).get("fr", ""), [] if f.type == "multi_choice" else ""
        )
        for f in form.fields
    ]
    fields[2].choices = [("a", "A"), ("b", "B")]
    fields[3].choices = [("x", "X"), ("y", "Y"), ("z", "Z")]

    with app.test_request_context():
        html = render_template_string(
            '{% from "_fields.html" import field %}{% for f in fields %}{{ field(f) }}{% endfor %}',
            fields=fields,
        )

    assert '<input id="field-t" type="text"' in html
    assert '<textarea id="field-lt"' in html
    assert 'type="radio" name="c" value="a"' in html
    assert 'type="checkbox" name="mc" value="y"' in html
    assert 'type="radio" name="yn" value="no"' in html
    assert 'type="number" step="any"' in html and 'min="1"' in html
    assert 'inputmode="decimal"' in html and "EUR" in html
    assert 'type="date"' in html
    assert '<input id="field-f" type="file" name="f"' in html and " multiple" in html
    assert "Cochez ce qui s&#39;applique" in html


def test_a_submitted_html_form_becomes_the_values_the_form_validates():
    form = parse_form_definition(EVERY_TYPE, "every.json")
    posted = MultiDict(
        [
            ("t", "bonjour"),
            ("mc", "x"),
            ("mc", "z"),
            ("yn", "no"),
            ("n", "2"),
            ("m", "30.50"),
            ("d", "2026-12-01"),
            ("f", "a" * 64 + ", " + "b" * 64),
            ("stray", "ignored"),
        ]
    )

    values = validate_submission(form, submission(form, posted))

    assert values["mc"] == ["x", "z"]
    assert values["yn"] is False
    assert values["f"] == ["a" * 64, "b" * 64]
    assert str(values["m"]) == "30.50"


# --- what the task page shows around the form ---------------------------------------------------


def test_the_task_page_shows_the_customers_earlier_complaint_and_how_it_ended(
    browser, organisation, uow, database, frozen_clock
):
    desk = Desk(uow, database, frozen_clock)
    earlier = desk.customer_files_online(subject="Box en panne")
    desk.qualifies(earlier, subject="Box en panne")
    desk.handles(earlier)
    desk.customer_replies(earlier, satisfied=True)
    later = desk.customer_files_online()
    browser.login("alice")

    page = text(browser.get(f"/tasks/{task_id(uow, later, CHECK)}"))

    assert f'<a href="/complaints/{earlier}">{earlier}</a>' in page
    assert "<td>Box en panne</td>" in page
    assert "<td>client satisfait ; Remboursement</td>" in page
    assert f">{later}</a>" not in page.split("Historique du client")[1]


def test_the_task_page_gives_the_diagrams_instructions_filled_in(browser, file_complaint, uow):
    reference = file_complaint()
    services.complete_task(
        task_id(uow, reference, CHECK), {"submission_complete": True}, "alice", uow()
    )
    browser.login("alice")

    page = text(browser.get(f"/tasks/{task_id(uow, reference, QUALIFY)}"))

    assert "Le client a déclaré : Réclamation. Si vous changez la nature" in page
    assert "Qualify: complaint or dissatisfaction" in page  # the diagram's documentation


def test_the_instructions_read_codes_as_words_and_dates_as_dates(
    browser, organisation, uow, database, frozen_clock
):
    desk = Desk(uow, database, frozen_clock)
    earlier = desk.customer_files_online(subject="Box en panne")
    desk.qualifies(earlier, subject="Box en panne")
    later = desk.customer_files_online()
    desk.qualifies(later)
    browser.login("alice")

    page = text(browser.get(f"/tasks/{task_id(uow, later, 'Évaluer la réclamation')}"))
    consignes = page.split('id="instructions-title"')[1].split("</section>")[0]

    assert f"{earlier} du 23/11/2026 — Facturation — Box en panne" in consignes
    assert "billing" not in consignes and "2026-11-23" not in consignes


# --- documents sent with a task form -------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
REGISTRATION = {
    "channel": "letter",
    "customer_name": "Paul Durand",
    "description": "Colis reçu abîmé, il veut un échange.",
    "asks_for_treatment": "yes",
}


@pytest.fixture
def letter(file_complaint, uow):
    """A complaint received by letter: its registration task waits in the reception lane."""
    reference = file_complaint(channel="letter", customer_email=None)
    return reference, f"/tasks/{task_id(uow, reference, 'Enregistrer la réclamation')}"


def test_a_document_sent_with_a_task_form_joins_the_complaint(browser, letter, uow):
    reference, registration = letter
    browser.login("alice")

    page = browser.post(
        registration, {**REGISTRATION, "documents": (io.BytesIO(PDF), "lettre du client.pdf")}
    )

    assert page.request.path == "/"
    (document,) = attachments.list_for(reference, uow())
    assert (document.filename, document.source, document.uploaded_by) == (
        "lettre du client.pdf",
        "agent",
        "alice",
    )
    submitted = [
        e for e in services.instance_history(reference, uow()) if e.kind == "task_completed"
    ]
    assert submitted[-1].data["submitted"]["documents"] == [document.id]


def test_a_form_sent_back_for_correction_stores_no_document(browser, letter, uow):
    reference, registration = letter
    browser.login("alice")

    page = browser.post(
        registration,
        {**REGISTRATION, "description": "court", "documents": (io.BytesIO(PDF), "lettre.pdf")},
    )

    assert page.status_code == 422
    assert 'value="Paul Durand"' in text(page)
    assert attachments.list_for(reference, uow()) == []


def test_a_too_large_upload_gets_a_clear_page(app, browser, letter):
    _reference, registration = letter
    app.config["MAX_CONTENT_LENGTH"] = 2048
    browser.login("alice")

    page = browser.post(
        registration, {**REGISTRATION, "documents": (io.BytesIO(b"x" * 4096), "big.pdf")}
    )

    assert page.status_code == 413
    assert "dépassent la taille permise (10 Mo par fichier)" in text(page)


# --- a supervisor hands a task to someone --------------------------------------------------------


def test_sam_hands_a_task_to_alice(browser, file_complaint, uow):
    reference = file_complaint()
    check_id = task_id(uow, reference, CHECK)
    services.claim_task(check_id, "sam", uow())
    browser.login("sam")

    choices = text(browser.get(f"/tasks/{check_id}/reassign"))
    done = browser.post(f"/tasks/{check_id}/reassign", {"assignee": "alice"})

    assert 'value="alice"' in choices and "Alice Martin" in choices
    assert 'value="quinn"' not in choices  # quality does not work the reception lane
    assert f"La tâche « {CHECK} » ({reference}) est confiée à Alice Martin." in text(done)
    assert services.get_task(check_id, uow()).assignee == "alice"


def test_a_task_cannot_be_handed_to_someone_outside_its_lane(browser, file_complaint, uow):
    check_id = task_id(uow, file_complaint(), CHECK)
    browser.login("sam")

    page = browser.post(f"/tasks/{check_id}/reassign", {"assignee": "quinn"})

    assert page.status_code == 422
    assert "Choisissez une personne dans la liste." in text(page)
    assert services.get_task(check_id, uow()).assignee is None


def test_an_agent_cannot_reassign_tasks(browser, file_complaint, uow):
    check_id = task_id(uow, file_complaint(), CHECK)
    browser.login("alice")

    assert browser.get(f"/tasks/{check_id}/reassign").status_code == 403
    assert browser.post(f"/tasks/{check_id}/reassign", {"assignee": "alice"}).status_code == 403


def test_a_supervisor_on_a_task_someone_holds_is_told_what_he_can_do(browser, file_complaint, uow):
    check_id = task_id(uow, file_complaint(), CHECK)
    services.claim_task(check_id, "alice", uow())
    browser.login("sam")

    page = text(browser.get(f"/tasks/{check_id}"))

    assert "Demandez à un superviseur" not in page
    assert "vous pouvez la remettre dans la file ou vous la réattribuer" in page
    assert f'action="/tasks/{check_id}/release"' in page
    assert f'href="/tasks/{check_id}/reassign"' in page


def test_an_agent_on_a_task_someone_holds_is_told_to_ask_a_supervisor(browser, file_complaint, uow):
    check_id = task_id(uow, file_complaint(), CHECK)
    services.claim_task(check_id, "sam", uow())
    browser.login("alice")

    page = text(browser.get(f"/tasks/{check_id}"))

    assert "Demandez à un superviseur de vous la réattribuer." in page
    assert f'action="/tasks/{check_id}/release"' not in page
    assert f'href="/tasks/{check_id}/reassign"' not in page


# --- in English ---------------------------------------------------------------------------------


def test_the_task_page_reads_in_english_once_chosen(browser, file_complaint, uow):
    reference = file_complaint()
    services.complete_task(
        task_id(uow, reference, CHECK), {"submission_complete": True}, "alice", uow()
    )
    qualify = f"/tasks/{task_id(uow, reference, QUALIFY)}"
    browser.login("alice")
    browser.post("/language", {"language": "en", "next": qualify})

    page = text(browser.get(qualify))
    refused = text(browser.post(qualify, {**QUALIFICATION, "product": ""}))

    assert '<html lang="en">' in page
    assert '<label for="field-product">Product or contract' in page
    assert "<dd>Billing</dd>" in page  # the category, with the form's English label
    assert "This field is required." in refused
