"""Every response tells the browser to run only this site's scripts and styles; failed sign-ins
are limited; cookies stay on HTTPS when the site is served over it."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from engine import services
from tests.test_web_support import PASSWORD, Browser, text
from webui import create_app
from webui.security import relax_policy

pytest_plugins = ["tests.test_web_support"]

TEMPLATES = Path(__file__).parent.parent / "webui" / "templates"
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)
INLINE = {
    "inline script": re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE),
    "event handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE),
    "javascript: link": re.compile(r"javascript:", re.IGNORECASE),
}


@pytest.mark.parametrize("path", ["/login", "/", "/nowhere", "/healthz"])
def test_every_response_carries_the_security_headers(client, organisation, path):
    response = client.get(path)

    assert response.headers["Content-Security-Policy"] == POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_a_signed_in_page_carries_the_policy_too(browser, organisation):
    page = browser.login("alice")

    assert page.headers["Content-Security-Policy"] == POLICY


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: p.name)
def test_no_template_has_inline_script_or_style(template):
    source = template.read_text(encoding="utf-8")

    found = [what for what, pattern in INLINE.items() if pattern.search(source)]

    assert found == [], f"{template.relative_to(TEMPLATES)}: {', '.join(found)}"


def test_a_page_can_relax_one_directive_for_itself(app, client):
    def diagram_editor():
        relax_policy(style_src_attr="'unsafe-inline'")
        return "editor"

    app.add_url_rule("/editor", view_func=diagram_editor)

    relaxed = client.get("/editor").headers["Content-Security-Policy"]
    strict = client.get("/login").headers["Content-Security-Policy"]

    assert relaxed == POLICY + "; style-src-attr 'unsafe-inline'"
    assert strict == POLICY


# --- failed sign-ins ----------------------------------------------------------------------------

ATTACKER, OFFICE, HOME = "203.0.113.9", "198.51.100.20", "192.0.2.44"


def at(app, address: str) -> Browser:
    """Someone at a browser whose requests come from ``address``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return Browser(client)


def test_five_failed_sign_ins_make_the_next_try_wait_even_with_the_right_password(
    app, organisation
):
    guesser = at(app, ATTACKER)
    for _attempt in range(5):
        assert guesser.login("alice", "guess").status_code == 401

    refused = guesser.login("alice", PASSWORD)

    assert refused.status_code == 429
    assert "Trop de tentatives de connexion ont échoué" in text(refused)
    assert "(dans 30 s), même avec le bon mot de passe" in text(refused)
    assert refused.headers["Retry-After"] == "30"
    assert guesser.get("/").request.path == "/login"  # not signed in


def test_the_account_still_signs_in_from_another_address(app, organisation):
    for _attempt in range(6):
        at(app, ATTACKER).login("alice", "guess")

    assert at(app, HOME).login("alice").request.path == "/"


def test_colleagues_behind_the_same_address_still_sign_in(app, organisation):
    office = at(app, OFFICE)
    for _attempt in range(6):
        office.login("alice", "guess")

    assert office.login("sam").request.path == "/"


def test_waits_double_with_each_failure_up_to_a_quarter_of_an_hour(app):
    throttle = app.extensions["doleance_sign_ins"]

    assert [throttle.wait_after(n) for n in range(1, 8)] == [30, 60, 120, 240, 480, 900, 900]


def test_a_failure_after_the_wait_makes_the_next_wait_longer(app, organisation):
    app.config["LOGIN_FIRST_WAIT_SECONDS"] = 1
    guesser = at(_rebuilt(app), ATTACKER)
    for _attempt in range(5):
        guesser.login("alice", "guess")
    time.sleep(1.1)  # the first wait passes

    assert guesser.login("alice", "guess").status_code == 401
    assert guesser.login("alice", PASSWORD).headers["Retry-After"] == "2"


def test_once_the_wait_is_over_the_right_password_signs_in(app, organisation):
    app.config["LOGIN_FIRST_WAIT_SECONDS"] = 1
    alice = at(_rebuilt(app), OFFICE)
    for _attempt in range(5):
        alice.login("alice", "guess")
    time.sleep(1.1)

    assert alice.login("alice").request.path == "/"


def test_guesses_spread_over_many_addresses_slow_the_account_down_everywhere(app, organisation):
    for guesser in ("203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"):
        for _attempt in range(5):
            at(app, guesser).login("alice", "guess")

    refused = at(app, HOME).login("alice", PASSWORD)

    assert refused.status_code == 429
    assert at(app, HOME).login("sam").request.path == "/"  # other accounts are not slowed


def test_one_address_alone_never_slows_the_account_down_for_everyone(app, organisation):
    app.config["LOGIN_FIRST_WAIT_SECONDS"] = 0  # no waits: the guesser tries as fast as he can
    rebuilt = _rebuilt(app)
    guesser = at(rebuilt, ATTACKER)
    for _attempt in range(60):
        assert guesser.login("alice", "guess").status_code == 401

    assert at(rebuilt, HOME).login("alice").request.path == "/"


def test_an_address_trying_many_accounts_waits_except_for_people_known_there(app, organisation):
    app.config["LOGIN_FREE_FAILURES_PER_ADDRESS"] = 3
    office = _rebuilt(app)
    quinn = at(office, OFFICE)
    quinn.login("quinn")
    quinn.logout()
    guesser = at(office, OFFICE)
    for name in ("alice", "sam", "olivia"):
        assert guesser.login(name, "guess").status_code == 401

    assert at(office, OFFICE).login("audrey", PASSWORD).status_code == 429
    assert at(office, OFFICE).login("quinn").request.path == "/"  # signed in here before
    assert at(office, HOME).login("audrey").request.path == "/overview"  # signed in


def test_fifty_failures_from_an_office_do_not_lock_its_people_out(app, organisation, uow):
    for account in range(10):
        services.create_user(f"user{account}", ["agent"], uow(), password=PASSWORD)
    colleague = at(app, OFFICE)
    colleague.login("quinn")
    colleague.logout()
    guesser = at(app, OFFICE)
    for account in range(10):
        for _attempt in range(5):
            assert guesser.login(f"user{account}", "guess").status_code == 401

    assert at(app, OFFICE).login("quinn").request.path == "/"


def test_a_successful_sign_in_clears_its_failures(app, organisation):
    alice = at(app, OFFICE)
    for _round in range(3):
        for _attempt in range(4):
            assert alice.login("alice", "typo").status_code == 401
        assert alice.login("alice").request.path == "/"
        alice.logout()


def test_the_limit_can_be_turned_off(app, organisation):
    app.config["RATELIMIT_ENABLED"] = False
    browser = Browser(_rebuilt(app).test_client())

    for _attempt in range(11):
        browser.login("alice", "guess")

    assert browser.login("alice").request.path == "/"


def _rebuilt(app):
    """The same app built again with the configuration changed in the test."""
    overrides = {k: v for k, v in app.config.items() if k.startswith(("LOGIN_", "RATELIMIT_"))}
    settings = app.config["DOLEANCE_SETTINGS"]
    return create_app(
        {
            "TESTING": True,
            "DOLEANCE_DATABASE_URL": settings.database_url,
            "DOLEANCE_INSTANCE_DIR": str(settings.instance_dir),
            **overrides,
        }
    )


# --- cookies and shared counters ---------------------------------------------------------------


def test_cookies_are_secure_when_the_site_is_served_over_https(settings, database):
    app = create_app(
        {
            "DOLEANCE_DATABASE_URL": settings.database_url,
            "DOLEANCE_INSTANCE_DIR": str(settings.instance_dir),
            "DOLEANCE_PUBLIC_URL": "https://reclamations.example.org",
            "DOLEANCE_RATELIMIT_STORAGE_URL": "memory://shared",
        }
    )

    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://shared"


def test_cookies_work_over_plain_http_for_a_local_run(app):
    assert not app.config.get("SESSION_COOKIE_SECURE")
