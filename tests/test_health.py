"""/healthz: database and broker reachability for load balancers."""

from __future__ import annotations

import os
import socket
import time

import pytest
from django.db import connections

from quiz_backend.health import check_broker, check_database


def _closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_healthz_ok_with_database_and_embedded_broker(client, settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_ok_on_a_real_redis_broker(client, settings):
    settings.CELERY_BROKER_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_healthz_503_names_the_broker_quickly_and_leaks_nothing(client, settings):
    port = _closed_port()
    settings.CELERY_BROKER_URL = f"redis://:s3cr3t-pass@127.0.0.1:{port}/0"

    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "unavailable"}
    assert elapsed < 3
    body = response.content.decode()
    assert "s3cr3t" not in body and str(port) not in body


@pytest.mark.django_db
def test_healthz_answers_any_host_and_plain_http(client, settings):
    """Load balancers probe by IP over HTTP: no DisallowedHost 400, no HTTPS redirect."""
    settings.ALLOWED_HOSTS = ["quiz.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    settings.CELERY_BROKER_URL = "filesystem://"

    response = client.get("/healthz", HTTP_HOST="10.0.3.17:8000")

    assert response.status_code == 200
    assert client.get("/admin/", HTTP_HOST="10.0.3.17:8000").status_code == 400


@pytest.mark.django_db
def test_healthz_needs_no_login_and_refuses_writes(client, settings):
    settings.CELERY_BROKER_URL = "filesystem://"

    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_check_database_true_on_the_live_connection():
    assert check_database() is True


@pytest.mark.postgres  # SQLite has no server to refuse
@pytest.mark.django_db
def test_check_database_false_when_the_server_refuses(caplog):
    """A real driver error from a connection to a port with no server behind it."""
    live = connections["default"]
    down = live.__class__(
        {**live.settings_dict, "HOST": "127.0.0.1", "PORT": str(_closed_port())},
        alias="healthz-down",
    )
    try:
        assert check_database(down) is False
    finally:
        down.close()
    assert "OperationalError" in caplog.text


def test_check_broker_false_on_a_closed_port():
    started = time.monotonic()
    assert check_broker(f"redis://127.0.0.1:{_closed_port()}/0") is False
    assert time.monotonic() - started < 3
