"""Publishing on save: the post_save hook hands published tasks to the services."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db.models.signals import post_delete, post_save, pre_save

from social_media import pacing
from social_media.scheduling import task_schedule_sync
from social_media.services import publish_to_social_media
from tasks.models import Task
from webhooks.models import SocialMediaCredentials, Webhook

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


_PACE_FIELDS = {"min_gap_seconds", "daily_cap", "quiet_start", "quiet_end", "time_zone"}


def replan_target_posts(
    sender: type[Any], instance: Any, created: bool = False, raw: bool = False, **kwargs: Any
) -> None:
    """A target's pace or activity changed: its waiting posts are planned again."""
    fields = kwargs.get("update_fields")
    if raw or created or (fields is not None and not set(fields) & (_PACE_FIELDS | {"is_active"})):
        return
    pacing.target_replan(instance)


def replan_deleted_target_posts(sender: type[Any], instance: Any, **kwargs: Any) -> None:
    pacing.target_replan(instance, deleted=True)


def connect() -> None:
    for model in (SocialMediaCredentials, Webhook):
        name = model.__name__.lower()
        post_save.connect(replan_target_posts, sender=model, dispatch_uid=f"pace_{name}")
        post_delete.connect(
            replan_deleted_target_posts, sender=model, dispatch_uid=f"pace_gone_{name}"
        )
    pre_save.connect(
        remember_publishing_state, sender=Task, dispatch_uid="remember_publishing_state"
    )
    post_save.connect(
        auto_publish_to_social_media, sender=Task, dispatch_uid="auto_publish_to_social_media"
    )
