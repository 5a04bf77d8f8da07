"""The renderer's interface types: pure data, no Django models.

A platform declares what it accepts as :class:`MediaSpec` values; :func:`quiz_media.services.render`
turns a task and a spec into a stored file described by :class:`RenderedMedia`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

MediaKind = Literal["question_card", "answer_card", "video"]
MediaFormat = Literal["png", "jpeg", "mp4"]

MEDIA_KINDS: tuple[MediaKind, ...] = ("question_card", "answer_card", "video")
MIME_TYPES: dict[str, str] = {"png": "image/png", "jpeg": "image/jpeg", "mp4": "video/mp4"}
EXTENSIONS: dict[str, str] = {"png": "png", "jpeg": "jpg", "mp4": "mp4"}


@dataclass(frozen=True)
class MediaSpec:
    """What one platform accepts for one kind of media (declared by the platform)."""

    kind: MediaKind
    width: int  # output pixel size
    height: int
    format: Literal["png", "jpeg", "mp4"]
    max_bytes: int  # the platform's byte limit
    min_duration: float | None = None  # video only, seconds
    max_duration: float | None = None  # video only, seconds


@dataclass(frozen=True)
class RenderedMedia:
    """A stored render and what a platform needs to know about it."""

    name: str  # storage name in default_storage, e.g. "renders/ab/abcdef….png"
    url: str  # absolute public URL (MEDIA_PUBLIC_URL + name)
    kind: MediaKind
    width: int
    height: int
    mime_type: str  # "image/png" | "image/jpeg" | "video/mp4"
    bytes: int
    duration: float | None = None  # seconds, video only
    cache_key: str = ""  # sha256 hex of everything that shaped it

    def as_payload(self) -> dict[str, Any]:
        """The JSON object sent to webhooks and platforms."""
        payload: dict[str, Any] = {
            "url": self.url,
            "width": self.width,
            "height": self.height,
            "mime_type": self.mime_type,
            "bytes": self.bytes,
        }
        if self.duration is not None:
            payload["duration"] = self.duration
        return payload


class MediaRenderError(Exception):
    """A render that cannot succeed for this task/spec; str(exc) is a readable English message
    safe to store as a post's error_message (no secrets, no paths from the server)."""


class MediaStorageError(MediaRenderError):
    """The media storage could not be reached or refused a write: the render itself is fine,
    so trying again later (when the storage is back) can succeed."""


# The renderer's own defaults, used by ``manage.py render_task_media`` when no platform spec
# is given. Platforms declare their own specs next to their code.
DEFAULT_SPECS: dict[MediaKind, MediaSpec] = {
    "question_card": MediaSpec("question_card", 1080, 1350, "png", 8 * 1024 * 1024),
    "answer_card": MediaSpec("answer_card", 1080, 1350, "png", 8 * 1024 * 1024),
    "video": MediaSpec("video", 1080, 1920, "mp4", 50 * 1024 * 1024, 3.0, 60.0),
}
