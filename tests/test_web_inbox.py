"""Alice's inbox: her tasks and her lanes' waiting tasks, due first, to claim or give back."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from engine import clock, services
from engine.errors import InvalidInput
from tests.test_web_support import CHECK, small_pages, task_id, text

pytest_plugins = ["tests.test_web_support"]


def test_alice_sees_the_new_complaint_waiting_in_her_lane(browser, file_complaint):
    reference = file_complaint()

    page = text(browser.login("alice"))

    assert reference in page
    assert CHECK in page
    assert "Accueil" in page and "Reçue" in page
    assert "Ana Martin" in page and "Facturation" in page
    assert "04/12/2026 23:59" in page and "reste 11 j 13 h" in page
    assert "Non attribuée" in page


def test_quality_does_not_see_the_reception_lane(browser, file_complaint):
    reference = file_complaint()

    assert reference not in text(browser.login("quinn"))


def test_alice_claims_a_task_and_others_no_longer_see_it(browser, file_complaint, uow):
    reference = file_complaint()
    check_id = task_id(uow, reference, CHECK)
    browser.login("alice")

    page = text(browser.post(f"/tasks/{check_id}/claim", {"next": "/"}))

    assert f"Vous avez pris la tâche « {CHECK} » ({reference})" in page
    assert "Remettre dans la file" in page
    assert services.get_task(check_id, uow()).assignee == "alice"
    assert reference not in [t.reference for t in services.list_tasks(uow(), user="sam")]


def test_alice_gives_a_task_back_to_her_lane(browser, file_complaint, uow):
    check_id = task_id(uow, file_complaint(), CHECK)
    services.claim_task(check_id, "alice", uow())
    browser.login("alice")

    page = text(browser.post(f"/tasks/{check_id}/release"))

    assert "est remise dans la file" in page
    assert services.get_task(check_id, uow()).assignee is None


def test_claiming_a_task_already_taken_says_who_has_it(browser, file_complaint, uow):
    check_id = task_id(uow, file_complaint(), CHECK)
    browser.login("alice")
    services.claim_task(check_id, "sam", uow())

    page = text(browser.post(f"/tasks/{check_id}/claim"))

    assert "Trop tard" in page and "sam" in page


def test_search_finds_tasks_by_customer_name_or_reference(browser, file_complaint):
    ana = file_complaint()
    bruno = file_complaint(customer_name="Bruno Lefèvre")
    browser.login("alice")

    by_name = text(browser.get("/?q=lefèvre"))
    by_reference = text(browser.get(f"/?q={ana}"))

    assert bruno in by_name and ana not in by_name
    assert ana in by_reference and bruno not in by_reference


def test_the_inbox_is_split_into_pages(app, browser, file_complaint, monkeypatch):
    small_pages(app, monkeypatch)
    references = [file_complaint() for _ in range(3)]
    browser.login("alice")

    first, second = text(browser.get("/")), text(browser.get("/?page=2"))

    assert "Page 1 sur 2" in first and references[2] not in first
    assert references[2] in second and references[0] not in second


def test_due_soon_and_overdue_tasks_stand_out(browser, file_complaint):
    file_complaint()
    browser.login("alice")

    clock.advance(timedelta(days=10))
    soon = text(browser.get("/"))
    clock.advance(timedelta(days=2))
    late = text(browser.get("/"))

    assert 'class="due-soon"' in soon
    assert 'class="due-overdue"' in late and "en retard de" in late


def test_an_administrator_sees_every_lane(browser, file_complaint, uow):
    reference = file_complaint()
    services.create_user("admin", ["admin"], uow(), password="demo")

    page = text(browser.login("admin"))

    assert reference in page and "1 tâche" in page


def test_alice_narrows_her_inbox_to_the_tasks_she_has_taken(browser, file_complaint, uow):
    taken, waiting = file_complaint(), file_complaint()
    services.claim_task(task_id(uow, taken, CHECK), "alice", uow())
    browser.login("alice")

    page = text(browser.get("/?mine=1"))

    assert taken in page and waiting not in page
    assert 'name="mine" value="1" checked' in page


def test_a_supervisor_filters_one_lane_and_sorts_oldest_first(
    browser, file_complaint, frozen_clock
):
    older = file_complaint()
    frozen_clock.advance(timedelta(hours=1))
    newer = file_complaint(customer_name="Bruno Lefèvre")
    browser.login("sam")

    reception = text(browser.get("/?lane=Accueil&sort=created"))
    supervision = text(browser.get("/?lane=Superviseur"))

    assert reception.index(older) < reception.index(newer)
    assert older not in supervision and newer not in supervision


def test_an_unknown_sort_is_refused_by_the_service(uow, file_complaint):
    file_complaint()

    with pytest.raises(InvalidInput, match="unknown sort"):
        services.list_tasks(uow(), user="alice", sort="colour")


def test_a_complaint_not_yet_evaluated_has_its_priority_to_assess(browser, file_complaint):
    file_complaint()
    browser.login("alice")

    row = text(browser.get("/")).split("<tbody>")[1].split("</tr>")[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)

    assert cells[4] == "à évaluer"  # the priority column
