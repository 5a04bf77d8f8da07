"""Rendering a task's media, caching it and storing it through Django's storage API.

``render(task, spec)`` is the one entry point for publishing code. A render is identified by a
SHA-256 of everything that shapes it (the task's text fields and language, its link, the
template version, the spec, the brand settings, the video length): the same inputs reuse the
stored file, any change makes a new one. The stored name derives from that key
(``renders/ab/abcd….png``), and ``RenderedFile.cache_key`` is unique, so two workers rendering
the same media at once end with one file and one row.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.encoding import filepath_to_uri
from PIL import Image

from quiz_backend import sql
from quiz_media.cards import (
    TEMPLATE_VERSION,
    Brand,
    CardContent,
    CardRender,
    draw_card,
)
from quiz_media.models import BrandSettings, RenderedFile
from quiz_media.specs import (
    EXTENSIONS,
    MEDIA_KINDS,
    MIME_TYPES,
    MediaKind,
    MediaRenderError,
    MediaSpec,
    MediaStorageError,
    RenderedMedia,
)
from quiz_media.video import encode_video

if TYPE_CHECKING:
    from tasks.models import Task

logger = logging.getLogger(__name__)

RENDER_DIR = "renders"
MAX_SIDE = 4096
JPEG_QUALITIES = (90, 82, 74, 66, 58, 50, 42)
# Used-at stamps are refreshed at most this often (a reuse is then a read, not a write).
TOUCH_INTERVAL = timedelta(hours=1)
LEAN_AUDIO_BIT_RATE = 24_000
MIN_VIDEO_SECONDS = 2.0
MIN_VIDEO_BIT_RATE = 20_000


# --- inputs -------------------------------------------------------------------------------


def content_for(task: Task) -> CardContent:
    """The card content of a task (tolerates malformed answers: they are shown as text)."""
    answers = task.answers if isinstance(task.answers, list) else []
    return CardContent(
        question=str(task.question or ""),
        answers=tuple(str(a) for a in answers),
        correct_answer=str(task.correct_answer or ""),
        explanation=str(task.explanation or ""),
        topic=str(task.topic or ""),
        difficulty=str(task.difficulty or ""),
        language=str(task.language or ""),
        link=task.public_url,
    )


_preloaded_brand: ContextVar[BrandSettings | None] = ContextVar("preloaded_brand", default=None)


@contextmanager
def brand_preloaded(row: BrandSettings | None) -> Iterator[BrandSettings | None]:
    """Inside, ``current_brand`` uses ``row`` (the worker's cached copy, checked against
    the database by the claim's fingerprint) instead of a query."""
    token = _preloaded_brand.set(row)
    try:
        yield row
    finally:
        _preloaded_brand.reset(token)


def current_brand() -> Brand:
    """The brand settings in force: the admin's BrandSettings over the QUIZ_MEDIA_* defaults."""
    brand = _preloaded_brand.get() or BrandSettings.load()
    logo_name = (brand.logo.name or "") if brand.logo else ""
    return Brand(
        site_name=brand.effective_site_name,
        primary=brand.effective_primary_color,
        accent=brand.effective_accent_color,
        background=brand.effective_background_color,
        logo_name=logo_name,
        logo_version=brand.updated_at.isoformat() if logo_name and brand.updated_at else "",
    )


def video_seconds(spec: MediaSpec) -> float:
    """QUIZ_MEDIA_VIDEO_SECONDS clamped to the spec's minimum and maximum duration."""
    seconds = float(settings.QUIZ_MEDIA_VIDEO_SECONDS)
    if spec.min_duration is not None:
        seconds = max(seconds, float(spec.min_duration))
    if spec.max_duration is not None:
        seconds = min(seconds, float(spec.max_duration))
    return max(MIN_VIDEO_SECONDS, seconds)


def check_spec(spec: MediaSpec) -> None:
    """Refuse a spec the renderer cannot meet, with a readable message."""
    if spec.kind not in MEDIA_KINDS:
        raise MediaRenderError(f"Unknown media kind {spec.kind!r}.")
    if spec.kind == "video" and spec.format != "mp4":
        raise MediaRenderError(f"A video is rendered as mp4, not {spec.format}.")
    if spec.kind != "video" and spec.format not in ("png", "jpeg"):
        raise MediaRenderError(f"A card is rendered as png or jpeg, not {spec.format}.")
    if not (64 <= spec.width <= MAX_SIDE and 64 <= spec.height <= MAX_SIDE):
        raise MediaRenderError(
            f"A {spec.width}×{spec.height} medium is outside the renderer's 64–{MAX_SIDE} px range."
        )
    if spec.kind == "video" and (spec.width % 2 or spec.height % 2):
        raise MediaRenderError(
            f"A video needs an even width and height, not {spec.width}×{spec.height}."
        )
    if (
        spec.kind == "video"
        and spec.max_duration is not None
        and spec.max_duration < MIN_VIDEO_SECONDS
    ):
        raise MediaRenderError(
            f"A quiz video needs at least {MIN_VIDEO_SECONDS:g} s (a countdown and the answer); "
            f"the platform allows at most {spec.max_duration:g} s."
        )
    if spec.max_bytes <= 0:
        raise MediaRenderError("The spec's byte limit must be positive.")
    if (
        spec.min_duration is not None
        and spec.max_duration is not None
        and spec.min_duration > spec.max_duration
    ):
        raise MediaRenderError("The spec's minimum duration is longer than its maximum.")


def cache_key(content: CardContent, spec: MediaSpec, brand: Brand) -> str:
    """SHA-256 hex of everything that shapes a render."""
    seconds = video_seconds(spec) if spec.kind == "video" else None
    return _cache_key(content, spec, brand, seconds)


@lru_cache(maxsize=4096)
def _cache_key(content: CardContent, spec: MediaSpec, brand: Brand, seconds: float | None) -> str:
    # Remembered: a publish asks for the same few keys again and again, and every input
    # is immutable (the video's length, from settings, is passed in).
    shape: dict[str, Any] = {
        "template": TEMPLATE_VERSION,
        "spec": {
            "kind": spec.kind,
            "width": spec.width,
            "height": spec.height,
            "format": spec.format,
            "max_bytes": spec.max_bytes,
        },
        "content": asdict(content),
        "brand": brand.fingerprint(),
    }
    if seconds is not None:
        shape["seconds"] = seconds
    raw = json.dumps(shape, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def render_key(
    task: Task, spec: MediaSpec, brand: Brand | None = None, *, content: CardContent | None = None
) -> str:
    """The cache key ``render(task, spec)`` stores its file under (the one place it is built)."""
    return cache_key(
        content if content is not None else content_for(task),
        spec,
        brand if brand is not None else current_brand(),
    )


def find_rendered(task: Task, spec: MediaSpec, brand: Brand | None = None) -> RenderedMedia | None:
    """The stored render ``render(task, spec)`` would reuse, or None; never renders.

    For pages that show what exists (the task page's preview): a lookup of the row by the
    same key ``render`` uses, and of the file in storage. A storage that cannot be reached
    counts as "no render" (logged), so a page never fails on it.
    """
    row = RenderedFile.objects.filter(cache_key=render_key(task, spec, brand)).first()
    if row is None:
        return None
    try:
        if not default_storage.exists(row.name):
            return None
    except Exception as exc:
        logger.warning(
            "Media storage unavailable while looking up %s: %s", row.name, type(exc).__name__
        )
        return None
    return _as_media(row)


def storage_name(key: str, spec: MediaSpec) -> str:
    return f"{RENDER_DIR}/{key[:2]}/{key}.{EXTENSIONS[spec.format]}"


def media_public_url(name: str) -> str:
    """The absolute public URL of a storage name: ``MEDIA_PUBLIC_URL`` + name."""
    return settings.MEDIA_PUBLIC_URL.rstrip("/") + "/" + filepath_to_uri(name).lstrip("/")


# --- render -------------------------------------------------------------------------------


def render(
    task: Task,
    spec: MediaSpec,
    *,
    brand: Brand | None = None,
    known: dict[str, RenderedFile] | None = None,
) -> RenderedMedia:
    """Render (or reuse from cache) one medium for a task. Cached by a hash of everything that
    shapes it (task text fields, language, template version, spec, brand settings, video length).
    Concurrency-safe (two workers at once produce one stored file). Raises MediaRenderError.

    A caller resolving several media at once passes the ``brand`` it loaded and the rows it
    already looked up (``known``, by cache key, from ``rendered_rows``): a reuse then costs
    no query of its own, and a new render's row replaces the entry for its key there."""
    check_spec(spec)
    content = content_for(task)
    brand = current_brand() if brand is None else brand
    key = render_key(task, spec, brand, content=content)
    name = storage_name(key, spec)

    row = known.get(key) if known is not None else None
    if row is None:
        row = RenderedFile.objects.filter(cache_key=key).first()
    if row is not None and _exists(row.name):
        _touch(row)
        return _as_media(row)

    data, width, height, duration = produce(content, brand, spec)
    _store(name, data, spec.kind)
    now = timezone.now()
    values = {
        "name": name,
        "kind": spec.kind,
        "task": task if task.pk else None,
        "width": width,
        "height": height,
        "mime_type": MIME_TYPES[spec.format],
        "bytes": len(data),
        "duration": duration,
        "last_used_at": now,
        "verified_at": None,  # a new file: the first publish reads it again
    }
    row, created = RenderedFile.objects.get_or_create(cache_key=key, defaults=values)
    if not created:
        # Another worker recorded it first, or its file had gone: the file is ours now.
        RenderedFile.objects.filter(pk=row.pk).update(**values)
        row.refresh_from_db()
    if known is not None:
        known[key] = row  # the caller's copy stays current (a new file is not yet verified)
    logger.info("Rendered %s for task %s: %s (%s bytes)", spec.kind, task.pk, name, len(data))
    return _as_media(row)


def rendered_rows(task: Task, specs: list[MediaSpec], brand: Brand) -> dict[str, RenderedFile]:
    """The stored renders of ``specs`` for ``task`` that exist, by cache key: one query."""
    content = content_for(task)
    keys = [render_key(task, spec, brand, content=content) for spec in specs]
    return {row.cache_key: row for row in sql.select_in(RenderedFile, "cache_key", keys)}


def produce(
    content: CardContent, brand: Brand, spec: MediaSpec
) -> tuple[bytes, int, int, float | None]:
    """Draw and encode one medium: ``(bytes, width, height, duration)``; nothing is stored."""
    logo = load_logo(brand)
    try:
        if spec.kind == "video":
            question = draw_card(
                content, brand, "question_card", spec.width, spec.height, logo=logo, countdown=True
            )
            answer = draw_card(content, brand, "answer_card", spec.width, spec.height, logo=logo)
            data, duration = _encode_video_within(question, answer.image, spec)
            return data, spec.width, spec.height, duration
        card = draw_card(content, brand, spec.kind, spec.width, spec.height, logo=logo)
        return _encode_image_within(card.image, spec), spec.width, spec.height, None
    except MediaRenderError:
        raise
    except Exception as exc:  # a bug or an input nobody foresaw: fail this render, readably
        logger.exception("Rendering %s failed", spec.kind)
        raise MediaRenderError(
            f"The {spec.kind.replace('_', ' ')} could not be rendered ({type(exc).__name__})."
        ) from exc


def load_logo(brand: Brand) -> Image.Image | None:
    """The brand logo as RGBA, or None when there is none or it cannot be read (logged)."""
    if not brand.logo_name:
        return None
    try:
        with default_storage.open(brand.logo_name, "rb") as handle:
            image = Image.open(handle)
            image.load()
        return image.convert("RGBA")
    except Exception as exc:  # a missing or broken logo never stops a render
        logger.warning(
            "Brand logo %s cannot be used (%s); rendering without it",
            brand.logo_name,
            type(exc).__name__,
        )
        return None


def _encode_image_within(image: Image.Image, spec: MediaSpec) -> bytes:
    if spec.format == "jpeg":
        for quality in JPEG_QUALITIES:
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
            if buffer.tell() <= spec.max_bytes:
                return buffer.getvalue()
    else:
        buffer = io.BytesIO()
        # Run-length deflate: as small as level 6 on flat cards, several times faster.
        image.save(buffer, "PNG", compress_level=6, compress_type=zlib.Z_RLE)
        if buffer.tell() <= spec.max_bytes:
            return buffer.getvalue()
        buffer = io.BytesIO()  # a 256-colour palette is far smaller and looks the same here
        image.quantize(256).save(buffer, "PNG", optimize=True)
        if buffer.tell() <= spec.max_bytes:
            return buffer.getvalue()
    raise MediaRenderError(
        f"The {spec.kind.replace('_', ' ')} does not fit the platform's limit of "
        f"{spec.max_bytes} bytes even at the lowest quality."
    )


def _encode_video_within(
    question: CardRender, answer: Image.Image, spec: MediaSpec
) -> tuple[bytes, float]:
    seconds = video_seconds(spec)
    data, duration = encode_video(question, answer, seconds)
    if len(data) <= spec.max_bytes:
        return data, duration
    # Over the limit: constant bit rates that leave headroom, with leaner audio.
    budget = spec.max_bytes * 8 / duration
    for share in (0.85, 0.6):
        bit_rate = int(budget * share) - LEAN_AUDIO_BIT_RATE
        if bit_rate < MIN_VIDEO_BIT_RATE:
            break
        data, duration = encode_video(
            question, answer, seconds, bit_rate=bit_rate, audio_bit_rate=LEAN_AUDIO_BIT_RATE
        )
        if len(data) <= spec.max_bytes:
            return data, duration
    raise MediaRenderError(
        f"The video does not fit the platform's limit of {spec.max_bytes} bytes "
        "even at a lower bit rate."
    )


# --- storage ------------------------------------------------------------------------------


def _exists(name: str) -> bool:
    try:
        return bool(default_storage.exists(name))
    except Exception as exc:
        raise MediaStorageError(
            f"The media storage cannot be reached ({type(exc).__name__})."
        ) from exc


def _store(name: str, data: bytes, kind: MediaKind) -> None:
    """Save ``data`` under ``name`` unless a concurrent render already did (same name, same
    size); a storage that renamed our copy because theirs arrived first (FileSystemStorage)
    gets its duplicate deleted."""
    try:
        if default_storage.exists(name):
            if default_storage.size(name) == len(data):
                return
            # A leftover of a write that never finished (a worker killed mid-save).
            default_storage.delete(name)
        saved = default_storage.save(name, ContentFile(data))
        if saved != name:
            default_storage.delete(saved)
    except Exception as exc:
        logger.warning("Storing render %s failed: %s", name, type(exc).__name__)
        raise MediaStorageError(
            f"The rendered {kind.replace('_', ' ')} could not be stored: the media storage "
            f"refused it ({type(exc).__name__})."
        ) from exc


def _touch(row: RenderedFile) -> None:
    now = timezone.now()
    if now - row.last_used_at >= TOUCH_INTERVAL:
        RenderedFile.objects.filter(pk=row.pk).update(last_used_at=now)
        row.last_used_at = now


def _as_media(row: RenderedFile) -> RenderedMedia:
    return RenderedMedia(
        name=row.name,
        url=media_public_url(row.name),
        kind=cast(MediaKind, row.kind),
        width=row.width,
        height=row.height,
        mime_type=row.mime_type,
        bytes=row.bytes,
        duration=row.duration,
        cache_key=row.cache_key,
    )


# --- cleanup ------------------------------------------------------------------------------


def cleanup_old_renders(now: datetime | None = None) -> int:
    """Delete renders (file and row) unused for QUIZ_MEDIA_RENDER_RETENTION_DAYS; returns how
    many. A file the storage cannot delete keeps its row, so the next run tries again."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.QUIZ_MEDIA_RENDER_RETENTION_DAYS)
    deleted = 0
    for row in RenderedFile.objects.filter(last_used_at__lt=cutoff).iterator():
        try:
            default_storage.delete(row.name)
        except Exception as exc:
            logger.warning("Could not delete old render %s: %s", row.name, type(exc).__name__)
            continue
        # Only if nobody used it since we looked.
        deleted += RenderedFile.objects.filter(pk=row.pk, last_used_at__lt=cutoff).delete()[0]
    if deleted:
        logger.info("Deleted %s renders unused since %s", deleted, cutoff.date())
    return deleted
