"""Publishing on save: the post_save hook hands published tasks to the service."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db.models.signals import post_save

from tasks.models import Task

logger = logging.getLogger("social_media")


def auto_publish_to_social_media(
    sender, instance: Task, created: bool, raw: bool = False, **kwargs
) -> None:
    """Write the task's posts in the same transaction; they are sent after commit."""
    if raw or not instance.published:
        return
    if not settings.SOCIAL_MEDIA_AUTO_PUBLISH:
        logger.info(
            "🌐 Автопубликация выключена (SOCIAL_MEDIA_AUTO_PUBLISH): задача %s", instance.pk
        )
        return
    from social_media.services import publish_to_social_media

    publish_to_social_media(instance)


def connect() -> None:
    post_save.connect(
        auto_publish_to_social_media, sender=Task, dispatch_uid="auto_publish_to_social_media"
    )
