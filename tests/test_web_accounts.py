"""People sign in with their password; every page checks who they are and what role they have."""

from __future__ import annotations

from engine.services import accounts
from tests.test_web_support import text

pytest_plugins = ["tests.test_web_support"]


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, organisation):
    response = client.get("/")

    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_alice_signs_in_and_lands_on_her_inbox(browser, organisation):
    page = browser.login("alice")

    assert page.request.path == "/"
    assert "Bienvenue, Alice Martin." in text(page)
    assert "Mes tâches" in text(page)


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(browser, organisation):
    page = browser.login("alice", "not-the-password")

    assert page.status_code == 401
    assert "Identifiant ou mot de passe incorrect." in text(page)
    assert browser.get("/").request.path == "/login"


def test_signing_out_ends_the_session(browser, organisation):
    browser.login("alice")

    browser.logout()

    assert browser.get("/").request.path == "/login"


def test_after_login_alice_goes_back_to_the_page_she_asked_for(browser, organisation):
    browser.get("/complaints/REC-2026-999999")

    page = browser.post(
        "/login?next=/complaints/REC-2026-999999", {"username": "alice", "password": "demo"}
    )

    assert page.request.path == "/complaints/REC-2026-999999"


def test_login_never_redirects_to_another_site(browser, organisation):
    page = browser.post("/login?next=//evil.example/", {"username": "alice", "password": "demo"})

    assert page.request.path == "/"


def test_the_session_cookie_is_http_only_and_same_site_lax(browser, organisation):
    response = browser.client.post(
        "/login", data={"username": "alice", "password": "demo", "csrf_token": _token(browser)}
    )

    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_a_post_without_its_csrf_token_is_refused(client, organisation):
    response = client.post("/login", data={"username": "alice", "password": "demo"})

    assert response.status_code == 400
    assert "Le formulaire a expiré" in text(response)


def test_an_agent_cannot_open_the_operator_overview(browser, organisation):
    browser.login("alice")

    assert browser.get("/overview").status_code == 403


def test_an_auditor_starts_on_the_overview(browser, organisation):
    page = browser.login("audrey")

    assert page.request.path == "/overview"
    assert "Versions déployées" in text(page)


def test_the_health_check_needs_no_login(client, organisation):
    assert client.get("/healthz").get_json() == {"status": "ok", "deployed_versions": 1}


def test_a_user_view_knows_its_lanes(organisation, uow):
    alice = accounts.authenticate("alice", "demo", uow())

    assert alice.roles == ("agent",)
    assert alice.may_work_in("Accueil")
    assert not alice.may_work_in("Qualité")
    assert accounts.authenticate("alice", "wrong", uow()) is None
    assert accounts.authenticate("nobody", "demo", uow()) is None


def _token(browser) -> str:
    browser.get("/login")
    return browser.token


def test_every_page_but_login_and_health_asks_who_you_are(app, client, organisation):
    public = {"auth.login", "auth.logout", "overview.health", "static", "i18n.choose_language"}
    pages = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in public and not rule.endpoint.startswith("portal.")
    ]

    for rule in pages:
        path = rule.build({arg: "1" for arg in rule.arguments}, append_unknown=False)[1]
        response = client.get(path) if "GET" in rule.methods else client.post(path)
        expected = 302 if "GET" in rule.methods else 400  # a POST first fails its CSRF check
        assert response.status_code == expected, rule
        assert getattr(app.view_functions[rule.endpoint], "roles", None) or rule.rule == "/", rule
