"""Alice works a complaint: she opens the task, fills the form, fixes her mistake, moves on."""

from __future__ import annotations

from flask import render_template_string
from werkzeug.datastructures import MultiDict

from engine import services
from engine.forms import parse_form_definition, validate_submission
from tests.test_web_support import CHECK, QUALIFY, task_id, text
from webui.tasks import FieldView, submission

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


def test_a_task_that_no_longer_exists_gives_a_conflict_page(browser, organisation):
    browser.login("alice")

    assert browser.get("/tasks/not-a-task").status_code == 409


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
    assert 'name="f"' in html and "séparés par des virgules" in html
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
