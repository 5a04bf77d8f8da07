"""End-to-end fixtures: the platform emulator in a thread, Django's live server for the
callbacks, and a real Celery worker on Redis sharing the test database.

The worker and the emulator start once per session; every test resets the emulator.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.conf import settings as django_settings
from kombu import pools as kombu_pools

from emulator.testing import InProcessEmulator
from quiz_backend.celery import _configure as configure_celery
from quiz_backend.celery import app as celery_app
from quiz_backend.hermetic import database_url, subprocess_environ
from social_media.platforms.spec import local_run_settings

REPO = Path(__file__).resolve().parents[2]
CALLBACK_PATH = "/api/webhooks/social-media-callback/"
WORKER_ARGS = (
    "worker",
    "--pool=threads",
    "--concurrency=4",
    "--loglevel=INFO",
    "--without-gossip",
    "--without-mingle",
    "--without-heartbeat",
    "--hostname=e2e@%h",
)
REDIS_ARGS = ("--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no")
HTTP_TIMEOUT = 2  # the worker's SOCIAL_MEDIA_HTTP_TIMEOUT: "timeout" faults stall longer
VIDEO_SECONDS = 5  # full-size (1080×1920) videos, kept short: each render is CPU time


def wait_until(
    check: Callable[[], Any], *, timeout: float, message: str | Callable[[], str]
) -> Any:
    """Poll ``check`` until it returns something truthy; fail with ``message`` otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(message() if callable(message) else message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A private ``redis-server`` for this session's broker.

    Several test sessions may run at once on one machine; on a shared Redis
    database their workers would take each other's messages.
    """
    executable = shutil.which("redis-server")
    if executable is None:
        fallback = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/11"
        if not _redis_answers(int(urlsplit(fallback).port or 6379)):
            pytest.skip("end-to-end tests need redis-server (or a Redis at TEST_REDIS_URL)")
        yield fallback
        return
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [executable, "--port", str(port), *REDIS_ARGS],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: _redis_answers(port), timeout=10, message="redis-server did not start")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def emulator() -> Iterator[InProcessEmulator]:
    """The platform emulator on a free loopback port, in a thread of this process."""
    with InProcessEmulator(callback_delay=0.3) as emu:
        yield emu


@pytest.fixture(scope="session")
def media_root(tmp_path_factory) -> Path:
    """Where the worker stores renders and the live server serves them from."""
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def e2e_worker(
    django_db_setup,
    emulator: InProcessEmulator,
    redis_url: str,
    tmp_path_factory,
    live_server,
    media_root: Path,
) -> Iterator[Path]:
    """``celery -A quiz_backend worker`` on Redis, reading and writing the test database.

    It renders media into ``media_root`` with public URLs on the live server, which
    serves them (``tests/e2e/urls.py``) to the emulator.
    """
    database = django_settings.DATABASES["default"]
    if "postgresql" not in database["ENGINE"]:
        pytest.skip("end-to-end tests need PostgreSQL (TEST_DATABASE_URL=postgres://…)")
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    env = subprocess_environ(
        {
            "DATABASE_URL": database_url(database),
            "CELERY_BROKER_URL": redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "PINTEREST_API_BASE_URL": f"{emulator.url}/pinterest/v5",
            "FACEBOOK_GRAPH_API_BASE_URL": f"{emulator.url}/facebook/v26.0",
            "PINTEREST_PIN_URL": f"{emulator.url}/pin/{{id}}/",
            # The platforms that declare their local-run values (Setting.local).
            **local_run_settings(emulator.url),
            "ALLOW_PRIVATE_WEBHOOK_URLS": "true",
            "SOCIAL_MEDIA_RETRY_DELAYS": "1,1,1",
            "SOCIAL_MEDIA_HTTP_TIMEOUT": str(HTTP_TIMEOUT),
            "SITE_URL": django_settings.SITE_URL,
            "MEDIA_ROOT": str(media_root),
            "MEDIA_PUBLIC_URL": f"{live_server.url}/media/",
            "QUIZ_MEDIA_VIDEO_SECONDS": str(VIDEO_SECONDS),
            "LOG_DIR": str(tmp_path_factory.mktemp("worker-logs")),
        },
        PYTHONUNBUFFERED="1",
    )
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [sys.executable, "-m", "celery", "-A", "quiz_backend", *WORKER_ARGS],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until(
                lambda: "ready." in log_path.read_text() or process.poll() is not None,
                timeout=60,
                message=lambda: f"the worker did not start:\n{log_path.read_text()[-3000:]}",
            )
            assert process.poll() is None, f"the worker exited:\n{log_path.read_text()[-3000:]}"
            yield log_path
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _reset_producer_pools() -> None:
    # kombu keeps pools in a global registry keyed by connection: closing one pool
    # without clearing the registry hands the next test a closed pool.
    kombu_pools.reset()
    # Private pools, absent from celery-types' stubs.
    celery_app._pool = None  # type: ignore[attr-defined]
    celery_app.amqp._producer_pool = None  # type: ignore[attr-defined]


@pytest.fixture
def e2e(
    e2e_worker,
    emulator: InProcessEmulator,
    redis_url: str,
    live_server,
    transactional_db,
    settings,
    media_root: Path,
) -> Iterator[InProcessEmulator]:
    """A clean emulator whose scenarios call back to the live server; this process
    publishes to the worker's Redis instead of running tasks eagerly, and the live
    server serves the worker's renders."""
    settings.SECURE_SSL_REDIRECT = False
    settings.MEDIA_ROOT = media_root
    settings.MEDIA_PUBLIC_URL = f"{live_server.url}/media/"
    settings.ROOT_URLCONF = "tests.e2e.urls"
    settings.CELERY_BROKER_URL = redis_url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    keys = ("broker_url", "broker_transport_options", "task_always_eager")
    saved = {key: celery_app.conf[key] for key in keys}
    configure_celery(celery_app)
    _reset_producer_pools()
    emulator.state.reset()
    emulator.state.hooks.clear()
    emulator.state.callback_url = f"{live_server.url}{CALLBACK_PATH}"
    yield emulator
    celery_app.conf.update(saved)
    _reset_producer_pools()


def arm(emulator: InProcessEmulator, **fault: Any) -> None:
    """Set a fault through the control API, as a developer would."""
    response = requests.post(f"{emulator.url}/_control/faults", json=fault, timeout=5)
    assert response.status_code == 201, response.text


def received(emulator: InProcessEmulator, platform: str) -> list[dict[str, Any]]:
    response = requests.get(
        f"{emulator.url}/_control/requests", params={"platform": platform}, timeout=5
    )
    return response.json()["requests"]


def register_hook(emulator: InProcessEmulator, name: str, secret: str) -> None:
    """Tell the emulator's scenario the webhook's signing secret (control API)."""
    response = requests.post(
        f"{emulator.url}/_control/hooks", json={"hook": name, "secret": secret}, timeout=5
    )
    assert response.status_code == 200, response.text
