"""Shared fixtures: factories live in tests/factories.py."""

from __future__ import annotations

import ipaddress
import socket

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


# The names the test webhooks use, answered with public addresses so the SSRF guard
# passes them. No test reaches these addresses: requests are stubbed with ``responses``.
PUBLIC_TEST_HOSTS = {
    "hook.eu1.make.com": ["52.58.1.2"],
    "hooks.zapier.com": ["54.86.1.2"],
    # Where test tasks keep their own pictures (the worker downloads them, guarded).
    "cdn.quiz.example.com": ["93.184.215.14"],
}


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch):
    """A resolver at the DNS boundary (``socket.getaddrinfo``): tests never ask real DNS.

    A name in the table answers its addresses (a test may add or change names:
    ``fake_dns["name"] = ["addr", ...]``); an address literal or ``localhost`` is
    resolved as usual (no DNS involved); any other name does not exist.
    """
    answers: dict[str, list[str]] = {k: list(v) for k, v in PUBLIC_TEST_HOSTS.items()}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name in answers:
            return [
                (
                    socket.AF_INET6 if ":" in address else socket.AF_INET,
                    socket.SOCK_STREAM,
                    socket.IPPROTO_TCP,
                    "",
                    (address, port, 0, 0) if ":" in address else (address, port),
                )
                for address in answers[name]
            ]
        if name is None or name == "localhost" or _is_address(name):
            return real(host, port, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name.split("%")[0])
    except ValueError:
        return False
    return True


@pytest.fixture(autouse=True)
def _isolated_settings(request, settings, tmp_path):
    # The SSRF guard runs in every test. A test that must reach loopback (the emulator,
    # a local server) opts out with @pytest.mark.allow_private_urls and says why.
    opted_out = request.node.get_closest_marker("allow_private_urls") is not None
    settings.ALLOW_PRIVATE_WEBHOOK_URLS = opted_out
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
    from social_media.platforms.registry import PLATFORMS

    for platform in PLATFORMS.values():
        small = tuple(small_spec(spec) for spec in platform.media_requirements)
        monkeypatch.setattr(platform, "media_requirements", small)


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
