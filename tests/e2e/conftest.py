"""Browser tests: Playwright for Python driving Debian's Chromium headless against
pytest-django's ``live_server`` (a transactional database; on SQLite the flush passes the
evidence guard triggers thanks to tests/conftest.py).

Chromium cannot be downloaded here (``playwright install``), so the system one is launched
with ``executable_path``. Without it, or without Playwright, every test in this folder is
skipped with the reason. Screenshots go to ``$E2E_ARTIFACTS`` or, by default, to
``<pytest basetemp>/e2e-artifacts``.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# The desk and staff of the workspace tests: the same users (collector_li, legal_zhao,
# manager_chen, password "pw") and the same estate, built through the services.
from tests.workflows.conftest import Desk, ensure_builtin_templates, staff

__all__ = ["desk", "staff"]


@pytest.fixture
def desk(staff) -> Desk:
    """The workspace tests' desk without their frozen clock: Chromium is another process and
    judges cookie expiry by the real clock, so the live server runs on it too (every date of
    the desk is relative to that one today; CI leaves the journeys out of the faketime runs)."""
    ensure_builtin_templates()
    return Desk(staff)


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
TIMEOUT_MS = 15_000


def browser_missing() -> str:
    """Why the browser tests cannot run here ("" when they can)."""
    if importlib.util.find_spec("playwright") is None:
        return "browser tests need Playwright for Python (pip install playwright)"
    if not CHROMIUM.exists():
        return f"browser tests need Debian's Chromium at {CHROMIUM} (apt install chromium)"
    return ""


@pytest.fixture(scope="package")
def browser() -> Iterator:
    """One headless Chromium for the browser tests of this folder.

    Playwright's sync API keeps an asyncio loop *running* in this thread while it is
    started. Two things follow for Django, which sees a running loop:

    - its ORM refuses to run (``SynchronousOnlyOperation``), even though every call here
      is synchronous: ``DJANGO_ALLOW_ASYNC_UNSAFE`` allows it;
    - ``django.db.connections`` switches from thread-local to context-local storage and
      would hand out *new* connection objects — without the test database's serialized
      contents, and left open at the end. The thread's own connections are put back into
      that storage, so the tests, their flush and the live server (in-memory SQLite
      shares the one connection) all use the same ones.

    Package scope, not session: the loop, and the environment variable, end with the last
    test of this folder, so tests that run after these ones see neither.
    """
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    from django.db import connections
    from playwright.sync_api import sync_playwright

    own = {alias: connections[alias] for alias in connections}
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            for alias, connection in own.items():
                connections[alias] = connection
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            try:
                yield chromium
            finally:
                chromium.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture(scope="session")
def artifacts_dir(tmp_path_factory) -> Path:
    folder = Path(
        os.environ.get("E2E_ARTIFACTS") or tmp_path_factory.getbasetemp() / "e2e-artifacts"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _new_page(browser, request, artifacts_dir: Path, viewport: dict):
    context = browser.new_context(
        viewport=viewport, locale="en-US", accept_downloads=True, device_scale_factor=1
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        shot = artifacts_dir / f"{request.node.name}-failed.png"
        try:
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot of the failure: {shot}")
        except Exception as exc:  # the page may be gone; the failure itself matters more
            print(f"no screenshot of the failure: {exc}")
    context.close()


@pytest.fixture
def page(browser, request, artifacts_dir, live_server) -> Iterator:
    """A fresh browser context (no cookies) with a desktop viewport."""
    yield from _new_page(browser, request, artifacts_dir, DESKTOP)


@pytest.fixture
def phone_page(browser, request, artifacts_dir, live_server) -> Iterator:
    """A fresh browser context with a phone-sized viewport (390×844)."""
    yield from _new_page(browser, request, artifacts_dir, PHONE)


@pytest.fixture
def url(live_server) -> Callable[[str], str]:
    return lambda path: f"{live_server.url}{path}"


@pytest.fixture
def login(url) -> Callable:
    """``login(page, username, password)``: through the login form, as a person would;
    returns once the browser has left the login page."""

    def log_in(page, username: str, password: str = "pw") -> None:
        page.goto(url("/accounts/login/"))
        page.locator("input[name=username]").fill(username)
        page.locator("input[name=password]").fill(password)
        with page.expect_navigation():
            page.locator("button.vf-page-lockscreen__sidebar-content-action").click()
        assert "/accounts/login/" not in page.url, f"{username} could not log in"

    return log_in


@pytest.fixture
def screenshot(request, artifacts_dir) -> Callable:
    """``screenshot(page)``: a full-page PNG named after the test; asserts it was written
    and returns its path."""

    def take(page, suffix: str = "") -> Path:
        path = artifacts_dir / f"{request.node.name}{suffix}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.exists() and path.stat().st_size > 0, path
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path
        request.node.user_properties.append(("screenshot", str(path)))
        print(f"screenshot: {path}")
        return path

    return take
