"""Every error a person can cause reads as one line they can act on: a setting the engine cannot
use, a folder that is not there, a refusal on a page that expected none."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli.main import main as doleance
from engine import services
from engine.errors import DoleanceError, InvalidInput

pytest_plugins = ["tests.test_web_support"]


def test_a_setting_the_engine_cannot_use_is_one_line_of_the_command(monkeypatch, settings):
    monkeypatch.setenv("DOLEANCE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("DOLEANCE_PAGE_SIZE", "many")

    result = CliRunner().invoke(doleance, ["tasks"])

    assert result.exit_code == 1
    assert result.output.strip() == (
        "error: DOLEANCE_PAGE_SIZE must be a whole number above zero, not 'many'"
    )


def test_a_missing_process_folder_is_a_domain_error(tmp_path):
    with pytest.raises(DoleanceError, match="does not exist"):
        services.read_deployment_files(tmp_path / "nowhere", tmp_path / "forms")


def test_a_refusal_no_page_expected_reads_as_a_refusal_not_a_server_error(app, client):
    def refusing():
        raise InvalidInput("the period starts after it ends")

    app.add_url_rule("/refusing", view_func=refusing)
    page = client.get("/refusing")

    assert page.status_code == 400
    assert "the period starts after it ends" in page.get_data(as_text=True)


def test_an_unknown_address_of_the_portal_gets_the_portals_own_page(client, organisation):
    page = client.get("/portal/no-such-page")

    assert page.status_code == 404
    body = page.get_data(as_text=True)
    assert 'aria-label="Espace client"' in body  # the customers' header, not the staff's
    assert "<h1>Introuvable</h1>" in body and "existe pas" in body


def test_an_unknown_staff_address_keeps_the_staff_page(client, organisation):
    page = client.get("/no-such-page")

    assert page.status_code == 404
    assert 'aria-label="Espace client"' not in page.get_data(as_text=True)
