"""Fixtures for the tests that break things: real PostgreSQL, real Redis, real workers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kombu import pools as kombu_pools

from emulator.testing import InProcessEmulator
from quiz_backend.celery import _configure as configure_celery
from quiz_backend.celery import app as celery_app
from tests.factories import PinterestCredentialsFactory
from tests.reliability.helpers import CeleryProcess, MediaServer, RedisServer, celery_env


@pytest.fixture
def emulator(settings) -> Iterator[InProcessEmulator]:
    """The platform emulator in a thread; this process's Pinterest API is its ``/pinterest/v5``.

    No callback URL: a Make.com hook accepts deliveries and never calls back, so webhook
    posts stay *processing* unless a test says otherwise.
    """
    with InProcessEmulator() as emu, MediaServer(Path(settings.MEDIA_ROOT)) as media:
        settings.PINTEREST_API_BASE_URL = emu.pinterest_url
        settings.MEDIA_PUBLIC_URL = media.url  # the emulator downloads what it is sent
        yield emu


@pytest.fixture
def pinterest(emulator):
    """An active Pinterest credential whose API is the emulator."""
    return PinterestCredentialsFactory()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.stop()


def _reset_producer_pools() -> None:
    """Drop pooled broker connections so the next publish uses the current settings."""
    kombu_pools.reset()
    # Private pools, absent from celery-types' stubs.
    celery_app._pool = None  # type: ignore[attr-defined]
    celery_app.amqp._producer_pool = None  # type: ignore[attr-defined]


@pytest.fixture
def live_broker(settings) -> Iterator[Callable[[str], None]]:
    """Make this test process publish to a real broker instead of running tasks eagerly.

    The app is configured by the production code path (``_configure``) for the
    given URL, so the broker options under test are the ones a deployment gets.
    """
    keys = ("broker_url", "broker_transport_options", "task_always_eager")
    saved = {key: celery_app.conf[key] for key in keys}

    def use(url: str) -> None:
        settings.CELERY_BROKER_URL = url
        settings.CELERY_TASK_ALWAYS_EAGER = False
        configure_celery(celery_app)
        _reset_producer_pools()

    yield use
    celery_app.conf.update(saved)
    _reset_producer_pools()


@pytest.fixture
def start_celery(tmp_path, transactional_db) -> Iterator[Callable[..., CeleryProcess]]:
    """Start ``celery -A quiz_backend worker`` / ``beat`` against the test database."""
    started: list[CeleryProcess] = []

    def start(kind: str, broker_url: str, **env: str) -> CeleryProcess:
        environment = celery_env(broker_url=broker_url, **env)
        if kind == "worker":
            args = ["worker", "--pool=prefork", "-c", "2", "--loglevel=INFO", "--without-gossip"]
            args += ["--without-mingle", "--without-heartbeat", "-n", f"rel{len(started)}@%h"]
        else:
            args = ["beat", "--loglevel=INFO", "-s", str(tmp_path / f"beat-{len(started)}")]
        process = CeleryProcess(args, environment, tmp_path / f"{kind}-{len(started)}.log")
        started.append(process)
        process.wait_for("ready." if kind == "worker" else "beat: Starting...", timeout=60)
        return process

    yield start
    for process in reversed(started):
        process.stop()
