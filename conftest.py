"""Shared fixtures: factories live in tests/factories.py."""

from __future__ import annotations

import pytest
import responses as responses_lib


@pytest.fixture
def mocked_responses():
    """Every HTTP request must be matched by a registered response."""
    with responses_lib.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture(autouse=True)
def _isolated_settings(settings, tmp_path):
    settings.ALLOW_PRIVATE_WEBHOOK_URLS = True
    settings.SOCIAL_MEDIA_RETRY_DELAYS = [30, 120, 600]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Throttle counters live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """A test-client request leaves its language active in the thread (LocaleMiddleware
    never deactivates): start and end each test in the default language."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


# --- Hermetic environment and PostgreSQL-only tests ------------------------------------------
# (quiz_backend/hermetic.py builds the environment; this block only reports and skips.)


def pytest_report_header(config):
    from quiz_backend import hermetic

    return hermetic.report()


def pytest_collection_modifyitems(config, items):
    """``@pytest.mark.postgres`` tests skip, with the reason, on any other database."""
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" in engine:
        return
    skip = pytest.mark.skip(
        reason=f"needs PostgreSQL (the test database is {engine.rsplit('.', 1)[-1]}; "
        "set TEST_DATABASE_URL=postgres://…, as scripts/test does)"
    )
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip)
