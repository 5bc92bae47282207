"""Ada, the administrator, manages who may sign in and with which roles; every change is audited."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cli.main import main as cli_main
from engine import services
from engine.db.models import AuditEvent
from engine.services import accounts
from tests.test_web_support import PASSWORD, Browser, text

pytest_plugins = ["tests.test_web_support"]

NEW_PASSWORD = "correct horse battery"


@pytest.fixture
def ada(organisation, uow):
    """The administrator, signed in."""
    services.create_user("ada", ["admin"], uow(), display_name="Ada Lovelace", password=PASSWORD)


@pytest.fixture
def admin(browser, ada):
    browser.login("ada")
    return browser


def system_trail(database) -> list[tuple[str, str, dict]]:
    with database.unit_of_work(read_only=True) as check:
        rows = check.session.scalars(
            select(AuditEvent).where(AuditEvent.chain == "system").order_by(AuditEvent.seq)
        )
        return [(e.kind, e.actor, e.data) for e in rows]


def test_ada_sees_everyone_with_their_roles(admin):
    page = text(admin.get("/admin/users"))

    assert '<a href="/admin/users" aria-current="page">Utilisateurs</a>' in page  # her menu
    assert "<td>Alice Martin</td>" in page and "<td>Agent</td>" in page
    assert "<td>Audrey Leroux</td>" in page and "<td>Auditeur</td>" in page


@pytest.mark.parametrize("person", ["alice", "sam", "quinn", "olivia", "audrey"])
def test_nobody_else_manages_users(browser, ada, person):
    browser.login(person)

    assert "/admin/users" not in text(browser.get("/"))
    assert browser.get("/admin/users").status_code == 403
    assert browser.post("/admin/users", {"username": "mallory"}).status_code == 403


def test_a_person_ada_adds_signs_in_to_their_roles_inbox(admin, browser, uow, database):
    page = admin.post(
        "/admin/users",
        {
            "username": "bob",
            "display_name": "Bob Durand",
            "roles": ["agent"],
            "password": NEW_PASSWORD,
        },
    )
    assert "Bob Durand peut maintenant se connecter avec l&#39;identifiant « bob »." in text(page)
    admin.logout()

    inbox = browser.login("bob", NEW_PASSWORD)

    assert inbox.request.path == "/" and "Mes tâches" in text(inbox)
    assert ("user_created", "ada", {"user": "bob", "roles": ["agent"]}) in system_trail(database)


def test_a_new_person_needs_a_long_enough_password_a_free_name_and_a_role(admin, uow):
    page = admin.post(
        "/admin/users",
        {"username": "alice", "display_name": "Alice Bis", "password": "short"},
    )

    assert page.status_code == 422
    assert "Cet identifiant est déjà pris." in text(page)
    assert "Au moins 10 caractères." in text(page)
    assert "Donnez au moins un rôle." in text(page)
    assert 'value="Alice Bis"' in text(page)  # what she typed is kept
    assert accounts.find_user("alice", uow()).display_name == "Alice Martin"


def test_ada_changes_alices_roles(admin, uow, database):
    admin.post("/admin/users/alice/roles", {"roles": ["agent", "quality"]})

    alice = accounts.get_user("alice", uow())
    assert alice.roles == ("agent", "quality")
    assert alice.may_work_in("Qualité")
    assert (
        "user_roles_changed",
        "ada",
        {"user": "alice", "from": ["agent"], "to": ["agent", "quality"]},
    ) in system_trail(database)


def test_ada_cannot_remove_her_own_admin_role(admin, uow):
    page = admin.post("/admin/users/ada/roles", {"roles": ["agent"]})

    assert page.status_code == 409
    assert "Vous ne pouvez pas retirer votre propre rôle d&#39;administrateur" in text(page)
    assert accounts.get_user("ada", uow()).roles == ("admin",)


def test_ada_cannot_deactivate_herself(admin, uow):
    page = admin.post("/admin/users/ada/active", {"active": "no"})

    assert page.status_code == 409
    assert "Vous ne pouvez pas désactiver votre propre compte" in text(page)
    assert accounts.get_user("ada", uow()) is not None


def test_a_deactivated_person_is_signed_out_and_cannot_sign_in(app, admin, uow, database):
    alice = Browser(app.test_client())
    assert alice.login("alice").request.path == "/"

    admin.post("/admin/users/alice/active", {"active": "no"})

    assert alice.get("/").request.path == "/login"  # her next request: signed out
    assert alice.login("alice").status_code == 401
    assert ("user_deactivated", "ada", {"user": "alice"}) in system_trail(database)


def test_a_reactivated_person_signs_in_again(admin, browser, uow):
    admin.post("/admin/users/alice/active", {"active": "no"})
    admin.post("/admin/users/alice/active", {"active": "yes"})
    admin.logout()

    assert browser.login("alice").request.path == "/"


def test_ada_resets_a_forgotten_password(admin, browser, database):
    admin.post("/admin/users/sam/password", {"password": NEW_PASSWORD})
    admin.logout()

    assert browser.login("sam", PASSWORD).status_code == 401
    assert browser.login("sam", NEW_PASSWORD).request.path == "/"
    trail = system_trail(database)
    assert ("password_reset", "ada", {"user": "sam"}) in trail
    assert NEW_PASSWORD not in str(trail)


def test_a_short_new_password_is_refused(admin, browser):
    page = admin.post("/admin/users/sam/password", {"password": "abc"})
    admin.logout()

    assert page.status_code == 422
    assert "Au moins 10 caractères." in text(page)
    assert browser.login("sam").request.path == "/"


def test_an_unknown_person_gives_a_not_found_page(admin):
    assert admin.get("/admin/users/nobody").status_code == 404


# --- the same from the command line (when no administrator can sign in) ----------------------


@pytest.fixture
def doleance(settings, organisation, monkeypatch):
    """Run a ``doleance`` command against the test database."""
    monkeypatch.setenv("DOLEANCE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("DOLEANCE_INSTANCE_DIR", str(settings.instance_dir))
    runner = CliRunner()
    return lambda *args, **kwargs: runner.invoke(cli_main, list(args), **kwargs)


def test_an_operator_manages_users_from_the_command_line(doleance, browser, uow, database):
    roles = doleance("user", "roles", "alice", "--role", "agent", "--role", "supervisor")
    password = doleance("user", "password", "alice", input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    off = doleance("user", "deactivate", "sam")
    listed = doleance("user", "list")

    assert roles.output == "user alice now has role(s) agent, supervisor\n"
    assert password.exit_code == 0 and "password of alice changed" in password.output
    assert off.output == "user sam deactivated\n"
    assert "alice\tagent,supervisor\tactive\tAlice Martin" in listed.output
    assert "sam\tsupervisor\tdeactivated\tSamuel Roy" in listed.output
    assert browser.login("alice", NEW_PASSWORD).request.path == "/"
    assert ("user_deactivated", "cli", {"user": "sam"}) in system_trail(database)


def test_a_short_password_on_the_command_line_is_one_line_of_error(doleance):
    result = doleance("user", "password", "alice", "--password", "short")

    assert result.exit_code == 1
    assert result.output.startswith("error: a password has at least 10 characters")
