"""The live server answers a real browser, in French and in English."""

from tests.browser.conftest import sign_in


def test_an_agent_signs_in_and_sees_the_inbox(new_page, screenshot):
    page = new_page()
    sign_in(page, "alice")
    page.wait_for_selector("h1")
    screenshot(page, "inbox")
    assert page.inner_text("h1") == "Mes tâches"
    assert page.get_attribute("html", "lang") == "fr"
