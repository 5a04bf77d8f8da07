"""Shared fixtures: factories live in tests/factories.py."""

from __future__ import annotations

import pytest
import responses as responses_lib


@pytest.fixture
def mocked_responses():
    """Every HTTP request must match a registered stub, and every stub must be called.

    A stub that is never called fails the test at teardown: it means the code did not
    make the request the test expected. A test whose stubs are legitimately optional
    uses ``lenient_responses`` instead, with a comment saying why.
    """
    with responses_lib.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


@pytest.fixture
def lenient_responses():
    """Like ``mocked_responses`` but stubs may go uncalled (each use says why)."""
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
