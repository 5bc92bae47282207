"""axe-core over every page the browser tests visit (RGAA 4, i.e. WCAG 2.1 AA).

axe-core comes from npm (pinned in package-lock.json, installed into ``node_modules`` by
``make setup``); the application never serves it. Each browser context of the tests gets it,
with ``accessibility.js``, as init scripts, which the pages' Content-Security-Policy does not
apply to.

Every document audits itself once it has loaded and its scripts have settled, and reports to
:class:`AccessibilityWatch`. A navigation of the main frame waits for the report of the page it
leaves, and the test's end waits for the pages still open, so no page goes unchecked however
fast the test moves on. :func:`audit` checks a page again as it is now (after a diagram has
been drawn, say). Serious and critical findings fail the test.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Route

from engine.config import PROJECT_ROOT

AXE_SCRIPT = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
HOOK_SCRIPT = Path(__file__).with_name("accessibility.js")
BLOCKING_IMPACTS = ("serious", "critical")
REPORT_TIMEOUT_S = 20  # a page's report, at most: the audit of the diagram editor takes longest


@dataclass(frozen=True)
class Finding:
    """One axe-core rule that a page breaks, with the elements that break it."""

    url: str
    rule: str
    impact: str
    summary: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        where = ", ".join(self.targets[:5]) + (" …" if len(self.targets) > 5 else "")
        return f"{self.url}: {self.rule} ({self.impact}): {self.summary} — {where}"


def blocking_findings(url: str, violations: list[dict]) -> list[Finding]:
    """The serious and critical ones among the violations ``accessibility.js`` reports."""
    return [
        Finding(url, v["rule"], v["impact"], v["summary"], tuple(v["targets"]))
        for v in violations
        if v["impact"] in BLOCKING_IMPACTS
    ]


def audit(page: Page) -> list[Finding]:
    """The serious and critical axe-core findings on the page as it is now."""
    return blocking_findings(page.url, page.evaluate("() => window.doleanceAudit()"))


class AccessibilityWatch:
    """Collects the audit of every document of a browser context (see the module's text)."""

    def __init__(self, context: BrowserContext):
        if not AXE_SCRIPT.exists():
            pytest.fail(f"no axe-core at {AXE_SCRIPT}: run `make setup` (npm ci installs it)")
        self.findings: list[Finding] = []
        self.failures: list[str] = []
        self.reports = 0
        self._awaited: set[Page] = set()  # pages whose document has not reported yet
        self._context = context
        context.expose_binding("doleanceAccessibilityReport", self._report)
        context.add_init_script(path=str(AXE_SCRIPT))
        context.add_init_script(path=str(HOOK_SCRIPT))
        context.on("page", self._watch)
        context.route("**/*", self._before_request)

    def _watch(self, page: Page) -> None:
        page.on("domcontentloaded", lambda: self._expect_report(page))

    def _expect_report(self, page: Page) -> None:
        """A new document: it reports once it has loaded (blank pages are not audited)."""
        if page.url.startswith(("http://", "https://")):
            self._awaited.add(page)

    def _report(self, source: dict, report: dict) -> None:
        page = source["page"]
        self._awaited.discard(page)
        self.reports += 1
        if "error" in report:
            self.failures.append(f"{page.url}: axe-core failed: {report['error']}")
        else:
            self.findings.extend(blocking_findings(page.url, report["violations"]))

    def _before_request(self, route: Route) -> None:
        request = route.request
        if request.is_navigation_request() and request.frame.parent_frame is None:
            self._wait_for_report(request.frame.page)
        route.fallback()

    def _wait_for_report(self, page: Page) -> None:
        deadline = time.monotonic() + REPORT_TIMEOUT_S
        while page in self._awaited and not page.is_closed():
            if time.monotonic() > deadline:
                self._awaited.discard(page)
                self.failures.append(f"{page.url}: no axe-core report in {REPORT_TIMEOUT_S} s")
                return
            page.wait_for_timeout(20)

    def finish(self) -> list[str]:
        """Wait for the pages still open; returns every finding and failed audit, as text."""
        for page in self._context.pages:
            self._wait_for_report(page)
        return [*map(str, self.findings), *self.failures]


def fail_on(problems: list[str]) -> None:
    if problems:
        pytest.fail(
            "accessibility (axe-core): serious or critical findings\n"
            + "\n".join(f"  {problem}" for problem in problems),
            pytrace=False,
        )
