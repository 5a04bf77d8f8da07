"""What a task would send to each active platform, and what would go wrong.

Built from the same functions the senders use (``content.build_content`` for
API platforms, ``payloads.build_payload`` for webhooks) with the same caption
templates (``captions.CaptionBook``), so the preview is the
text that goes out. No network call, no database write.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from social_media.captions import CaptionBook
from social_media.content import DEFAULT_LIMITS, LIMITS, Captions, build_content
from social_media.media import MediaPreview, existing_media, preview_post_media
from social_media.payloads import build_nested_payload, build_payload, payload_builder
from social_media.platforms.registry import PLATFORMS, BasePlatform
from webhooks.models import PayloadFormat

if TYPE_CHECKING:
    from social_media.targets import Target, Targets
    from tasks.models import Task

FIELD_LABELS = {
    "title": _("Title"),
    "description": _("Description"),
    "alt_text": _("Alt text"),
    "link": _("Link"),
    "image_url": _("Image"),
    "hashtags": _("Hashtags"),
}


@dataclass(frozen=True)
class PreviewField:
    name: str
    label: Any
    value: str
    limit: int | None = None

    @property
    def length(self) -> int:
        return len(self.value)


@dataclass
class PlatformPreview:
    """One platform's view of a task: the fields or payload, and the warnings."""

    key: str
    label: Any
    kind: str
    target: str
    fields: list[PreviewField] = field(default_factory=list)
    payload: str = ""
    payload_format: Any = ""
    problems: list[str] = field(default_factory=list)  # the post would certainly fail
    notes: list[str] = field(default_factory=list)  # it goes out, but not as written
    media: list[MediaPreview] = field(default_factory=list)  # renders that exist (no render)

    @property
    def will_fail(self) -> bool:
        return bool(self.problems)


def _cut_notes(truncated: list[str], key: str) -> list[str]:
    limits = LIMITS.get(key, DEFAULT_LIMITS)
    notes = []
    if "title" in truncated:
        notes.append(gettext("The title is cut to %(limit)d characters.") % {"limit": limits.title})
    if "description" in truncated:
        notes.append(
            gettext(
                "The description is cut to fit %(limit)d characters "
                "(the link and hashtags are kept)."
            )
            % {"limit": limits.description}
        )
    return notes


def _extra_data_problems(platform: BasePlatform, target: Target) -> list[str]:
    extra = getattr(target, "extra_data", {})
    if not isinstance(extra, dict):
        return [gettext("The credential's extra data is not a JSON object.")]
    try:
        platform.validate_extra_data(extra)
    except ValidationError as error:
        return [str(message) for message in error.messages]
    return []


def _fallback_notes(fallbacks: list[str]) -> list[str]:
    return [
        gettext("The caption template is not used (%(reason)s); the default text is sent.")
        % {"reason": reason}
        for reason in fallbacks
    ]


def _api_preview(
    task: Task, platform: BasePlatform, target: Target, captions: Captions | None = None
) -> PlatformPreview:
    content = build_content(task, platform.key, captions)
    limits = LIMITS.get(platform.key, DEFAULT_LIMITS)
    values = {
        "title": (content.title, limits.title),
        "description": (content.description, limits.description),
        "alt_text": (content.alt_text, limits.alt_text),
        "link": (content.link, None),
        "image_url": (content.image_url, None),
        "hashtags": (" ".join(content.hashtags), None),
    }
    preview = PlatformPreview(
        key=platform.key,
        label=platform.label,
        kind=platform.kind,
        target=str(target),
        fields=[
            PreviewField(name, FIELD_LABELS[name], value, limit)
            for name, (value, limit) in values.items()
        ],
    )
    preview.problems += _extra_data_problems(platform, target)
    if getattr(target, "needs_reconnect", False):
        preview.problems.append(
            gettext("%(target)s needs reconnection: the platform rejected its token.")
            % {"target": target}
        )
    preview.notes += _cut_notes(content.truncated, platform.key)
    preview.notes += _fallback_notes(content.caption_fallbacks)
    return preview


def _webhook_preview(
    task: Task,
    platform: BasePlatform,
    target: Target,
    captions: Captions | None = None,
    media: list[MediaPreview] | None = None,
    *,
    with_payload: bool = True,
) -> PlatformPreview:
    payload_format = getattr(target, "payload_format", "nested")
    preview = PlatformPreview(
        key=platform.key,
        label=platform.label,
        kind=platform.kind,
        target=str(target),
        payload_format=_format_label(payload_format),
    )
    try:
        builder = payload_builder(payload_format)
        if with_payload:  # else only the problems and notes are wanted
            payload = build_payload(
                task,
                platform.key,
                payload_format,
                captions,
                media=preview_post_media(media) if media is not None else None,
            )
            preview.payload = json.dumps(payload, ensure_ascii=False, indent=2)
    except ValueError as error:
        preview.problems.append(str(error))
        return preview
    if builder is build_nested_payload:  # it carries the cut texts
        content = build_content(task, platform.key, captions)
        preview.notes += _cut_notes(content.truncated, platform.key)
        preview.notes += _fallback_notes(content.caption_fallbacks)
    return preview


def _format_label(payload_format: str) -> Any:
    if payload_format in PayloadFormat.values:
        return PayloadFormat(payload_format).label
    return payload_format


def task_preview(
    task: Task,
    targets: Targets,
    captions: CaptionBook | None = None,
    *,
    with_media: bool = False,
    with_payload: bool = True,
) -> list[PlatformPreview]:
    """Every active platform of ``task`` with what would be sent there.

    ``with_payload=False`` (the warnings after a save) leaves out the webhook payloads'
    JSON: only the problems and notes are made.

    ``captions``: the caption templates, loaded once for many tasks (else one query here).
    ``with_media`` (the task page) also looks up the renders that already exist for
    each platform's media, by cache key; nothing is ever rendered here.
    """
    if captions is None:
        captions = CaptionBook.load(language=task.language)
    previews = []
    brand = None
    if with_media:
        from quiz_media.services import current_brand

        brand = current_brand()
    for key, target in targets.for_task(task).items():
        platform = PLATFORMS[key]
        media = existing_media(task, platform, brand) if with_media else None
        task_captions = captions.for_task(task, key)
        if platform.kind == "api":
            preview = _api_preview(task, platform, target, task_captions)
        else:
            preview = _webhook_preview(
                task, platform, target, task_captions, media, with_payload=with_payload
            )
        preview.media = media or []
        preview.problems = platform.task_problems(task) + preview.problems
        previews.append(preview)
    return previews


def preview_problems(previews: list[PlatformPreview]) -> list[str]:
    """One line per platform that would certainly fail, for a message after saving."""
    return [
        f"{preview.label}: {' '.join(preview.problems)}"
        for preview in previews
        if preview.will_fail
    ]


def preview_notes(previews: list[PlatformPreview]) -> list[str]:
    """One line per platform whose texts are cut to its limits."""
    return [f"{preview.label}: {' '.join(preview.notes)}" for preview in previews if preview.notes]
