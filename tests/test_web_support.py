"""What the web tests share: the app on the real processes, people who sign in, a browser.

This module holds fixtures and helpers only (no tests); the ``test_web_*`` modules import them.
"""

from __future__ import annotations

import dataclasses
import re
from functools import partial
from typing import Any

import pytest
from werkzeug.security import generate_password_hash

from engine import services
from engine.config import PROJECT_ROOT
from engine.services import accounts, read_deployment_files
from tests.journeys.desk import WEB_COMPLAINT
from webui import create_app

PASSWORD = "demo"
FAST_HASH = "pbkdf2:sha256:1000"
PEOPLE = [
    ("alice", "Alice Martin", "agent"),
    ("sam", "Samuel Roy", "supervisor"),
    ("quinn", "Quitterie Noël", "quality"),
    ("olivia", "Olivia Petit", "process_owner"),
    ("audrey", "Audrey Leroux", "auditor"),
]
CHECK, QUALIFY = "Vérifier la saisie web", "Qualifier la demande"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(settings, database):
    return create_app(
        {
            "TESTING": True,
            "DOLEANCE_DATABASE_URL": settings.database_url,
            "DOLEANCE_INSTANCE_DIR": str(settings.instance_dir),
        }
    )


@pytest.fixture
def organisation(uow, monkeypatch):
    """The real processes, forms and policy deployed, and one person per role (password demo).

    Passwords are hashed with a cheap method here so that each test does not spend a second
    on scrypt; checking them goes through the same werkzeug code.
    """
    monkeypatch.setattr(
        accounts, "generate_password_hash", partial(generate_password_hash, method=FAST_HASH)
    )
    services.ensure_builtin_roles(uow())
    files = read_deployment_files(PROJECT_ROOT / "processes", PROJECT_ROOT / "forms")
    services.deploy_version(files, "process-owner", uow())
    for username, name, role in PEOPLE:
        services.create_user(username, [role], uow(), display_name=name, password=PASSWORD)


@pytest.fixture
def file_complaint(organisation, uow):
    """The customer files a complaint on the portal; returns its reference."""

    def file(**changes: Any) -> str:
        data = {**WEB_COMPLAINT, **changes}
        return services.start_instance("complaint", data, "portal", uow()).reference

    return file


class Browser:
    """A person at a web browser: reads pages, follows redirects, posts forms with their token."""

    def __init__(self, client):
        self.client = client
        self.token = ""

    def get(self, path: str, **kwargs):
        response = self.client.get(path, follow_redirects=True, **kwargs)
        self._remember_token(response)
        return response

    def post(self, path: str, data: dict | None = None, follow: bool = True):
        if not self.token:
            self.get("/login")
        response = self.client.post(
            path, data={**(data or {}), "csrf_token": self.token}, follow_redirects=follow
        )
        self._remember_token(response)
        return response

    def login(self, username: str, password: str = PASSWORD):
        return self.post("/login", {"username": username, "password": password})

    def logout(self):
        return self.post("/logout")

    def _remember_token(self, response) -> None:
        found = _CSRF.search(response.get_data(as_text=True))
        if found:
            self.token = found.group(1)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def browser(client):
    return Browser(client)


def small_pages(app, monkeypatch, size: int = 2) -> None:
    """Lists on screen show ``size`` rows a page (DOLEANCE_PAGE_SIZE) for this test."""
    settings = dataclasses.replace(app.config["DOLEANCE_SETTINGS"], page_size=size)
    monkeypatch.setitem(app.config, "DOLEANCE_SETTINGS", settings)


def task_id(uow, reference: str, name: str) -> str:
    """The id of the ready task called ``name`` on complaint ``reference``."""
    (task,) = [t for t in services.list_tasks(uow(), reference=reference) if t.name == name]
    return task.id


def text(response) -> str:
    return response.get_data(as_text=True)
