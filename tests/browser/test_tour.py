"""Each audience's main page in a real browser, on the demo data.

These steps also make the pictures of the README (`docs/screenshots/`): copy them from
``ci-artifacts/screenshots/`` after a run when the pages change.
"""

import re

from playwright.sync_api import expect

from tests.browser.conftest import sign_in


def test_an_agent_sees_a_living_inbox_and_a_complaint_file(new_page, screenshot):
    page = new_page()
    sign_in(page, "alice")

    rows = page.locator("table.tasks tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 5
    screenshot(page, "inbox", full_page=False)

    rows.first.locator("td").first.get_by_role("link").click()
    expect(page.locator("h1")).to_contain_text("REC-")
    expect(page.get_by_role("heading", name="Historique")).to_be_visible()
    screenshot(page, "complaint-file", full_page=False)


def test_a_process_owner_opens_a_diagram_in_the_modeler_and_saves_it(new_page, screenshot):
    page = new_page()
    sign_in(page, "olivia")
    page.goto("/studio/")
    screenshot(page, "studio-home")

    page.goto("/studio/files/complaint.bpmn")
    expect(page.locator("#canvas .djs-container")).to_be_visible()
    expect(page.locator("#canvas g.djs-element").first).to_be_attached()
    expect(page.locator(".bjs-powered-by")).to_be_visible()  # bpmn.io's licence watermark
    assert page.locator("#canvas g.djs-shape").count() > 20
    screenshot(page, "studio-modeler", full_page=False)

    page.click("#save-diagram")
    expect(page.locator("#save-status")).to_have_class(re.compile("save-status-ok"))


def test_an_auditor_sees_the_path_of_a_closed_complaint_on_its_diagram(new_page, screenshot):
    page = new_page()
    sign_in(page, "audrey")
    page.goto("/audit/?stage=Clôturée")
    screenshot(page, "audit-search")

    page.locator("main table a[href*='/audit/REC-']").first.click()
    canvas = page.locator("#trace-canvas[data-trace-ready='true']")
    expect(canvas).to_be_visible()
    canvas.scroll_into_view_if_needed()
    expect(page.locator("#trace-chain .trace-chain-ok")).to_be_visible()
    assert page.locator("#trace-canvas g.djs-element.trace-done").count() >= 5
    assert page.locator("#trace-canvas g.djs-connection.trace-flow").count() >= 4
    screenshot(page, "audit-trace", full_page=False)
