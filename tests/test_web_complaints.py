"""The complaint file tells where a complaint stands and, in plain words, what happened."""

from __future__ import annotations

from engine import services
from tests.test_web_support import CHECK, QUALIFY, task_id, text

pytest_plugins = ["tests.test_web_support"]


def test_the_file_shows_stage_summary_tasks_timers_and_history(browser, file_complaint, uow):
    reference = file_complaint()
    services.complete_task(
        task_id(uow, reference, CHECK), {"submission_complete": True}, "alice", uow()
    )
    browser.login("sam")

    page = text(browser.get(f"/complaints/{reference}"))

    assert f"Dossier {reference}" in page
    assert "Reçue" in page and "En cours" in page
    assert "Ana Martin" in page and "Abonnement facturé deux fois" in page
    assert QUALIFY in page
    assert "Accusé en retard" in page and "En attente" in page
    assert f"Tâche « {CHECK} » terminée par alice" in page
    assert "Dossier ouvert par portal" in page


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
    assert "Ce dossier n'existe pas" in text(page) or "Introuvable" in text(page)


def test_an_unexpected_failure_shows_no_stack_trace(app, client):
    app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    def broken():
        raise RuntimeError("secret internals")

    app.add_url_rule("/broken", view_func=broken)
    page = client.get("/broken")

    assert page.status_code == 500
    assert "Erreur du serveur" in text(page)
    assert "secret internals" not in text(page) and "Traceback" not in text(page)
