"""Browser fixtures: Debian's Chromium driven by Playwright against Django's live server,
with the real Celery worker and the platform emulator of the end-to-end tests.

Chromium comes from the ``chromium`` Debian package (``scripts/test`` installs it); no
browser is downloaded. Screenshots of every step go to ``test-artifacts/browser/``.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import (  # noqa: F401 - fixtures shared with the e2e tests
    e2e,
    e2e_worker,
    emulator,
    media_root,
    redis_url,
)

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"
SCREENSHOTS = REPO / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}
ACTION_TIMEOUT_MS = 10_000
PASSWORD = "browser-test-Passw0rd"
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


def _unavailable(reason: str) -> None:
    """Skip on a laptop without a browser; fail in CI, where the browser must be there."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="package")
def chromium_browser() -> Iterator[object]:
    """One headless Chromium for the browser tests; stopped when they are done."""
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if executable is None:
        _unavailable("browser tests need Debian's chromium (scripts/test installs it)")
    try:
        from playwright import sync_api
    except ImportError:
        _unavailable("browser tests need playwright (pip install -r requirements-dev.txt)")
    # Playwright's sync API keeps an event loop running in this thread; Django refuses
    # ORM calls from such a thread unless told it is safe (it is: the loop is idle).
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=executable, headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@dataclass
class Shots:
    """Numbered screenshots of one test's steps in ``test-artifacts/browser/``."""

    prefix: str
    count: int = 0

    def __call__(self, page, step: str, *, full_page: bool = True) -> Path:
        self.count += 1
        path = ARTIFACTS / f"{self.prefix}-{self.count:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture
def shots(request) -> Shots:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    return Shots(name)


@pytest.fixture
def admin_user(transactional_db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser(
        "browser-admin", "browser-admin@example.com", PASSWORD
    )


@pytest.fixture
def admin_page(
    chromium_browser, live_server, admin_user, shots
) -> Iterator[Callable[[str], object]]:
    """``admin_page("ru-RU")``: a logged-in admin page in a browser speaking that locale."""
    contexts = []

    def open_page(locale: str):
        context = chromium_browser.new_context(locale=locale, viewport=VIEWPORT)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(ACTION_TIMEOUT_MS)
        page.goto(f"{live_server.url}/admin/login/?next=/admin/")
        page.fill("#id_username", admin_user.username)
        page.fill("#id_password", PASSWORD)
        shots(page, "login")
        page.click("input[type=submit]")
        page.wait_for_selector("#user-tools")
        return page

    yield open_page
    for context in contexts:
        context.close()


def reload_until(page, check: Callable[[], object], *, timeout: float, message) -> object:
    """Reload ``page`` until ``check()`` is truthy; fail with ``message`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(message() if callable(message) else message)
        page.wait_for_timeout(300)  # polling interval between reloads
        page.reload(wait_until="domcontentloaded")
