"""The Celery app ``quiz_backend``: broker, reliability options and the beat schedule."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quiz_backend.settings")

app = Celery("quiz_backend")


def _configure(app: Celery) -> None:
    from django.conf import settings

    broker_options: dict = {"visibility_timeout": settings.CELERY_VISIBILITY_TIMEOUT}
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        queue_dir = settings.CELERY_BROKER_DIR
        (queue_dir / "processed").mkdir(parents=True, exist_ok=True)
        broker_options.update(
            data_folder_in=str(queue_dir),
            data_folder_out=str(queue_dir),
            processed_folder=str(queue_dir / "processed"),
            store_processed=False,
        )
    # A publish must finish well inside the lease, and the lease inside the
    # broker's visibility timeout, so a message is never redelivered while its
    # post is still legitimately being worked on.
    hard_limit = max(settings.SOCIAL_MEDIA_LEASE_SECONDS - 30, 30)
    app.conf.update(
        broker_url=settings.CELERY_BROKER_URL,
        broker_transport_options=broker_options,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=3,
        task_always_eager=settings.CELERY_TASK_ALWAYS_EAGER,
        task_eager_propagates=True,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_publish_retry=False,
        task_time_limit=hard_limit,
        task_soft_time_limit=max(hard_limit - 15, 15),
        worker_prefetch_multiplier=1,
        worker_enable_soft_shutdown_on_idle=True,
        worker_soft_shutdown_timeout=10.0,
        worker_hijack_root_logger=False,
        timezone=settings.TIME_ZONE,
        beat_schedule={
            "relay-due-social-media-posts": {
                "task": "social_media.relay_due_posts",
                "schedule": float(settings.SOCIAL_MEDIA_RELAY_INTERVAL),
            },
        },
    )


@app.on_configure.connect
def _on_configure(sender: Celery, **kwargs) -> None:
    _configure(sender)


app.autodiscover_tasks()
