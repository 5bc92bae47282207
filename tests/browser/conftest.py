"""Browser tests: Playwright drives Debian's Chromium against a live `doleance serve`.

The server runs in its own process on 127.0.0.1 with a fresh SQLite database (a fresh
PostgreSQL schema when ``DOLEANCE_TEST_DATABASE_URL`` is set), the real processes and the
demo data (people with password ``demo``, complaints at every stage); its scheduler is on, as
in production.
Screenshots of each step go to ``ci-artifacts/screenshots/`` (kept by CI, never committed).

``make test`` installs Chromium first (``make browser``); without it these tests fail and say
how to install it.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page
from sqlalchemy import text

from engine.config import PROJECT_ROOT
from engine.db import create_database_engine
from tests.browser.accessibility import AccessibilityWatch, fail_on
from tests.conftest import _postgres_url

CHROMIUM = os.environ.get("DOLEANCE_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = PROJECT_ROOT / "ci-artifacts" / "screenshots"
PASSWORD = "demo"
DEMO_COMPLAINTS = 12  # two at each stage of the demo


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: run `make browser` (apt-get install chromium), "
            "or point DOLEANCE_CHROMIUM at a Chromium executable"
        )
    return CHROMIUM


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def live_database_url(tmp_path_factory):
    """The live server's own database: SQLite, or a fresh PostgreSQL schema (dropped at the
    end) when ``DOLEANCE_TEST_DATABASE_URL`` is set, as for the rest of the suite."""
    base = os.environ.get("DOLEANCE_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path_factory.mktemp('live-db') / 'doleance.db'}"
        return
    schema_name = f"live_{uuid.uuid4().hex[:8]}"
    admin = create_database_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema_name}"'))
    yield _postgres_url(base, schema_name)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema_name}" CASCADE'))
    admin.dispose()


@dataclass(frozen=True)
class LiveInstance:
    url: str
    tracking_link: str  # of the demo complaint that waits for its customer's opinion


@pytest.fixture(scope="session")
def live_instance(tmp_path_factory, chromium_path, live_database_url):
    """A running Doléance with the real processes and the demo data.

    ``doleance demo`` creates one person per role (password ``demo``) and complaints at every
    stage, so that pages have something to show, and prints the tracking link of a complaint
    whose customer's opinion is awaited.
    """
    instance = tmp_path_factory.mktemp("live")
    port = _free_port()
    env = {
        **os.environ,
        "DOLEANCE_INSTANCE_DIR": str(instance),
        "DOLEANCE_DATABASE_URL": live_database_url,
        "DOLEANCE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "DOLEANCE_SECRET_KEY": "browser-tests",
    }
    env.pop("DOLEANCE_SMTP_URL", None)
    doleance = [str(Path(sys.executable).parent / "doleance")]
    subprocess.run([*doleance, "init"], env=env, check=True, capture_output=True)
    demo = subprocess.run(
        [*doleance, "demo", "--complaints", str(DEMO_COMPLAINTS)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert demo.returncode == 0, demo.stderr
    tracking_link = re.search(r"\S+/portal/track/\S+", demo.stdout)
    assert tracking_link, f"no tracking link in the demo's output: {demo.stdout}"
    log = (instance / "server.log").open("w")
    server = subprocess.Popen(
        [*doleance, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=1)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"the server did not start: {(instance / 'server.log').read_text()}")
            time.sleep(0.2)
    yield LiveInstance(url, tracking_link.group())
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="session")
def live_server(live_instance) -> str:
    """The URL of the live server."""
    return live_instance.url


@pytest.fixture(scope="session")
def chromium(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=["--headless", "--no-sandbox"]
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(chromium, live_server):
    """Open a fresh browser context (its own cookies) per person; closed after the test.

    axe-core audits every page of these contexts (:mod:`tests.browser.accessibility`): a
    serious or critical finding on any page the test visited fails the test when it ends.
    """
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)  # assertions wait as long as actions do
    opened = []

    def open_page(locale: str = "fr-FR", width: int = 1360, height: int = 860):
        context = chromium.new_context(
            base_url=live_server, locale=locale, viewport={"width": width, "height": height}
        )
        opened.append((context, AccessibilityWatch(context)))
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_page
    try:
        fail_on([problem for _, watch in opened for problem in watch.finish()])
    finally:
        for context, _ in opened:
            context.close()


@pytest.fixture
def screenshot(request):
    """Save a screenshot (of the whole page unless told) named after the test and the step."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 100))

    def take(page, step: str, full_page: bool = True) -> Path:
        path = SCREENSHOTS / f"{request.node.name}-{next(counter):02d}-{step}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")


def choose(page: Page | Locator, question: str, option: str) -> None:
    """Tick ``option`` among the radio buttons of ``question`` (a fieldset and its legend)."""
    page.get_by_role("group", name=question).get_by_label(option).check()


def fill_in_the_complaint_form(page: Page, documents: Sequence[Path] = ()) -> None:
    """Ana Martin's complaint about a subscription billed twice, on the portal's form."""
    page.get_by_label("Vos prénom et nom").fill("Ana Martin")
    page.get_by_label("Votre adresse e-mail").fill("ana.martin@example.org")
    page.get_by_label("Objet de votre réclamation").fill("Abonnement facturé deux fois")
    page.get_by_label("Que s'est-il passé ?").fill(
        "Ma facture de novembre compte deux fois l'abonnement."
    )
    page.get_by_label("Produit, service ou contrat concerné").fill("Box Internet")
    page.get_by_label("Votre réclamation concerne").select_option(label="Facturation")
    page.get_by_label("Ce que vous souhaitez obtenir").select_option(label="Remboursement")
    choose(page, "Souhaitez-vous que nous traitions votre demande ?", "Oui")
    page.get_by_label("Vos justificatifs").set_input_files(list(documents))
    page.locator("input[name=consent]").check()
