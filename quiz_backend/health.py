"""``/healthz`` for load balancers and container health checks.

Answers ``{"database": "ok", "broker": "ok"}`` with 200 when both are reachable,
or 503 with the failing part marked ``"unavailable"``. The answer never carries
a URL, a host name or an error text, only the verdicts; the reason is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from kombu import Connection

logger = logging.getLogger("quiz_backend.health")

HEALTHZ_PATH = "/healthz"
BROKER_TIMEOUT_SECONDS = 2.0
OK = "ok"
UNAVAILABLE = "unavailable"


def check_database(connection: BaseDatabaseWrapper | None = None) -> bool:
    """True when the database answers ``SELECT 1``."""
    connection = connection or default_connection
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not usable": report, never raise
        logger.error("🩺 /healthz: база данных недоступна (%s)", type(exc).__name__)
        return False
    return True


def check_broker(url: str | None = None) -> bool:
    """True when the Celery broker accepts a connection within a couple of seconds."""
    from quiz_backend.celery import app

    url = url or settings.CELERY_BROKER_URL
    options = dict(app.conf.broker_transport_options or {})
    try:
        with Connection(
            url, connect_timeout=BROKER_TIMEOUT_SECONDS, transport_options=options
        ) as conn:
            conn.ensure_connection(
                max_retries=1,
                interval_start=0,
                interval_step=0,
                # kombu compares it with monotonic() seconds; celery-types says int only.
                timeout=BROKER_TIMEOUT_SECONDS,  # type: ignore[arg-type]
            )
    except Exception as exc:  # refused, timed out, bad credentials: all "unavailable"
        logger.error("🩺 /healthz: брокер Celery недоступен (%s)", type(exc).__name__)
        return False
    return True


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker are reachable, else 503 naming the failure."""
    checks = {
        "database": OK if check_database() else UNAVAILABLE,
        "broker": OK if check_broker() else UNAVAILABLE,
    }
    healthy = all(value == OK for value in checks.values())
    return JsonResponse(checks, status=200 if healthy else 503)


class HealthCheckMiddleware:
    """Answer ``/healthz`` before host validation, HTTPS redirects and sessions.

    Load balancers probe by IP address, so their ``Host`` header is rarely in
    ``ALLOWED_HOSTS``, and they probe over plain HTTP; neither may turn a
    healthy instance into a 400 or a 301. Put this first in ``MIDDLEWARE``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.rstrip("/") == HEALTHZ_PATH:
            return healthz(request)
        return self.get_response(request)
