"""Whatever a URL, a query string or a form carries, the answer is a page, never a server error.

The routes come from the app's own URL map, so a new page is covered as soon as it exists:
numbers too large for any database, a HEAD request where a form expects a POST, and (with
Hypothesis) malformed values thrown at the portal, a task form, the studio's save and every
query string.
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from engine import services
from engine.config import PROJECT_ROOT
from engine.db.models import AuditEvent
from engine.forms import parse_form_definition
from engine.services import messages as outbox
from engine.services import portal as customer_portal
from tests.test_web_portal import ANA
from tests.test_web_support import PASSWORD, Browser, task_id, text
from webui.portal import COMPLAINT_FIELDS

pytest_plugins = ["tests.test_web_support"]

WEBUI = PROJECT_ROOT / "webui"
HUGE = "99999999999999999999"  # more than any SQL integer holds
ADMIN = "root"  # an administrator opens every page
CHECK, QUALIFY = "Vérifier la saisie web", "Qualifier la demande"


@pytest.fixture
def site(organisation, uow, file_complaint):
    """Two complaints (one filed on the portal, with its tracking link), an admin, and a value
    for every argument a route of the app takes."""
    services.create_user(ADMIN, ["admin"], uow(), password=PASSWORD)
    filed = customer_portal.file_complaint({**ANA, "consent": True}, "fr", uow())
    reference = file_complaint()
    message = outbox.list_messages(uow(), limit=1)[0]
    return {
        "reference": reference,
        "task_id": task_id(uow, reference, CHECK),
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


# --- no NUL character reaches the database ---------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/?q=%00", "/audit/?category=a%00b", "/complaints/REC%00", "/audit/?process=%00"]
)
def test_a_nul_character_in_the_url_gets_a_clear_refusal(app, site, path):
    answer = signed_in(app).client.get(path)

    assert answer.status_code == 400
    assert "La demande contient un caractère nul" in text(answer)


def test_a_nul_character_in_the_portal_form_gets_a_clear_refusal(client, organisation):
    customer = Browser(client)

    answer = customer.post("/portal/", {**ANA, "customer_name": "Ana\x00Martin"})

    assert answer.status_code == 400
    assert "La demande contient un caractère nul" in text(answer)


# --- malformed values everywhere (Hypothesis) -----------------------------------------------

#: Values people and programs send by mistake or on purpose.
NASTY = [
    HUGE,
    f"-{HUGE}",
    "1e999",
    "-1",
    "0",
    "NaN",
    "inf",
    "",
    " ",
    "\x00",
    "null",
    "[]",
    "{}",
    "9" * 5000,
    "2026-02-30",
    "2026-13-45T25:61",
    "../../etc/passwd",
    "<x/>",
    "%(name)s",
    "{{ 7 * 7 }}",
    "' OR 1=1 --",
    "yes",
    "true",
]
MALFORMED = st.one_of(
    st.sampled_from(NASTY),
    st.text(st.characters(blacklist_categories=["Cs"]), max_size=40),  # any encodable text
    st.integers().map(str),
)
#: Every query-string key a view or a template reads, found in their source.
QUERY_KEYS = sorted(
    {
        key
        for source in [*WEBUI.glob("*.py"), *WEBUI.glob("templates/**/*.html")]
        for key in re.findall(r"""(?:args|values)\.get\(\s*["']([^"']+)["']""", source.read_text())
    }
)
QUALIFICATION = {"kind": "complaint", "category": "billing", "remedy_wanted": "refund"}
QUALIFY_FIELDS = list(
    parse_form_definition(
        (PROJECT_ROOT / "forms" / "qualify_complaint.json").read_text(), "qualify_complaint.json"
    ).keys()
)
FUZZ = settings(
    derandomize=True,  # the same examples on every run
    database=None,  # nothing written to disk
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def values_for(keys) -> st.SearchStrategy[MultiDict]:
    """Some of ``keys`` (and one unknown key) each with one or two malformed values."""
    pairs = st.lists(st.tuples(st.sampled_from([*keys, "unknown"]), MALFORMED), max_size=6)
    return pairs.map(MultiDict)


def server_errors(answers) -> list:
    return [(what, answer.status_code) for what, answer in answers if answer.status_code >= 500]


def test_query_keys_are_found_in_the_source():
    assert {"page", "q", "from", "source", "next"} <= set(QUERY_KEYS)


@pytest.fixture
def fuzzed_site(app, site, uow):
    """The site, an admin's browser, and the qualification task waiting for its form."""
    services.complete_task(site["task_id"], {"submission_complete": True}, "alice", uow())
    qualify = task_id(uow, site["reference"], QUALIFY)
    form = services.task_form_context(qualify, "alice", uow(), with_data=False)["form"]
    return site, signed_in(app), qualify, [f.key for f in form.fields]


@settings(FUZZ, max_examples=10)  # each example goes to every page
@given(query=values_for(QUERY_KEYS))
@example(query=MultiDict(dict.fromkeys(QUERY_KEYS, "\x00")))  # PostgreSQL stores no NUL
@example(query=MultiDict(dict.fromkeys(QUERY_KEYS, HUGE)))
def test_no_query_string_on_any_page_gives_a_server_error(app, fuzzed_site, query):
    site, browser, _task, _fields = fuzzed_site
    pages = [r for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint != "static"]

    answers = [
        (path, browser.client.get(path, query_string=query))
        for path in (path_of(rule, site) for rule in pages)
    ]

    assert server_errors(answers) == []


@settings(FUZZ, max_examples=50)
@given(form=values_for(list(COMPLAINT_FIELDS)))
@example(form=MultiDict({**ANA, "customer_name": "Ana\x00Martin", "consent": "yes"}))
def test_no_portal_form_gives_a_server_error(client, organisation, form):
    customer = Browser(client)

    answer = customer.post("/portal/", form)

    assert answer.status_code < 500


@settings(FUZZ, max_examples=50)
@given(form=values_for(QUALIFY_FIELDS))
@example(form=MultiDict({**QUALIFICATION, "product": "Box\x00", "subject": "a\x00b"}))
def test_no_task_form_gives_a_server_error(fuzzed_site, form):
    _site, browser, qualify, fields = fuzzed_site
    assert fields == QUALIFY_FIELDS

    answer = browser.post(f"/tasks/{qualify}", form)

    assert answer.status_code < 500


STUDIO_FILES = [
    "evaluation.bpmn",
    "priority.dmn",
    "forms/qualify_complaint.json",
    "policy.toml",
    "messages/fr/acknowledgement.txt",
    "notes.exe",
    "../policy.toml",
]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | MALFORMED,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)
STUDIO_FORM_KEYS = ["text", "source_hash", "new", "action"]
SAVE_BODIES = st.one_of(
    st.fixed_dictionaries({}, optional={"text": JSON, "source_hash": JSON, "new": JSON}),
    JSON,
)


@settings(FUZZ, max_examples=40)
@given(name=st.sampled_from(STUDIO_FILES), body=SAVE_BODIES)
@example(name="priority.dmn", body={"text": "<definitions id='a'/>"})  # no DMN namespace
@example(name="priority.dmn", body={"text": "\ufeff<definitions id='a'/>"})
@example(name="evaluation.bpmn", body=[1, 2])  # JSON that is not an object
@example(name="evaluation.bpmn", body="x")
@example(name="evaluation.bpmn", body=float("inf"))  # the body 1e999
@example(name="forms/qualify_complaint.json", body={"text": '{"fields": []}\x00'})
def test_no_json_sent_to_the_studio_save_gives_a_server_error(fuzzed_site, name, body):
    _site, browser, _task, _fields = fuzzed_site

    answer = browser.client.post(
        f"/studio/files/{name}",
        data=json.dumps(body),
        content_type="application/json",
        headers={"X-CSRFToken": browser.token},
    )

    assert answer.status_code < 500


@settings(FUZZ, max_examples=40)
@given(
    name=st.sampled_from(STUDIO_FILES), form=values_for(["text", "source_hash", "new", "action"])
)
@example(name="priority.dmn", form=MultiDict({"text": "<definitions id='a'/>"}))
def test_no_form_sent_to_the_studio_save_gives_a_server_error(fuzzed_site, name, form):
    _site, browser, _task, _fields = fuzzed_site

    answer = browser.post(f"/studio/files/{name}", form)

    assert answer.status_code < 500
