"""Every kind of page passes axe-core's RGAA (WCAG 2.1 A and AA) rules: none has a serious or
critical finding. Each person opens the pages of their role on the demo data, and each page is
audited once its scripts have drawn it (the diagram of the studio, the path of the trace).

Every other browser test is audited too, page after page (see ``accessibility.py``): this test
makes sure that each kind of page is among them.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from tests.browser.accessibility import AccessibilityWatch, Finding, audit
from tests.browser.conftest import sign_in


def test_no_page_has_a_serious_accessibility_problem(new_page, live_instance):
    findings: dict[str, list[Finding]] = {}

    def check(page: Page, name: str) -> None:
        findings[name] = audit(page)

    customer = new_page()
    customer.goto("/portal/")
    check(customer, "portal")
    customer.goto(live_instance.tracking_link)
    expect(customer.get_by_role("button", name="Envoyer mon avis")).to_be_visible()
    check(customer, "tracking, with its questionnaire")
    customer.goto("/portal/policy")
    check(customer, "policy")
    customer.goto("/login")
    check(customer, "login")

    agent = new_page()
    sign_in(agent, "alice")
    expect(agent.locator("table.tasks tbody tr").first).to_be_visible()
    check(agent, "inbox")
    agent.locator("table.tasks tbody tr td:nth-child(2) a").first.click()
    expect(agent.get_by_role("button", name="Terminer la tâche")).to_be_visible()
    check(agent, "task")
    agent.locator("p.crumbs a[href*='/complaints/REC-']").click()
    expect(agent.get_by_role("heading", name="Historique")).to_be_visible()
    check(agent, "complaint file")
    agent.goto("/complaints/new")
    check(agent, "new complaint")

    supervisor = new_page()
    sign_in(supervisor, "sam")
    supervisor.goto("/overview")
    check(supervisor, "overview")
    supervisor.goto("/outbox")
    check(supervisor, "outbox")

    owner = new_page()
    sign_in(owner, "olivia")
    owner.goto("/studio/")
    check(owner, "studio")
    owner.goto("/studio/files/complaint.bpmn")
    expect(owner.locator("#canvas g.djs-element").first).to_be_attached()
    check(owner, "diagram editor")

    auditor = new_page()
    sign_in(auditor, "audrey")
    auditor.goto("/audit/?stage=Clôturée")
    check(auditor, "trace search")
    auditor.locator("main table a[href*='/audit/REC-']").first.click()
    expect(auditor.locator("#trace-canvas[data-trace-ready='true']")).to_be_visible()
    check(auditor, "trace of a complaint")

    admin = new_page()
    sign_in(admin, "admin")
    admin.goto("/admin/users")
    check(admin, "users")

    assert len(findings) == 15
    problems = [f"{name}: {finding}" for name, found in findings.items() for finding in found]
    assert not problems, "\n".join(problems)


#: Two pages the browser gets at once, without the server: the first breaks two rules, no
#: language (serious) and an image without a text (critical); the second breaks none.
PAGES = {
    "/broken": "<!doctype html><html><head><title>Broken</title></head><body><main>"
    "<img src='/static/favicon.svg'></main></body></html>",
    "/next": "<!doctype html><html lang='fr'><head><title>Suite</title></head><body><main>"
    "<h1>Suite</h1></main></body></html>",
}


def test_a_page_left_at_once_is_audited_before_the_browser_leaves_it(chromium, live_server):
    context = chromium.new_context(base_url=live_server)
    context.route(
        lambda url: urlsplit(url).path in PAGES,
        lambda route: route.fulfill(
            content_type="text/html", body=PAGES[urlsplit(route.request.url).path]
        ),
    )
    watch = AccessibilityWatch(context)  # its route comes first: it holds the navigation
    page = context.new_page()
    try:
        page.goto("/broken")
        page.goto("/next")  # at once, before the audit of /broken has had time to end

        problems = watch.finish()
    finally:
        context.close()

    assert {(finding.url.rsplit("/", 1)[-1], finding.rule) for finding in watch.findings} == {
        ("broken", "html-has-lang"),
        ("broken", "image-alt"),
    }
    assert len(problems) == 2 and watch.reports == 2
