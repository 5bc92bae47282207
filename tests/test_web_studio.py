"""Olivia, the process owner, changes the procedure in the studio: she edits a diagram, a
decision table, a form and the policy in the browser, sees what a deployment changes, deploys,
and moves running complaints to the new version when it is safe."""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from pathlib import Path
from string import Formatter

import pytest
from sqlalchemy import select

from engine import services
from engine.db.models import DraftFile
from engine.problems import MESSAGES
from engine.services import studio
from tests.journeys.desk import Desk
from tests.test_web_support import text
from webui.problems import PROBLEM_TEXTS

pytest_plugins = ["tests.test_web_support"]

WRITE_ANSWER = '<bpmn:userTask id="write_answer" name="Rédiger la réponse">'
RENAMED = '<bpmn:userTask id="write_answer" name="Rédiger la réponse au client">'


@pytest.fixture
def olivia(browser, organisation):
    browser.login("olivia")
    return browser


@pytest.fixture
def desk(organisation, uow, database, frozen_clock) -> Desk:
    return Desk(uow, database, frozen_clock)


def deployed(uow, name: str) -> str:
    return studio.deployed_files(1, uow())[name]


def save_json(browser, name: str, text_: str, source_hash: str | None = None):
    """What studio.js does when Olivia presses « Enregistrer le brouillon »."""
    return browser.client.post(
        f"/studio/files/{name}",
        json={"text": text_, "source_hash": source_hash},
        headers={"X-CSRFToken": browser.token},
    )


def draft_names(database) -> list[str]:
    with database.unit_of_work(read_only=True) as check:
        return sorted(check.session.scalars(select(DraftFile.name)))


# --- who may come in ---------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["alice", "sam", "quinn", "audrey"])
def test_only_process_owners_open_the_studio(browser, organisation, username):
    browser.login(username)

    assert browser.get("/studio/").status_code == 403
    assert browser.get("/studio/files/evaluation.bpmn").status_code == 403
    assert browser.post("/studio/deploy").status_code == 403
    assert "/studio/" not in text(browser.get("/overview"))


def test_signed_out_visitors_are_sent_to_the_sign_in_page(client, organisation):
    response = client.get("/studio/")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_save_without_the_form_token_is_refused(olivia, database):
    response = olivia.client.post(
        "/studio/files/evaluation.bpmn", json={"text": "<x/>", "source_hash": None}
    )

    assert response.status_code == 400
    assert draft_names(database) == []


# --- the studio's home ---------------------------------------------------------------------------


def test_the_studio_lists_the_files_and_the_versions_with_their_complaints(olivia, file_complaint):
    file_complaint()

    page = text(olivia.get("/studio/"))

    for name in ("evaluation.bpmn", "priority.dmn", "forms/write_answer.json", "policy.toml"):
        assert f'data-file="{name}"' in page
    version = page.split('data-version="1"')[1].split("</tr>")[0]
    assert '<td class="count running">1</td>' in version
    assert "Studio" in page.split("<main")[0]  # the menu entry


def test_the_diagram_editor_loads_the_vendored_modeler(olivia, app):
    page = text(olivia.get("/studio/files/evaluation.bpmn"))

    scripts = [
        "vendor/bpmn-js/bpmn-modeler.production.min.js",
        "js/studio-spiffworkflow.js",
        "js/studio.js",
    ]
    for script in scripts:
        assert f'src="/static/{script}"' in page
        assert (Path(app.static_folder) / script).is_file(), f"{script} is missing (make vendor)"
    for hook in ('id="canvas"', 'id="save-diagram"', 'id="problems"', 'id="properties"'):
        assert hook in page
    assert "<script>" not in page and "onclick" not in page


def test_the_decision_editor_loads_the_vendored_dmn_modeler(olivia, app):
    response = olivia.get("/studio/files/priority.dmn")

    assert 'src="/static/vendor/dmn-js/dmn-modeler.production.min.js"' in text(response)
    assert (Path(app.static_folder) / "vendor/dmn-js/dmn-modeler.production.min.js").is_file()
    assert "style-src-attr 'unsafe-inline'" in response.headers["Content-Security-Policy"]


def test_an_unknown_kind_of_file_is_a_clear_refusal(olivia):
    response = olivia.get("/studio/files/notes.exe")

    assert response.status_code == 400
    assert "« notes.exe » n'est pas un fichier de processus" in html.unescape(text(response))
    assert olivia.get("/studio/files/nowhere.bpmn").status_code == 404


def test_the_editor_loads_the_file_with_its_hash(olivia, uow):
    answer = olivia.get("/studio/files/evaluation.bpmn/content").get_json()

    assert answer["text"] == deployed(uow, "evaluation.bpmn")
    assert answer["source_hash"] == studio.text_hash(answer["text"])
    assert "write_answer.json" in answer["forms"]
    assert "answer" in answer["deadlines"]


# --- saving ------------------------------------------------------------------------------------


def test_an_invalid_diagram_is_refused_with_each_problem_and_its_element(olivia, uow, database):
    broken = deployed(uow, "evaluation.bpmn").replace(
        'targetRef="write_answer"', 'targetRef="nowhere"'
    )

    response = save_json(olivia, "evaluation.bpmn", broken)

    assert response.status_code == 422
    answer = response.get_json()
    assert answer["saved"] is False
    assert answer["problems"][0]["element_id"] == "flow_answer_merge_write_answer"
    assert answer["problems"][0]["in_this_file"] is True
    assert draft_names(database) == []


def test_a_valid_diagram_is_kept_as_a_draft(olivia, uow, database):
    source = studio.text_hash(deployed(uow, "evaluation.bpmn"))
    changed = deployed(uow, "evaluation.bpmn").replace(WRITE_ANSWER, RENAMED)

    response = save_json(olivia, "evaluation.bpmn", changed, source)

    assert response.status_code == 200
    assert response.get_json()["saved"] is True
    assert draft_names(database) == ["evaluation.bpmn"]
    assert "Brouillon" in text(olivia.get("/studio/"))


def test_a_save_over_a_newer_draft_is_a_conflict(olivia, uow, database):
    source = studio.text_hash(deployed(uow, "evaluation.bpmn"))
    save_json(
        olivia,
        "evaluation.bpmn",
        deployed(uow, "evaluation.bpmn").replace(WRITE_ANSWER, RENAMED),
        source,
    )

    late = save_json(
        olivia,
        "evaluation.bpmn",
        deployed(uow, "evaluation.bpmn").replace("Évaluer", "Juger"),
        source,
    )

    assert late.status_code == 409
    assert late.get_json()["saved"] is False


def test_a_form_with_a_mistake_is_shown_again_with_its_line(olivia, uow, database):
    broken = deployed(uow, "forms/write_answer.json").replace('"long_text"', '"colour"')

    response = olivia.post("/studio/files/forms/write_answer.json", {"text": broken})

    assert response.status_code == 422
    page = text(response)
    assert 'data-line="13"' in page and "colour" in page
    assert draft_names(database) == []


def test_a_form_preview_draws_the_fields_like_the_task_page(olivia, uow):
    form = deployed(uow, "forms/write_answer.json").replace(
        "Réponse au client", "Votre réponse au client"
    )

    response = olivia.post("/studio/files/forms/write_answer.json/preview", {"text": form})

    fragment = text(response)
    assert response.status_code == 200
    assert 'name="answer_text"' in fragment and "Votre réponse au client" in fragment
    assert "<fieldset disabled" in fragment


def test_the_policy_preview_shows_when_the_answer_would_be_due(olivia, uow):
    policy = deployed(uow, "policy.toml").replace(
        'preset = "acpr-answer"', 'preset = "psd2-answer"'
    )

    fragment = text(olivia.post("/studio/files/policy.toml/preview", {"text": policy}))

    answer = fragment.split('data-deadline="answer"')[1].split("</tr>")[0]
    assert "14/12/2026" in answer  # 15 business days after Monday 23 November 2026


def test_a_new_form_is_created_from_a_template_and_kept_once_valid(olivia, database):
    response = olivia.post("/studio/forms/new", {"name": "check_documents"})
    page = text(response)

    assert "forms/check_documents.json" in page and 'name="new" value="1"' in page
    template = page.split('name="text"')[1].split(">", 1)[1].split("</textarea>")[0]
    saved = olivia.post(
        "/studio/files/forms/check_documents.json",
        {"text": html.unescape(template), "new": "1"},
    )
    assert saved.status_code == 200
    assert draft_names(database) == ["forms/check_documents.json"]
    assert "Nouveau" in text(olivia.get("/studio/"))


def test_a_draft_can_be_discarded(olivia, uow, database):
    save_json(
        olivia, "evaluation.bpmn", deployed(uow, "evaluation.bpmn").replace(WRITE_ANSWER, RENAMED)
    )

    olivia.post("/studio/files/evaluation.bpmn/discard")

    assert draft_names(database) == []


# --- deploying and migrating ---------------------------------------------------------------------


def test_deploying_shows_the_changes_then_makes_the_next_version(olivia, uow, desk):
    running = desk.customer_files_online()
    save_json(
        olivia, "evaluation.bpmn", deployed(uow, "evaluation.bpmn").replace(WRITE_ANSWER, RENAMED)
    )

    confirmation = text(olivia.get("/studio/deploy"))
    token = confirmation.split('name="token" value="')[1].split('"')[0]
    done = olivia.post("/studio/deploy", {"token": token})

    assert 'data-element-id="write_answer"' in confirmation
    assert (
        "Rédiger la réponse au client" in confirmation and "Déployer la version 2" in confirmation
    )
    assert "Version 2 déployée" in text(done)
    new = desk.customer_files_online()
    assert (desk.complaint(running).version, desk.complaint(new).version) == (1, 2)


def test_the_migration_page_runs_dry_then_moves_and_reverts(olivia, uow, desk):
    at_assess = desk.customer_files_online()
    desk.qualifies(at_assess)
    at_answer = desk.customer_files_online()
    desk.qualifies(at_answer)
    desk.assesses(at_answer)
    desk.decides(at_answer)
    save_json(
        olivia, "evaluation.bpmn", deployed(uow, "evaluation.bpmn").replace(WRITE_ANSWER, RENAMED)
    )
    studio.deploy_drafts(studio.deployment_preview(uow()).token, "olivia", uow())

    dry = text(olivia.get("/studio/migrations?source=1&target=2"))
    moved = text(olivia.post("/studio/migrations", {"source": "1", "target": "2"}))
    back = text(olivia.post("/studio/migrations/revert", {"source": "1", "target": "2"}))

    refused = dry.split(f'data-reference="{at_answer}"')[1].split("</tr>")[0]
    assert "write_answer" in refused and "Rédiger la réponse" in refused
    assert f'<tr class="movable" data-reference="{at_assess}">' in dry
    assert "1 réclamation(s) déplacée(s) de la version 1 à la version 2" in moved
    assert "1 réclamation(s) déplacée(s) de la version 2 à la version 1" in back
    assert [e.data["to"] for e in desk.events(at_assess, "instance_migrated")] == [2, 1]
    assert desk.complaint(at_answer).version == 1


def test_a_version_downloads_file_by_file_and_as_a_zip(olivia, uow):
    single = olivia.get("/studio/versions/1/files/forms/write_answer.json")
    archive = olivia.client.get("/studio/versions/1/archive")

    assert single.headers["Content-Disposition"] == "attachment; filename=write_answer.json"
    assert json.loads(single.data) == json.loads(deployed(uow, "forms/write_answer.json"))
    assert archive.headers["Content-Disposition"] == "attachment; filename=doleance-v1.zip"
    names = zipfile.ZipFile(io.BytesIO(archive.data)).namelist()
    assert "processes/priority.dmn" in names and "forms/write_answer.json" in names


def test_a_version_page_lists_its_files_and_what_changed(olivia, uow):
    save_json(
        olivia, "evaluation.bpmn", deployed(uow, "evaluation.bpmn").replace(WRITE_ANSWER, RENAMED)
    )
    studio.deploy_drafts(studio.deployment_preview(uow()).token, "olivia", uow())

    page = text(olivia.get("/studio/versions/2"))

    assert "/studio/versions/2/files/evaluation.bpmn" in page
    assert 'data-element-id="write_answer"' in page
    assert services.list_versions(uow())[-1].deployed_by == "olivia"


# --- new decision tables, bad saves and problems in the reader's language (issue 11) -----------


def test_a_new_decision_table_is_created_from_a_template_and_saved(olivia, database):
    response = olivia.post("/studio/decisions/new", {"name": "escalation"})

    assert "escalation.dmn" in text(response)
    content = olivia.get("/studio/files/escalation.dmn/content?new=1").get_json()
    assert content["kind"] == "decision" and content["source_hash"] == studio.text_hash(None)
    saved = save_json(olivia, "escalation.dmn", content["text"], content["source_hash"])
    assert saved.status_code == 200, saved.get_json()
    assert draft_names(database) == ["escalation.dmn"]


def test_a_refused_decision_table_name_is_explained_with_a_decision_table_example(olivia):
    response = save_json(olivia, "escalade-niveau-2.dmn", "<definitions/>")

    assert response.status_code == 400
    message = response.get_json()["message"]
    assert "comme escalation.dmn" in message and "forms/" not in message


@pytest.mark.parametrize("body", ["<definitions id='a'/>", "\ufeff<definitions id='a'/>"])
def test_a_decision_table_without_the_dmn_namespace_is_a_problem_not_a_crash(olivia, body):
    response = save_json(olivia, "routing.dmn", body)

    assert response.status_code == 422
    (problem,) = response.get_json()["problems"]
    assert problem["line"] == 1 and problem["in_this_file"] is True
    assert problem["message"].startswith("ce n'est pas un fichier DMN")


@pytest.mark.parametrize(
    "body", ["[1, 2]", '"x"', "1e999", "null", '{"text": "<x/>", "source_hash": 5}']
)
def test_a_save_whose_json_is_not_the_expected_object_is_a_clear_refusal(olivia, body):
    response = olivia.client.post(
        "/studio/files/routing.dmn",
        data=body,
        content_type="application/json",
        headers={"X-CSRFToken": olivia.token},
    )

    assert response.status_code == 400
    assert response.get_json()["saved"] is False
    assert "objet JSON" in response.get_json()["message"]


def test_problems_are_worded_in_the_reader_s_language(olivia, uow):
    broken = deployed(uow, "evaluation.bpmn").replace(
        'targetRef="write_answer"', 'targetRef="nowhere"'
    )

    french = save_json(olivia, "evaluation.bpmn", broken).get_json()["problems"][0]
    olivia.post("/language", {"language": "en", "next": "/studio/"})
    english = save_json(olivia, "evaluation.bpmn", broken).get_json()["problems"][0]

    assert french["message"] == "le flux mène à « nowhere », qui n'existe pas"
    assert english["message"] == "sequence flow leads to “nowhere”, which does not exist"


# --- every problem and refusal in the reader's language ----------------------------------------


def _placeholders(template: str) -> set[str]:
    return set(re.findall(r"%\((\w+)\)s", template))


def test_every_code_the_engine_words_has_a_text_with_the_same_placeholders(app):
    with app.test_request_context():
        texts = {code: str(text) for code, text in PROBLEM_TEXTS.items()}

    missing = sorted(set(MESSAGES) - set(texts))
    stale = sorted(set(texts) - set(MESSAGES))
    different = {
        code: (sorted(_placeholders(texts[code])), sorted(fields))
        for code, template in MESSAGES.items()
        if code in texts
        and _placeholders(texts[code])
        != (fields := {f for _, f, _, _ in Formatter().parse(template) if f})
    }
    assert not missing, f"codes without a text in webui/problems.py: {missing}"
    assert not stale, f"texts of codes the engine no longer has: {stale}"
    assert not different, f"placeholders differ (web UI, engine): {different}"


def problems_in_both_languages(olivia, name: str, text_: str) -> tuple[list[str], list[str]]:
    """The problems Olivia is shown when she saves ``text_`` as ``name``, in French then in
    English (her language choice)."""
    french = save_json(olivia, name, text_).get_json()["problems"]
    olivia.post("/language", {"language": "en", "next": "/studio/"})
    english = save_json(olivia, name, text_).get_json()["problems"]
    return [p["message"] for p in french], [p["message"] for p in english]


def test_a_broken_form_is_explained_in_the_reader_s_language(olivia, uow, database):
    broken = (
        deployed(uow, "forms/write_answer.json")
        .replace('"long_text"', '"long_txt"')
        .replace('"max_length": 20000', '"max_lenght": 20000, "readonly": "no"')
    )

    french, english = problems_in_both_languages(olivia, "forms/write_answer.json", broken)

    types = "text, long_text, choice, multi_choice, yes_no, number, money, date, file"
    assert french == [
        "le type « long_txt » est inconnu (vouliez-vous dire « long_text » ?) ; "
        f"attendu : l'un de {types}",
        "« readonly » doit valoir true ou false, reçu : 'no'",
    ]
    assert english == [
        f"type “long_txt” is unknown (did you mean “long_text”?); expected one of {types}",
        "“readonly” must be true or false, got 'no'",
    ]
    assert draft_names(database) == []


def test_a_form_s_choices_and_texts_are_explained_in_the_reader_s_language(olivia):
    form = json.dumps(
        {
            "title": {"fr": "Pièces"},
            "fields": [
                {
                    "key": "kind",
                    "type": "choice",
                    "label": {"fr": "Type", "en": "Kind"},
                    "choices": [{"value": "a", "label": {"fr": "A"}}, {"value": "b"}],
                    "default": "c",
                },
                {"key": "files", "type": "file", "label": []},
            ],
        }
    )

    french, english = problems_in_both_languages(olivia, "forms/documents.json", form)

    assert french == [
        "« title » n'a pas de texte « en »",
        "choix n° 1 : « label » n'a pas de texte « en »",
        "choix n° 2 : « label » est obligatoire",
        "« label » doit être un objet avec un texte par langue, comme "
        '{"fr": "...", "en": "..."}, reçu : une liste vide',
    ]
    assert english == [
        "“title” has no “en” text",
        "choice #1: “label” has no “en” text",
        "choice #2: “label” is required",
        "“label” must be an object with a text per language, like "
        '{"fr": "...", "en": "..."}, got an empty list',
    ]


def test_a_broken_policy_is_explained_in_the_reader_s_language(olivia, uow, database):
    broken = deployed(uow, "policy.toml").replace('country = "FR"', 'country = "XX"') + (
        '\n[deadlines.callback]\nunit = "fortnights"\ncount = 2\n'
    )

    french, english = problems_in_both_languages(olivia, "policy.toml", broken)

    units = (
        "working_days, business_days, calendar_days, weeks, months, business_hours, "
        "business_minutes"
    )
    assert french == [
        "pays inconnu : 'XX'",
        f"règle de délai « callback » : unité 'fortnights' inconnue ; connues : {units}",
    ]
    assert english == [
        "Unknown country 'XX'",
        f"Deadline rule “callback”: unknown unit 'fortnights'; known: {units}",
    ]
    assert draft_names(database) == []


def test_a_broken_message_template_is_explained_in_the_reader_s_language(olivia, uow, database):
    broken = deployed(uow, "messages/fr/thanks.txt").replace("Subject:", "Objet :", 1)

    french, english = problems_in_both_languages(olivia, "messages/fr/thanks.txt", broken)

    assert french == ["la première ligne doit être « Subject: … » (l'objet du courriel)"]
    assert english == ["the first line must be “Subject: …” (the e-mail's subject)"]
    assert draft_names(database) == []


def test_a_template_that_reads_what_no_diagram_sends_is_explained_in_both_languages(olivia, uow):
    broken = deployed(uow, "messages/en/thanks.txt").replace("{{ reference }}", "{{ ticket }}", 1)

    french, english = problems_in_both_languages(olivia, "messages/en/thanks.txt", broken)

    assert french[0] == (
        "ne peut pas être rempli avec ce qu'envoie « thank_customer » (complaint.bpmn) : "
        "« ticket » n'est pas défini"
    )
    assert english[0] == (
        "does not render with what “thank_customer” (complaint.bpmn) sends: “ticket” is undefined"
    )
    assert french[1].startswith("utilise ticket, qu'aucun diagramme n'envoie avec ce message")
    assert english[1].startswith("uses ticket, which no diagram sends with this message")


def test_a_root_element_in_an_unknown_namespace_is_explained_in_both_languages(olivia):
    dmn = '<definitions xmlns="http://example.org/dmn" id="a"/>'

    french, english = problems_in_both_languages(olivia, "routing.dmn", dmn)

    assert "<definitions> dans l'espace de noms http://example.org/dmn" in french[0]
    assert "<definitions> in the namespace http://example.org/dmn" in english[0]


def test_a_refused_file_name_is_explained_in_both_languages(olivia):
    french = save_json(olivia, "escalade-niveau-2.dmn", "<definitions/>").get_json()["message"]
    olivia.post("/language", {"language": "en", "next": "/studio/"})
    english = save_json(olivia, "escalade-niveau-2.dmn", "<definitions/>").get_json()["message"]

    assert french == (
        "« escalade-niveau-2.dmn » ne peut pas servir de nom de fichier : utilisez des "
        "lettres, des chiffres et « _ », comme escalation.dmn"
    )
    assert english == (
        "“escalade-niveau-2.dmn” cannot be used as a file name: use letters, digits and "
        "“_”, like escalation.dmn"
    )


def test_a_new_form_with_a_refused_name_is_explained_in_english_too(olivia):
    olivia.post("/language", {"language": "en", "next": "/studio/"})

    page = html.unescape(text(olivia.post("/studio/forms/new", {"name": "mes pièces"})))

    assert "“forms/mes pièces.json” cannot be used as a file name: use letters, digits" in page
