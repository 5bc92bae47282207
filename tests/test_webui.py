"""The web app starts on the same database and shows what is deployed, waiting and running."""

from __future__ import annotations

import pytest

from engine import services
from webui import create_app


@pytest.fixture
def client(settings, database):
    app = create_app(
        {
            "TESTING": True,
            "DOLEANCE_DATABASE_URL": settings.database_url,
            "DOLEANCE_INSTANCE_DIR": str(settings.instance_dir),
            "WTF_CSRF_ENABLED": False,  # about what the overview shows, not about forms
        }
    )
    return app.test_client()


def test_the_overview_lists_versions_waiting_tasks_and_complaints(deployed, uow, client):
    reference = services.start_instance("claim", {"amount": 1}, "alice", uow()).reference
    services.create_user("olivia", ["process_owner"], uow(), password="demo")
    client.post("/login", data={"username": "olivia", "password": "demo"})

    page = client.get("/overview").get_data(as_text=True)

    assert "claim, fragile" in page
    assert "Review the claim" in page
    assert reference in page


def test_health_reports_deployed_versions(deployed, client):
    assert client.get("/healthz").get_json() == {"status": "ok", "deployed_versions": 1}
