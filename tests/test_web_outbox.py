"""The outbox page and a complaint's messages, as supervisors, quality and others see them."""

from __future__ import annotations

import pytest
from flask import render_template_string
from sqlalchemy import update

from engine.db.models import OutboxMessage
from engine.services import messages as outbox
from tests.test_web_support import small_pages, text

pytest_plugins = ["tests.test_web_support"]


def fail_messages(uow) -> None:
    with uow() as unit:
        unit.session.execute(
            update(OutboxMessage).values(
                status="failed", attempts=outbox.MAX_ATTEMPTS, last_error="550 mailbox unknown"
            )
        )
        unit.commit()


def test_a_supervisor_sees_every_message_newest_first_with_its_complaint(browser, file_complaint):
    first = file_complaint()
    second = file_complaint(customer_name="Bruno Petit", customer_email="bruno@example.org")
    browser.login("sam")

    page = text(browser.get("/outbox"))

    assert page.index(second) < page.index(first)
    assert f'href="/complaints/{first}"' in page
    assert "bruno@example.org" in page
    assert f"Suivi de votre réclamation {second}" in page
    assert "<details>" in page and "Lire le message" in page
    assert "aucun serveur de messagerie n'est configuré" in page
    assert ">Messages</a>" in page  # in the menu


@pytest.mark.parametrize("user", ["sam", "quinn"])
def test_supervisors_and_quality_may_open_the_outbox(browser, organisation, user):
    browser.login(user)

    assert browser.get("/outbox").status_code == 200


@pytest.mark.parametrize("user", ["alice", "audrey", "olivia"])
def test_agents_auditors_and_process_owners_are_refused_the_outbox(browser, organisation, user):
    browser.login(user)

    page = browser.get("/outbox")

    assert page.status_code == 403
    assert ">Messages</a>" not in text(browser.get("/"))


def test_the_status_filter_shows_only_messages_in_that_state(browser, file_complaint, uow):
    file_complaint()
    fail_messages(uow)
    pending = file_complaint(customer_name="Bruno Petit")
    browser.login("sam")

    failed_page = text(browser.get("/outbox?status=failed"))
    pending_page = text(browser.get("/outbox?status=pending"))

    assert "550 mailbox unknown" in failed_page and pending not in failed_page
    assert pending in pending_page and "550 mailbox unknown" not in pending_page
    assert 'aria-current="page">En échec (1)' in failed_page
    assert browser.get("/outbox?status=lost").status_code == 400


def test_messages_come_in_pages(app, browser, file_complaint, monkeypatch):
    small_pages(app, monkeypatch)
    references = [file_complaint() for _ in range(3)]
    browser.login("sam")

    first = text(browser.get("/outbox"))
    second = text(browser.get("/outbox?page=2"))

    assert references[0] not in first and references[0] in second
    assert "Page 1 sur 2" in first and 'rel="next"' in first


def test_a_supervisor_sends_a_failed_message_again(browser, file_complaint, uow):
    reference = file_complaint()
    fail_messages(uow)
    (message,) = outbox.messages_for(reference, uow())
    browser.login("sam")
    browser.get("/outbox")

    page = browser.post(f"/outbox/{message.id}/retry", {"next": "/outbox?status=failed"})

    assert page.request.path == "/outbox" and page.request.args["status"] == "failed"
    assert "partira au prochain envoi" in text(page)
    assert outbox.messages_for(reference, uow())[0].status == "pending"


def test_sending_again_a_message_that_is_no_longer_failed_says_so(browser, file_complaint, uow):
    reference = file_complaint()
    (message,) = outbox.messages_for(reference, uow())
    browser.login("sam")

    page = browser.post(f"/outbox/{message.id}/retry")

    assert "Seul un message en échec peut être renvoyé" in text(page)


def test_quality_may_read_but_not_send_again(browser, file_complaint, uow):
    reference = file_complaint()
    fail_messages(uow)
    (message,) = outbox.messages_for(reference, uow())
    browser.login("quinn")

    assert "Renvoyer maintenant" not in text(browser.get("/outbox"))
    assert browser.post(f"/outbox/{message.id}/retry").status_code == 403
    assert outbox.messages_for(reference, uow())[0].status == "failed"


def test_sending_again_without_the_form_token_is_refused(client, browser, file_complaint, uow):
    reference = file_complaint()
    fail_messages(uow)
    (message,) = outbox.messages_for(reference, uow())
    browser.login("sam")

    refused = client.post(f"/outbox/{message.id}/retry")

    assert refused.status_code == 400
    assert outbox.messages_for(reference, uow())[0].status == "failed"


def test_the_complaint_file_partial_lists_its_messages(app, file_complaint, uow):
    reference = file_complaint(customer_email="")
    messages = outbox.messages_for(reference, uow())

    with app.test_request_context():
        html = render_template_string(
            '{% from "_messages.html" import message_list %}{{ message_list(messages) }}',
            messages=messages,
        )

    assert f"Suivi de votre réclamation {reference}" in html
    assert '<pre class="message-body" lang="fr">Bonjour Ana Martin,' in html
    assert "Non envoyé" in html
    assert "le client n'a pas donné d'adresse électronique" in html
    assert "Renvoyer maintenant" not in html and "/complaints/" not in html
