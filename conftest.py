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


SMALL_MEDIA_FACTOR = 5


def small_spec(spec):
    """A platform's spec scaled down (same kind, format, shape and limits), so renders are fast."""
    from dataclasses import replace

    width = max(64, spec.width // SMALL_MEDIA_FACTOR // 2 * 2)
    height = max(64, spec.height // SMALL_MEDIA_FACTOR // 2 * 2)
    if spec.kind != "video":
        return replace(spec, width=width, height=height)
    return replace(spec, width=width, height=height, min_duration=None, max_duration=2.0)


@pytest.fixture(autouse=True)
def _small_media(request, monkeypatch):
    """Platforms ask for small media in tests (a 216×384, 2 s video, not 1080×1920 for 15 s).

    ``@pytest.mark.full_media`` keeps the real specs. The end-to-end worker, a separate
    process, always uses the real ones.
    """
    if request.node.get_closest_marker("full_media"):
        return
    from social_media.platforms import PLATFORMS

    for platform in PLATFORMS.values():
        small = tuple(small_spec(spec) for spec in platform.media_requirements)
        monkeypatch.setattr(platform, "media_requirements", small)
