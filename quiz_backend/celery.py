"""The Celery app ``quiz_backend``: broker, reliability options and the beat schedule.

The timings nest so that a message is never redelivered, and a lease never
taken over, while its post is still legitimately being worked on::

    soft time limit < hard time limit < SOCIAL_MEDIA_LEASE_SECONDS < CELERY_VISIBILITY_TIMEOUT
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from celery import Celery
from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quiz_backend.settings")

app = Celery("quiz_backend")

# Publishing a message from a web request must fail fast when the broker is
# down (the outbox row is safe and the relay sends it later): no connection
# retries, short socket timeouts. Measured: Kombu's defaults block ~7 s per
# message on a refused connection; with these a refused connection fails in
# ~0.1 s and a hung Redis in 3 s (socket_timeout). Worker consumers are not
# affected: they reconnect under broker_connection_max_retries.
PRODUCER_TRANSPORT_OPTIONS = {
    "max_retries": 0,
    "socket_connect_timeout": 1,
    "socket_timeout": 3,
}

# Platforms refresh their tokens about to expire hourly (BasePlatform.refresh_expiring_tokens).
TOKEN_REFRESH_INTERVAL = 3600.0
# Each platform's own periodic upkeep (BasePlatform.periodic_job), e.g. fetching updates.
PLATFORM_JOBS_INTERVAL = 60.0
# Renders unused for QUIZ_MEDIA_RENDER_RETENTION_DAYS are deleted once a day.
RENDER_CLEANUP_INTERVAL = 86400.0
# Engagement collection has its own queue, so a slow platform's analytics never delays
# a publish: run a worker with ``-Q metrics`` (docker-compose: ``metrics-worker``), or
# let one worker take both (``-Q celery,metrics``, as scripts/run does).
METRICS_QUEUE = "metrics"
TASK_ROUTES = {"social_media.collect_metrics": {"queue": METRICS_QUEUE}}


def time_limits(lease_seconds: int) -> tuple[int, int]:
    """``(soft, hard)`` task time limits that end a publish well inside its lease."""
    hard = lease_seconds - max(1, min(30, lease_seconds // 6))
    soft = hard - max(1, min(15, hard // 6))
    return max(soft, 1), max(hard, 2)


def filesystem_broker_options(queue_dir: Path) -> dict[str, object]:
    """Every folder the embedded broker writes, inside ``queue_dir`` (``var/`` by default).

    Kombu's defaults are relative to the current directory: without ``control_folder``
    the worker's remote-control (fanout) exchanges land in ``./control``.
    """
    folders = {"processed_folder": queue_dir / "processed", "control_folder": queue_dir / "control"}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(queue_dir),
        "data_folder_out": str(queue_dir),
        **{name: str(folder) for name, folder in folders.items()},
        "store_processed": False,
    }


def _configure(app: Celery) -> None:
    from django.conf import settings

    lease = settings.SOCIAL_MEDIA_LEASE_SECONDS
    if lease >= settings.CELERY_VISIBILITY_TIMEOUT:
        raise ImproperlyConfigured(
            f"SOCIAL_MEDIA_LEASE_SECONDS ({lease}) must be shorter than "
            f"CELERY_VISIBILITY_TIMEOUT ({settings.CELERY_VISIBILITY_TIMEOUT})."
        )
    soft_limit, hard_limit = time_limits(lease)
    if soft_limit <= settings.SOCIAL_MEDIA_HTTP_TIMEOUT:
        raise ImproperlyConfigured(
            f"SOCIAL_MEDIA_HTTP_TIMEOUT ({settings.SOCIAL_MEDIA_HTTP_TIMEOUT} s) must be shorter "
            f"than the task's soft time limit ({soft_limit} s, derived from "
            "SOCIAL_MEDIA_LEASE_SECONDS)."
        )
    broker_options: dict = {"visibility_timeout": settings.CELERY_VISIBILITY_TIMEOUT}
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        broker_options.update(filesystem_broker_options(settings.CELERY_BROKER_DIR))
    else:
        broker_options.update(PRODUCER_TRANSPORT_OPTIONS)
    relay_interval = float(settings.SOCIAL_MEDIA_RELAY_INTERVAL)
    metrics_interval = float(settings.SOCIAL_MEDIA_METRICS_INTERVAL)
    app.conf.update(
        broker_url=settings.CELERY_BROKER_URL,
        broker_transport_options=broker_options,
        broker_connection_timeout=3,
        # The worker itself waits for the broker as long as it takes.
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        task_always_eager=settings.CELERY_TASK_ALWAYS_EAGER,
        task_eager_propagates=True,
        task_ignore_result=True,
        # A message is acknowledged only after the task ran; a worker killed
        # mid-task gives it back to the queue (the post's lease decides who sends).
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_publish_retry=False,
        task_time_limit=hard_limit,
        task_soft_time_limit=soft_limit,
        worker_prefetch_multiplier=1,
        worker_cancel_long_running_tasks_on_connection_loss=False,
        # On SIGTERM, running publishes get time to finish before the cold shutdown.
        worker_enable_soft_shutdown_on_idle=True,
        worker_soft_shutdown_timeout=10.0,
        worker_hijack_root_logger=False,
        timezone=settings.TIME_ZONE,
        task_routes=TASK_ROUTES,
        # Plain ``celery -A quiz_backend beat`` runs the relay: no manual set-up.
        beat_schedule={
            "relay-due-social-media-posts": {
                "task": "social_media.relay_due_posts",
                "schedule": relay_interval,
                # A relay message nobody ran in time is dropped, not piled up.
                "options": {"expires": relay_interval},
            },
            "refresh-platform-tokens": {
                "task": "social_media.refresh_tokens",
                "schedule": TOKEN_REFRESH_INTERVAL,
                "options": {"expires": TOKEN_REFRESH_INTERVAL},
            },
            "collect-post-metrics": {
                "task": "social_media.collect_metrics",
                "schedule": metrics_interval,
                "options": {"expires": metrics_interval, "queue": METRICS_QUEUE},
            },
            "platform-periodic-jobs": {
                "task": "social_media.platform_jobs",
                "schedule": PLATFORM_JOBS_INTERVAL,
                "options": {"expires": PLATFORM_JOBS_INTERVAL},
            },
            "cleanup-old-renders": {
                "task": "quiz_media.cleanup_old_renders",
                "schedule": RENDER_CLEANUP_INTERVAL,
                "options": {"expires": RENDER_CLEANUP_INTERVAL},
            },
        },
    )


@app.on_configure.connect
def _on_configure(sender: Celery, **kwargs: Any) -> None:
    _configure(sender)


app.autodiscover_tasks()
