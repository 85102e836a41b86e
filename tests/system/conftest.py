"""Fixtures for the browser tier: headless Chromium driven by Playwright's sync API.

The tier skips when Playwright or Chromium is missing, except in CI (CI=true) or with
TWINTAG_REQUIRE_BROWSER=1, where a missing browser fails the run instead: CI must never
silently skip it. TWINTAG_CHROMIUM points at another Chromium binary.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPORTS_DIR = Path(__file__).resolve().parents[2] / "reports" / "browser"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Runs in every document before the page's own scripts; reports CSP violations to Python.
CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', (e) => {
  window.__twintagCspViolation({
    directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber,
  });
});
"""


def browser_required() -> bool:
    """True where a missing browser must fail the run rather than skip it."""
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("TWINTAG_REQUIRE_BROWSER") == "1"


def missing_browser_tools() -> tuple[str, list[str]]:
    """Return the Chromium path and what is missing to run it under Playwright (empty when nothing)."""
    chromium = os.environ.get("TWINTAG_CHROMIUM") or DEFAULT_CHROMIUM
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package is not importable")
    if not (os.path.isfile(chromium) and os.access(chromium, os.X_OK)):
        missing.append(f"no Chromium executable at {chromium}")
    return chromium, missing


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The Chromium binary to drive; skips (or fails where required) when the tools are missing."""
    chromium, missing = missing_browser_tools()
    if missing:
        message = (f"browser tier skipped: {'; '.join(missing)}; "
                   "install with: apt-get install -y chromium and pip install playwright")
        if browser_required():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return chromium


@pytest.fixture(scope="session")
def browser(chromium_path):
    """One headless Chromium for the session (checked before any live stack is started)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class PageProblems:
    """What went wrong inside the page: console errors, uncaught exceptions, CSP violations."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[dict] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.console_errors or self.page_errors or self.csp_violations)

    def __str__(self) -> str:
        return (f"console errors: {self.console_errors}\nuncaught errors: {self.page_errors}\n"
                f"CSP violations: {self.csp_violations}")


@pytest.fixture
def page_problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def page(browser, page_problems):
    """A fresh context and page (its own sessionStorage) that records everything the page complains about."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(10_000)
    context.expose_function("__twintagCspViolation", lambda violation: page_problems.csp_violations.append(violation))
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.on("console", lambda msg: msg.type == "error" and page_problems.console_errors.append(
        f"{msg.text} @ {msg.location.get('url', '')}"))
    page.on("pageerror", lambda error: page_problems.page_errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failing browser test: keep a screenshot of the page and attach the live stack's logs."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    page = item.funcargs.get("page")
    if page is not None and not page.is_closed():
        from playwright.sync_api import Error as PlaywrightError

        REPORTS_DIR.mkdir(parents=True, exist_ok=True)
        shot = REPORTS_DIR / f"failure-{item.name.replace('/', '_')}.png"
        try:
            page.screenshot(path=str(shot), full_page=True)
            report.sections.append(("browser", f"screenshot of the failing page: {shot}"))
        except PlaywrightError as exc:  # the page may be what broke
            report.sections.append(("browser", f"no screenshot: {exc}"))
    stack = item.funcargs.get("live_stack")
    if stack is not None:
        report.sections.append(("live stack logs", stack.logs()))
