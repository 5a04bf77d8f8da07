"""The small interface every platform implements, and the result it returns."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from django.utils.functional import Promise

if TYPE_CHECKING:
    from quiz_media.specs import MediaSpec
    from social_media.media import PostMedia
    from tasks.models import SocialMediaPost, Task


class Outcome(StrEnum):
    """What one attempt to publish tells us about the post."""

    SUCCESS = "success"  # live on the platform
    ACCEPTED = "accepted"  # a webhook scenario took it; its callback will tell the end
    TRANSIENT = "transient"  # try again later (timeout before sending, 5xx, throttling)
    RATE_LIMITED = "rate_limited"  # try again, but not before retry_after
    PERMANENT = "permanent"  # the request itself is wrong; retrying cannot help
    AUTH = "auth"  # the token is expired or revoked; the credential needs reconnecting
    UNKNOWN = "unknown"  # the request may have reached the platform: reconcile first


RETRYABLE = {Outcome.TRANSIENT, Outcome.RATE_LIMITED, Outcome.UNKNOWN}


def is_ascii_digits(value: str) -> bool:
    """``0``-``9`` only: ``str.isdigit`` also takes "١٢٣", "²" and "１２３"."""
    return value.isascii() and value.isdigit()


@dataclass(frozen=True)
class PublishResult:
    outcome: Outcome
    post_id: str = ""
    post_url: str = ""
    http_status: int | None = None
    error_message: str = ""
    retry_after: float | None = None
    response_excerpt: str = ""


@dataclass(frozen=True)
class TaskImageRule:
    """When a task's own image may be sent instead of the generated question card.

    The worker downloads the image (at most ``max_bytes``) and uses it only when
    Pillow reads it as one of ``formats``, it is at least ``min_width`` ×
    ``min_height`` pixels, and its width / height is within ``tolerance`` of one of
    ``aspect_ratios``; anything else (missing, broken, HTML, too big, the wrong
    shape) gets the card. See docs/media.md.
    """

    formats: tuple[str, ...]  # Pillow format names, e.g. ("JPEG", "PNG")
    aspect_ratios: tuple[float, ...]  # width / height
    max_bytes: int
    min_width: int = 600
    min_height: int = 300
    tolerance: float = 0.03  # relative difference from an aspect ratio
    max_pixels: int = 40_000_000  # refuse decompression bombs before decoding


class BasePlatform:
    """One social network. Subclasses set ``key``, ``label`` and ``kind`` and publish.

    ``media_requirements`` lists what the platform accepts (one ``MediaSpec`` per
    kind of media it is sent); the worker renders or reuses each before publishing
    and passes them to ``publish``. ``task_image_rule`` lets a task's own image
    stand in for the question card when it fits.
    """

    key: str
    label: str | Promise
    kind: ClassVar[Literal["api", "webhook"]]
    media_requirements: tuple[MediaSpec, ...] = ()
    task_image_rule: TaskImageRule | None = None

    def validate_extra_data(self, extra_data: dict[str, Any]) -> None:
        """Raise ``ValidationError`` when a credential's extra data is unusable."""

    def task_problems(self, task: Task) -> list[str]:
        """Reasons this task cannot be published here, found without any network call."""
        return []

    def publish(self, post: SocialMediaPost, target: Any, media: PostMedia) -> PublishResult:
        """Send ``post`` using ``target`` (a credential or a webhook) with the media the
        worker resolved from ``media_requirements``; never raise."""
        raise NotImplementedError

    def reconcile(self, post: SocialMediaPost, target: Any) -> PublishResult | None:
        """After an attempt with an unknown end, look for the post on the platform.

        Return a SUCCESS result when it is there, ``None`` when it is not (so it is
        safe to send again), or a non-success result when the lookup itself failed.
        """
        return None
