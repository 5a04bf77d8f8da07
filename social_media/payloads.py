"""Webhook payload builders: pure functions of a task and a platform."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from social_media.content import Captions, build_content
from social_media.media import PostMedia

if TYPE_CHECKING:
    from tasks.models import Task


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def build_nested_payload(
    task: Task,
    platform: str,
    captions: Captions | None = None,
    media: PostMedia | None = None,
) -> dict[str, Any]:
    """The default shape: ``task_id``, ``platform``, ``content`` and ``metadata``.

    ``captions``: the staff's caption templates for the title and description.
    """
    content = build_content(task, platform, captions)
    payload: dict[str, Any] = {
        "task_id": task.pk,
        "platform": platform,
        "content": {
            "image_url": content.image_url,
            "title": content.title,
            "description": content.description,
            "explanation": task.explanation,
            "link": content.link,
            "hashtags": content.hashtags,
            "topic": task.topic,
            "difficulty": task.difficulty,
        },
        "metadata": {
            "language": task.language,
            "translation_group_id": str(task.translation_group_id),
            "publish_date": _iso(task.publish_date or task.updated_at),
        },
    }
    if media is not None:
        payload["content"]["media"] = media.as_payload()
    return payload


def build_flat_payload(
    task: Task,
    platform: str,
    captions: Captions | None = None,
    media: PostMedia | None = None,
) -> dict[str, Any]:
    """The flat shape of the seed's Yandex Dzen section (raw fields: no captions)."""
    payload: dict[str, Any] = {
        "task_id": task.pk,
        "platform": platform,
        "image_url": task.image_url,
        "question": task.question,
        "answers": list(task.answers) if isinstance(task.answers, list) else [],
        "correct_answer": task.correct_answer,
        "explanation": task.explanation,
        "external_link": task.public_url,
        "language": task.language,
        "created_at": _iso(task.created_at),
        "published_at": _iso(task.publish_date or task.updated_at),
    }
    if media is not None:
        payload["media"] = media.as_payload()
    return payload


PAYLOAD_BUILDERS = {"nested": build_nested_payload, "flat": build_flat_payload}


def build_payload(
    task: Task,
    platform: str,
    payload_format: str,
    captions: Captions | None = None,
    *,
    media: PostMedia | None = None,
) -> dict[str, Any]:
    """The payload in the webhook's chosen shape; ``ValueError`` for an unknown shape.

    ``captions``: the staff's caption templates (the nested shape uses them).
    ``media`` is what the worker resolved for the post (``social_media.media``); when
    given, the payload carries ``media`` (``content.media`` in the nested shape):
    ``{"image", "answer_image", "video"}``, each ``{"url", "width", "height",
    "mime_type", "bytes"}`` (+ ``"duration"`` for video) or ``null`` for a kind the
    platform is not sent. Every other field is the seed's, unchanged.
    """
    return payload_builder(payload_format)(task, platform, captions, media)


def payload_builder(payload_format: str) -> Any:
    """The builder of ``payload_format``; ``ValueError`` for an unknown shape."""
    builder = PAYLOAD_BUILDERS.get(payload_format)
    if builder is None:
        raise ValueError(
            f"Unknown payload format {payload_format!r}; use one of: "
            + ", ".join(sorted(PAYLOAD_BUILDERS))
            + "."
        )
    return builder
