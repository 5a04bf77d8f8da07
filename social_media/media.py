"""The media a post is sent with, resolved in the worker just before publishing.

Each platform declares what it accepts (``BasePlatform.media_requirements``); for
every spec the worker uses the task's own image when the platform's
``task_image_rule`` says it fits, and otherwise renders (or reuses) the card or
video with ``quiz_media.services.render``. Whatever is sent is checked against the
spec first, from the stored file itself, so a platform never receives a type, shape
or size it rejects. Nothing here runs in a request or a save.
"""

from __future__ import annotations

import io
import logging
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import requests
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from quiz_media.models import RenderedFile
from quiz_media.specs import (
    MIME_TYPES,
    MediaRenderError,
    MediaSpec,
    MediaStorageError,
    RenderedMedia,
)
from social_media.url_guard import UnsafeUrlError, guarded_session

if TYPE_CHECKING:
    from social_media.platforms.base import BasePlatform, TaskImageRule
    from tasks.models import Task

logger = logging.getLogger("social_media")

# The payload key of each kind of media.
PAYLOAD_KEYS = {"question_card": "image", "answer_card": "answer_image", "video": "video"}
KIND_LABELS = {"question_card": "question card", "answer_card": "answer card", "video": "video"}
PILLOW_FORMATS = {"png": "PNG", "jpeg": "JPEG"}
MIME_OF_PILLOW = {"PNG": "image/png", "JPEG": "image/jpeg"}
PILLOW_OF_MIME = {mime: name for name, mime in MIME_OF_PILLOW.items()}
IMAGE_FETCH_TIMEOUT = 10.0
DURATION_SLACK = 0.1  # seconds: container rounding
CHUNK = 64 * 1024


@dataclass(frozen=True)
class PostMedia:
    """What one post carries: at most one medium per kind."""

    items: dict[str, RenderedMedia] = field(default_factory=dict)

    @property
    def image(self) -> RenderedMedia | None:
        return self.items.get("question_card")

    @property
    def answer_image(self) -> RenderedMedia | None:
        return self.items.get("answer_card")

    @property
    def video(self) -> RenderedMedia | None:
        return self.items.get("video")

    def as_payload(self) -> dict[str, Any]:
        """``{"image": {...} | None, "answer_image": ..., "video": ...}`` for webhooks."""
        return {
            key: (self.items[kind].as_payload() if kind in self.items else None)
            for kind, key in PAYLOAD_KEYS.items()
        }


NO_MEDIA = PostMedia()


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


# --- the task's own image ----------------------------------------------------------


@dataclass(frozen=True)
class TaskImageCheck:
    """The verdict on a task's image for one platform: the medium to send, or why not."""

    media: RenderedMedia | None
    reason: str = ""


def _download(url: str, max_bytes: int) -> tuple[bytes | None, str]:
    """The body of ``url`` (at most ``max_bytes``), or ``None`` and the reason."""
    try:
        session = guarded_session(url)
    except UnsafeUrlError as error:
        return None, str(error)
    timeout = min(IMAGE_FETCH_TIMEOUT, float(settings.SOCIAL_MEDIA_HTTP_TIMEOUT))
    deadline = time.monotonic() + timeout  # for the whole body, not per read
    try:
        with session.get(url, stream=True, timeout=timeout, allow_redirects=False) as response:
            if response.status_code != 200:
                return None, f"HTTP {response.status_code}"
            declared = response.headers.get("Content-Length", "")
            # ASCII digits only: "²" passes str.isdigit() but int() refuses it.
            if declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
                return None, f"{_mb(int(declared))}, more than {_mb(max_bytes)}"
            body = bytearray()
            for chunk in response.iter_content(CHUNK):
                body.extend(chunk)
                if len(body) > max_bytes:
                    return None, f"more than {_mb(max_bytes)}"
                if time.monotonic() > deadline:
                    return None, f"not downloaded within {timeout:g} s"
            return bytes(body), ""
    except requests.RequestException as exc:
        return None, f"download failed ({type(exc).__name__})"
    finally:
        session.close()


def _aspect_fits(width: int, height: int, rule: TaskImageRule) -> bool:
    ratio = width / height
    return any(abs(ratio - wanted) / wanted <= rule.tolerance for wanted in rule.aspect_ratios)


def image_fit(data: bytes, rule: TaskImageRule) -> tuple[tuple[str, int, int] | None, str]:
    """``(format, width, height)`` when ``data`` is an image ``rule`` accepts, else the reason."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format, (width, height) = image.format or "", image.size
            if width * height > rule.max_pixels:
                return None, f"{width}×{height} pixels is too large to check"
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None, "not a readable image"
    if image_format not in rule.formats:
        return None, f"{image_format} is not one of {', '.join(rule.formats)}"
    if width < rule.min_width or height < rule.min_height:
        return None, f"{width}×{height} is smaller than {rule.min_width}×{rule.min_height}"
    if not _aspect_fits(width, height, rule):
        shapes = " or ".join(f"{ratio:.2f}" for ratio in rule.aspect_ratios)
        return None, f"{width}×{height} is not shaped {shapes} (width / height)"
    return (image_format, width, height), ""


def task_image_check(task: Task, rule: TaskImageRule) -> TaskImageCheck:
    """Download the task's image through the URL guard and judge it against ``rule``."""
    url = task.image_url
    if not url:
        return TaskImageCheck(None, "the task has no image")
    data, reason = _download(url, rule.max_bytes)
    if data is None:
        return TaskImageCheck(None, reason)
    fit, reason = image_fit(data, rule)
    if fit is None:
        return TaskImageCheck(None, reason)
    image_format, width, height = fit
    media = RenderedMedia(
        name="",
        url=url,
        kind="question_card",
        width=width,
        height=height,
        mime_type=MIME_OF_PILLOW.get(image_format, "image/" + image_format.lower()),
        bytes=len(data),
    )
    return TaskImageCheck(media)


# --- checking what will be sent --------------------------------------------------------


@dataclass(frozen=True)
class FileFacts:
    """What a stored file is: read from the file itself, or from its verified row."""

    container: str  # Pillow's format ("PNG", "JPEG") or the PyAV container names
    codec: str  # "h264" for a video, "" for an image
    width: int
    height: int
    duration: float | None


def _probe_image(name: str) -> FileFacts:
    with default_storage.open(name, "rb") as handle, Image.open(handle) as image:
        return FileFacts(image.format or "", "", image.width, image.height, None)


def _probe_video(name: str) -> FileFacts:
    """Container, codec, size and duration of a stored video (decoded with PyAV)."""
    import av

    with default_storage.open(name, "rb") as handle, av.open(handle, mode="r") as container:
        stream = container.streams.video[0]
        duration = (container.duration or 0) / 1_000_000
        if not duration and stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        return FileFacts(
            container.format.name,
            stream.codec_context.name,
            stream.codec_context.width,
            stream.codec_context.height,
            duration,
        )


def _row_facts(row: RenderedFile) -> FileFacts:
    """The facts a verified row records (its file was read once and matched them)."""
    if row.mime_type == MIME_TYPES["mp4"]:
        return FileFacts("mov,mp4,m4a,3gp,3g2,mj2", "h264", row.width, row.height, row.duration)
    return FileFacts(PILLOW_OF_MIME.get(row.mime_type, ""), "", row.width, row.height, None)


def _agrees(facts: FileFacts, row: RenderedFile) -> bool:
    """Whether the file read back is what its row says (then the row can be trusted)."""
    if (facts.width, facts.height) != (row.width, row.height):
        return False
    if row.mime_type == MIME_TYPES["mp4"]:
        return (
            "mp4" in facts.container.split(",")
            and facts.codec == "h264"
            and facts.duration is not None
            and row.duration is not None
            and abs(facts.duration - row.duration) <= DURATION_SLACK
        )
    return MIME_OF_PILLOW.get(facts.container) == row.mime_type


def _row_of(media: RenderedMedia) -> RenderedFile | None:
    if not media.cache_key:
        return None
    return RenderedFile.objects.filter(cache_key=media.cache_key, name=media.name).first()


def _stored_facts(
    media: RenderedMedia, spec: MediaSpec, size: int, row: RenderedFile | None
) -> FileFacts:
    """The stored file's facts: from its row when a publish already read this very file (same
    size in storage), else read from the file (Pillow / PyAV) and the row marked verified."""
    if row is not None and row.verified_at is not None and row.bytes == size:
        return _row_facts(row)
    facts = _probe_video(media.name) if spec.format == "mp4" else _probe_image(media.name)
    if row is not None and row.bytes == size and _agrees(facts, row):
        now = timezone.now()
        RenderedFile.objects.filter(pk=row.pk, bytes=size).update(verified_at=now)
        row.verified_at = now
    return facts


def media_mismatch(
    media: RenderedMedia, spec: MediaSpec, *, row: RenderedFile | None = None
) -> str:
    """Why ``media`` (a stored render) is not what ``spec`` accepts; ``""`` when it fits.

    Read from the stored file, not from the render's own description; a file a publish
    has already read (its ``RenderedFile.verified_at``) is taken from its row while the
    stored size still matches, so a repeat publish does not decode it again. A caller that
    already holds the render's row (``render(known=...)`` keeps it current) passes it as
    ``row``: the check then costs no query; without it the row is looked up.
    """
    if row is not None and (row.cache_key != media.cache_key or row.name != media.name):
        row = None  # not this render's row: look it up
    if row is None:
        row = _row_of(media)
    wanted = f"{spec.width}×{spec.height} {spec.format.upper()}"
    try:
        size = default_storage.size(media.name)
    except Exception as exc:  # the storage, not the file: publishing later can succeed
        raise MediaStorageError(
            f"The media storage cannot be reached to check the stored {KIND_LABELS[media.kind]} "
            f"({type(exc).__name__})."
        ) from exc
    try:
        facts = _stored_facts(media, spec, size, row)
    except Exception as exc:  # an unreadable file is never sent
        return f"the stored file cannot be read ({type(exc).__name__})"
    if spec.format == "mp4":
        if "mp4" not in facts.container.split(",") or facts.codec != "h264":
            return f"it is {facts.codec} in {facts.container}, not H.264 in MP4"
        duration = facts.duration or 0.0
        if spec.min_duration is not None and duration + DURATION_SLACK < spec.min_duration:
            return f"it lasts {duration:.1f} s, less than {spec.min_duration:g} s"
        if spec.max_duration is not None and duration - DURATION_SLACK > spec.max_duration:
            return f"it lasts {duration:.1f} s, more than {spec.max_duration:g} s"
    elif facts.container != PILLOW_FORMATS[spec.format]:
        return f"it is {facts.container or 'not an image'}, not {wanted}"
    if (facts.width, facts.height) != (spec.width, spec.height):
        return f"it is {facts.width}×{facts.height}, not {wanted}"
    if size > spec.max_bytes:
        return f"it is {_mb(size)}, more than the {_mb(spec.max_bytes)} allowed"
    if media.mime_type != MIME_TYPES[spec.format]:
        return f"it is described as {media.mime_type}, not {MIME_TYPES[spec.format]}"
    return ""


# --- resolving a post's media ----------------------------------------------------------


def render_spec(spec: MediaSpec) -> MediaSpec:
    """The spec one render is made for, shared by every platform asking for the same shape.

    Instagram, TikTok and YouTube Shorts all take a 1080×1920 MP4: rendering it once, within
    the tightest byte limit and the durations all of them accept, serves the three (each
    still checks the file against its own spec before sending). Platforms whose durations
    do not overlap get their own render.
    """
    from social_media.platforms.registry import PLATFORMS

    shape = (spec.kind, spec.width, spec.height, spec.format)
    same = [spec] + [
        other
        for platform in PLATFORMS.values()
        for other in platform.media_requirements
        if (other.kind, other.width, other.height, other.format) == shape
    ]
    lows = [s.min_duration for s in same if s.min_duration is not None]
    highs = [s.max_duration for s in same if s.max_duration is not None]
    low, high = (max(lows) if lows else None), (min(highs) if highs else None)
    if low is not None and high is not None and low > high:
        return spec
    return replace(
        spec,
        max_bytes=min(s.max_bytes for s in same),
        min_duration=low,
        max_duration=high,
    )


def post_media_resolve(*, task: Task, platform: BasePlatform) -> PostMedia:
    """Every medium ``platform`` needs for ``task``: its own image where it fits, else renders.

    Raises ``MediaRenderError`` (a readable message) when a medium cannot be made or
    does not fit the platform: the post then fails permanently.
    """
    from quiz_media.services import current_brand, render, rendered_rows

    own_image = bool(platform.task_image_rule and task.image_url)
    shared = {spec: render_spec(spec) for spec in platform.media_requirements}
    wanted = [
        shared[spec]
        for spec in platform.media_requirements
        if not (spec.kind == "question_card" and own_image)
    ]
    # One query for the brand and one for every stored render this post may reuse.
    brand = current_brand() if platform.media_requirements else None
    known = rendered_rows(task, wanted, brand) if brand is not None and wanted else {}
    items: dict[str, RenderedMedia] = {}
    for spec in platform.media_requirements:
        if spec.kind == "question_card" and platform.task_image_rule and task.image_url:
            check = task_image_check(task, platform.task_image_rule)
            if check.media is not None:
                logger.info("🖼️ Задача %s, %s: своё изображение подходит", task.pk, platform.label)
                items[spec.kind] = check.media
                continue
            logger.info(
                "🖼️ Задача %s, %s: своё изображение не подходит (%s) — карточка",
                task.pk,
                platform.label,
                check.reason,
            )
        rendered = render(task, shared[spec], brand=brand, known=known)
        # ``known`` holds the render's current row (``render`` records a new one there), so
        # a verified render is trusted without a query and a new one read back once.
        problem = media_mismatch(rendered, spec, row=known.get(rendered.cache_key or ""))
        if problem:
            raise MediaRenderError(
                f"The generated {KIND_LABELS[spec.kind]} does not fit {platform.label}: {problem}."
            )
        items[spec.kind] = rendered
    return PostMedia(items)


# --- what the admin shows, and re-rendering on request -----------------------------------


@dataclass(frozen=True)
class MediaPreview:
    """One medium a platform is sent, as the admin shows it: the stored render, if any."""

    spec: MediaSpec
    rendered: RenderedMedia | None
    task_image_rule: bool = False  # the task's own image replaces it when it fits

    @property
    def kind_label(self) -> Any:
        from quiz_media.models import MediaKindChoices

        return MediaKindChoices(self.spec.kind).label

    @property
    def is_video(self) -> bool:
        return self.spec.format == "mp4"


def existing_media(task: Task, platform: BasePlatform, brand: Any = None) -> list[MediaPreview]:
    """The renders that already exist for ``platform``'s specs; never renders."""
    from quiz_media.services import current_brand, find_rendered

    brand = brand or current_brand()
    previews = []
    for spec in platform.media_requirements:
        own = bool(spec.kind == "question_card" and platform.task_image_rule and task.image_url)
        previews.append(MediaPreview(spec, find_rendered(task, render_spec(spec), brand), own))
    return previews


def preview_post_media(previews: list[MediaPreview]) -> PostMedia:
    """The existing renders as the payload would carry them (the card for an own image)."""
    return PostMedia({p.spec.kind: p.rendered for p in previews if p.rendered is not None})


def tasks_render_media(*, task_ids: list[int]) -> dict[str, int]:
    """Render (or reuse) every medium the active platforms need for these tasks.

    Runs in the worker (``social_media.render_task_media``). Each stored file is read back
    once (``media_mismatch``), so a publish trusts its verified row. A render that fails
    (or is not what its spec accepts) is logged and counted; the others go on.
    """
    from quiz_media.services import render
    from social_media.platforms.registry import PLATFORMS
    from social_media.targets import Targets
    from tasks.models import Task

    targets = Targets.load()
    done = failed = 0
    for task in Task.objects.filter(pk__in=task_ids).order_by("pk"):
        specs = {
            render_spec(spec)
            for key in targets.for_task(task)
            for spec in PLATFORMS[key].media_requirements
        }
        for spec in sorted(specs, key=lambda s: (s.kind, s.width, s.height, s.format)):
            try:
                rendered = render(task, spec)
                # Read the stored file back once now (and mark its row verified), so the
                # publishes that use it trust the row instead of decoding it.
                problem = media_mismatch(rendered, spec)
            except MediaRenderError as error:
                failed += 1
                logger.warning(
                    "🎬 Задача %s: медиа %s не отрисовано: %s", task.pk, spec.kind, error
                )
            else:
                if problem:
                    failed += 1
                    logger.warning(
                        "🎬 Задача %s: медиа %s не подходит: %s", task.pk, spec.kind, problem
                    )
                else:
                    done += 1
    logger.info("🎬 Перерисовка медиа задач %s: готово %s, ошибок %s", task_ids, done, failed)
    return {"rendered": done, "failed": failed}


def tasks_render_media_enqueue(task_ids: list[int]) -> None:
    """Hand the re-render to a worker once the current transaction commits."""
    from django.db import transaction

    if task_ids:
        transaction.on_commit(lambda: _send_render(list(task_ids)))


def _send_render(task_ids: list[int]) -> None:
    from social_media.tasks import render_task_media

    try:
        render_task_media.delay(task_ids)
    except Exception as exc:  # broker down: publishing renders them anyway
        logger.warning(
            "⚠️ Брокер недоступен (%s): перерисовка %s не поставлена", type(exc).__name__, task_ids
        )
