"""Whatever a URL, a query string or a form carries, the answer is a page, never a server error.

The routes come from the app's own URL map, so a new page is covered as soon as it exists:
numbers too large for any database, a HEAD request where a form expects a POST, and (with
Hypothesis) malformed values thrown at the portal, a task form, the studio's save and every
query string.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from engine import outbox, services
from engine import portal as customer_portal
from engine.models import AuditEvent
from tests.test_web_portal import ANA
from tests.test_web_support import PASSWORD, Browser, task_id, text

pytest_plugins = ["tests.test_web_support"]

HUGE = "99999999999999999999"  # more than any SQL integer holds
ADMIN = "root"  # an administrator opens every page
QUALIFY_FORM = "Qualifier la demande"


@pytest.fixture
def site(organisation, uow, file_complaint):
    """A complaint filed on the portal and one by phone, an admin, and a value for every
    argument a route of the app takes."""
    services.create_user(ADMIN, ["admin"], uow(), password=PASSWORD)
    filed = customer_portal.file_complaint({**ANA, "consent": True}, "fr", uow())
    reference = file_complaint()
    message = outbox.list_messages(uow(), limit=1)[0]
    return {
        "reference": reference,
        "task_id": task_id(uow, reference, "Vérifier la saisie web"),
        "token": filed.token,
        "attachment_id": "not-a-document",
        "username": "alice",
        "process_id": "complaint",
        "name": "evaluation.bpmn",
        "filename": "style.css",
        "number": 1,
        "message_id": message.id,
    }


def path_of(rule, values: dict, **overrides) -> str:
    """The path of ``rule`` with the site's values (``overrides`` win) for its arguments."""
    missing = set(rule.arguments) - set(values) - set(overrides)
    assert not missing, f"{rule.rule}: give the site fixture a value for {sorted(missing)}"
    return rule.build({**{a: values[a] for a in rule.arguments}, **overrides})[1]


def signed_in(app) -> Browser:
    browser = Browser(app.test_client())
    browser.login(ADMIN)
    return browser


def trail_length(uow) -> int:
    with uow() as unit:
        return unit.session.scalar(select(func.count()).select_from(AuditEvent))


# --- numbers from the URL -------------------------------------------------------------------------


def test_every_number_in_a_path_beyond_what_a_database_holds_matches_no_page(app, site):
    browser = signed_in(app)
    numbered = [
        rule
        for rule in app.url_map.iter_rules()
        if any(isinstance(c, IntegerConverter) for c in rule._converters.values())
    ]
    assert numbered, "the app has numbered pages (versions, messages)"

    answers = {}
    for rule in numbered:
        huge = {a: HUGE for a, c in rule._converters.items() if isinstance(c, IntegerConverter)}
        path = path_of(rule, site, **huge)
        if "GET" in rule.methods:
            answers[path] = browser.client.get(path).status_code
        else:
            answers[path] = browser.client.post(
                path, data={"csrf_token": browser.token}
            ).status_code

    assert answers == dict.fromkeys(answers, 404)


@pytest.mark.parametrize(
    "path",
    ["/?page=" + HUGE, "/audit/?page=" + HUGE, "/outbox?page=" + HUGE, "/audit/?page=-" + HUGE],
)
def test_a_page_number_too_large_shows_the_last_page(app, site, path):
    page = signed_in(app).client.get(path)

    assert page.status_code == 200
    assert "Page 99999" not in text(page)


def test_a_version_number_too_large_in_the_migration_form_is_not_found(app, site):
    client = signed_in(app).client

    assert client.get(f"/studio/migrations?source={HUGE}&target=1").status_code == 404
    assert client.get(f"/studio/versions/{HUGE}/files/x").status_code == 404


# --- HEAD reads a page, it never sends its form ---------------------------------------------


def test_head_on_the_portal_answers_like_get(client, organisation):
    assert client.head("/portal/").status_code == client.get("/portal/").status_code == 200


def test_head_on_every_page_with_a_form_answers_like_get_and_changes_nothing(app, site, uow):
    browser = signed_in(app)
    forms = [r for r in app.url_map.iter_rules() if {"GET", "POST"} <= r.methods]
    assert len(forms) >= 5
    before = trail_length(uow)

    answers = {}
    for rule in forms:
        path = path_of(rule, site)
        answers[path] = (
            browser.client.head(path).status_code,
            browser.client.get(path).status_code,
        )

    assert {path: head for path, (head, _get) in answers.items()} == {
        path: get for path, (_head, get) in answers.items()
    }
    assert trail_length(uow) == before  # no complaint started, no task completed
