"""Every response tells the browser to run only this site's scripts and styles; failed sign-ins
are limited; cookies stay on HTTPS when the site is served over it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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


def test_ten_failed_sign_ins_lock_the_account_even_for_the_right_password(browser, organisation):
    for _attempt in range(10):
        assert browser.login("alice", "guess").status_code == 401

    locked = browser.login("alice", PASSWORD)

    assert locked.status_code == 429
    assert "Trop de tentatives de connexion ont échoué" in text(locked)
    assert int(locked.headers["Retry-After"]) > 0
    assert browser.get("/").request.path == "/login"  # not signed in


def test_a_lock_on_one_account_leaves_the_others_open(browser, organisation):
    for _attempt in range(10):
        browser.login("alice", "guess")

    assert browser.login("sam").request.path == "/"


def test_successful_sign_ins_do_not_count(browser, organisation):
    for _attempt in range(12):
        assert browser.login("alice").request.path == "/"
        browser.logout()


def test_one_address_trying_many_accounts_is_stopped(app, organisation):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "3 per 15 minutes"
    browser = Browser(_rebuilt(app).test_client())

    for name in ("alice", "sam", "quinn"):
        assert browser.login(name, "guess").status_code == 401

    assert browser.login("audrey", "guess").status_code == 429


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
