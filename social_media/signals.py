"""Publishing on save: the post_save hook hands published tasks to the services."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db.models.signals import post_save, pre_save

from social_media.scheduling import task_schedule_sync
from social_media.services import publish_to_social_media
from tasks.models import Task

logger = logging.getLogger("social_media")

_BEFORE = "_publishing_before_save"


def remember_publishing_state(
    sender: type[Task], instance: Task, raw: bool = False, **kwargs: Any
) -> None:
    """Note the stored ``published`` and ``publish_date`` so post_save sees what changed."""
    if raw or instance.pk is None:
        return
    stored = Task.objects.filter(pk=instance.pk).values("published", "publish_date").first()
    setattr(instance, _BEFORE, stored)


def auto_publish_to_social_media(
    sender: type[Task], instance: Task, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    """Write the task's posts in the same transaction; they are sent after commit."""
    if raw:
        return
    before = instance.__dict__.pop(_BEFORE, None)
    auto = settings.SOCIAL_MEDIA_AUTO_PUBLISH
    if before is not None:
        task_schedule_sync(
            task=instance,
            was_published=before["published"],
            old_publish_date=before["publish_date"],
            enqueue=not (auto and instance.published),
        )
    if not instance.published:
        return
    if not auto:
        logger.info(
            "🌐 Автопубликация выключена (SOCIAL_MEDIA_AUTO_PUBLISH): задача %s", instance.pk
        )
        return
    publish_to_social_media(instance, new_task=created)


def connect() -> None:
    pre_save.connect(
        remember_publishing_state, sender=Task, dispatch_uid="remember_publishing_state"
    )
    post_save.connect(
        auto_publish_to_social_media, sender=Task, dispatch_uid="auto_publish_to_social_media"
    )
