"""Customers file and follow complaints on their phones, supervisors open the inbox on tablets:
no page makes them scroll sideways (WCAG 2.1's reflow, 1.4.10). The inbox's table may scroll
within itself, as data tables do, but the page does not.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import fill_in_the_complaint_form, sign_in

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 768, "height": 1024}


def sideways_scroll(page: Page) -> int:
    """How many pixels the page is wider than the window (0 when it fits)."""
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


def test_every_customer_page_fits_a_phone(new_page, live_instance, screenshot):
    overflows: dict[str, int] = {}

    def look_at(page: Page, name: str) -> None:
        overflows[name] = sideways_scroll(page)
        screenshot(page, f"phone-{name}")

    phone = new_page(**PHONE)
    phone.goto("/portal/")
    look_at(phone, "portal-form")
    phone.get_by_role("button", name="Envoyer ma réclamation").click()
    expect(phone.locator("#form-errors")).to_be_visible()
    look_at(phone, "portal-form-errors")
    fill_in_the_complaint_form(phone)
    phone.get_by_role("button", name="Envoyer ma réclamation").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Votre réclamation est enregistrée")
    look_at(phone, "confirmation")
    phone.locator("#tracking-link").click()
    expect(phone.locator("[aria-current=step]")).to_be_visible()
    look_at(phone, "tracking")
    phone.goto("/portal/filed")
    look_at(phone, "confirmation-gone")

    phone.goto(live_instance.tracking_link)
    questionnaire = phone.locator("section.questionnaire")
    expect(questionnaire).to_be_visible()
    look_at(phone, "questionnaire")
    questionnaire.get_by_role("button", name="Envoyer mon avis").click()
    expect(phone.locator("section.questionnaire [role=alert]")).to_be_visible()
    look_at(phone, "questionnaire-errors")

    for path, name in [
        ("/portal/policy", "policy"),
        ("/portal/track", "tracking-help"),
        ("/portal/track/not-a-tracking-link", "unknown-tracking-link"),
        ("/portal/no-such-page", "page-not-found"),
    ]:
        phone.goto(path)
        look_at(phone, name)

    too_wide = {name: px for name, px in overflows.items() if px > 0}
    assert not too_wide, f"pages wider than a phone, by so many pixels: {too_wide}"


def test_the_inbox_fits_a_tablet(new_page, screenshot):
    tablet = new_page(**TABLET)
    sign_in(tablet, "sam")
    expect(tablet.locator("table.tasks tbody tr").first).to_be_visible()
    screenshot(tablet, "tablet-inbox")

    assert sideways_scroll(tablet) == 0, "the inbox is wider than a tablet"
    first_action = tablet.locator("table.tasks tbody tr td:last-child button").first
    expect(first_action).to_be_in_viewport()  # the actions column stays in sight
