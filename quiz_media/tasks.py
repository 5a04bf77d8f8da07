"""Celery jobs of the media app."""

from __future__ import annotations

from celery import shared_task

from quiz_media.services import cleanup_old_renders


@shared_task(name="quiz_media.cleanup_old_renders")
def cleanup_old_renders_task() -> int:
    """Daily (beat): delete renders unused for QUIZ_MEDIA_RENDER_RETENTION_DAYS."""
    return cleanup_old_renders()
