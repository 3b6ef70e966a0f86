"""Browser journeys: Playwright driving Debian's Chromium against pytest-django's live server."""

import json
import os
import re
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from django.core.servers.basehttp import WSGIServer
from django.db import connections
from django.test.testcases import LiveServerThread

from tests.e2e.axe_staff_exceptions import STAFF_EXCEPTIONS, AxeException

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests
# make between page actions are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE_SOURCE = (ROOT / "node_modules" / "axe-core" / "axe.min.js").read_text()
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
BLOCKING_IMPACTS = {"serious", "critical"}


class _OneRequestAtATimeServer(WSGIServer):
    """The live server without a thread per request (and so with ``Connection: close``).

    On SQLite the test database is in memory, and the live server shares the tests' one
    connection. Django's threaded live server would use it from several threads at once
    when the browser loads a page and its assets in parallel; sqlite3 then fails ("bad
    parameter or other API misuse"), which showed up as a session that could not be read
    and a resident or officer suddenly signed out.
    """

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)


if connections["default"].vendor == "sqlite":
    LiveServerThread.server_class = _OneRequestAtATimeServer


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@contextmanager
def _chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run ./scripts/ensure-chromium.sh")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            # Playwright runs an event loop in this thread, and while it runs Django hands
            # out context-local database connections: close them before the loop stops.
            connections.close_all()
            browser.close()


@pytest.fixture
def browser():
    """A browser for one test. Function-scoped on purpose: Playwright's event loop must
    start after pytest-django has set up (and restored) the database for the test."""
    with _chromium() as browser:
        yield browser


class AxeViolations(AssertionError):
    pass


def check_accessibility(
    page, *, exclude: tuple[str, ...] = (), exceptions: tuple[AxeException, ...] = ()
) -> list[dict]:
    """Run axe-core (from npm, no network) and fail on serious or critical violations.

    ``exceptions`` waive one rule on the elements matching one selector (and nothing else):
    the staff pages' list of what is inside Wagtail itself (``axe_staff_exceptions``).
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    context = {"exclude": [[sel] for sel in exclude]} if exclude else None
    results = page.evaluate(
        """async ([context, WCAG_TAGS, exceptions]) => {
            const results = await axe.run(context || document, {
                runOnly: {type: 'tag', values: WCAG_TAGS},
                resultTypes: ['violations'],
            });
            const element = (target) => {
                // The last selector of a target names the element (earlier ones are frames).
                let selector = target[target.length - 1];
                if (Array.isArray(selector)) selector = selector[selector.length - 1];
                try { return document.querySelector(selector); } catch (e) { return null; }
            };
            const waived = (rule, node) => {
                const el = element(node.target);
                return !!el && exceptions.some(([id, sel]) => id === rule && el.matches(sel));
            };
            results.violations = results.violations
                .map((v) => ({...v, nodes: v.nodes.filter((n) => !waived(v.id, n))}))
                .filter((v) => v.nodes.length);
            return results;
        }""",
        [
            context,
            ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"],
            [[e.rule, e.selector] for e in exceptions],
        ],
    )
    blocking = [v for v in results["violations"] if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        summary = [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"][:5]],
            }
            for v in blocking
        ]
        raise AxeViolations(f"{page.url}\n{json.dumps(summary, indent=2)}")
    return results["violations"]


def is_staff_page(url: str) -> bool:
    """The Wagtail admin (``/admin/``): checked like every other page, with its own exceptions."""
    return re.sub(r"^https?://[^/]+", "", url).startswith("/admin/")


class Journey:
    """A page that checks accessibility on every page it lands on, and collects console errors."""

    def __init__(self, page, base_url: str):
        self.page = page
        self.base_url = base_url
        self.visited: list[str] = []
        self.console_errors: list[str] = []
        page.on(
            "console",
            lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None,
        )

    def goto(self, path: str):
        response = self.page.goto(self.base_url + path)
        self.check()
        return response

    def check(self):
        self.page.wait_for_load_state("load")
        # Colour contrast is only meaningful once fades and transitions have finished.
        self.page.evaluate(
            "() => Promise.all(document.getAnimations().map((a) => a.finished.catch(() => null)))"
        )
        self.visited.append(self.page.url)
        check_accessibility(self.page, exceptions=STAFF_EXCEPTIONS if is_staff_page(self.page.url) else ())

    def click_and_check(self, locator):
        with self.page.expect_navigation():
            locator.click()
        self.check()

    def path(self) -> str:
        return re.sub(r"^https?://[^/]+", "", self.page.url)


@pytest.fixture
def journey(live_server, transactional_db):
    with _chromium() as browser:
        context = browser.new_context(base_url=live_server.url, locale="en-GB", reduced_motion="reduce")
        page = context.new_page()
        page.set_default_timeout(15_000)
        journey = Journey(page, live_server.url)
        yield journey
        context.close()
    csp = [e for e in journey.console_errors if "Content Security Policy" in e]
    assert not csp, f"CSP violations in the browser console: {csp}"
