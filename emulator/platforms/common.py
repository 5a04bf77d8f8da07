"""What the native-platform stand-ins share: settings, a clock, media fetching and probing.

The media probe is what the platforms do to a video or an image before they accept it:
the emulator fetches ``image_url``/``video_url`` (loopback only: it never reaches the
network) or takes the uploaded bytes, and reads them with Pillow and PyAV.
"""

from __future__ import annotations

import dataclasses
import io
import ipaddress
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import av
from PIL import Image, UnidentifiedImageError

FETCH_TIMEOUT = 10.0
LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


class Store:
    """One platform's objects and settings on one emulator (``EmulatorState.native``).

    ``lock`` is the emulator state's lock. ``offset`` moves the platform's clock forward
    (``advance_seconds`` on ``POST /_control/platforms/<name>``), so 24-hour windows,
    expiring containers, sessions and tokens can be tested without waiting.
    """

    def __init__(self, lock: threading.RLock, settings: Any) -> None:
        self.lock = lock
        self.settings = settings
        self.offset = 0.0
        self.ids = 0
        self.base_url = ""  # the emulator's URL, for links in answers

    def now(self) -> float:
        return time.time() + self.offset

    def next_number(self) -> int:
        with self.lock:
            self.ids += 1
            return self.ids

    def reset(self) -> None:
        """Forget the created objects (settings stay)."""
        raise NotImplementedError

    def snapshot(self) -> dict[str, Any]:
        raise NotImplementedError


def token(prefix: str, size: int = 24) -> str:
    return prefix + secrets.token_urlsafe(size)


def apply_settings(settings: Any, data: dict[str, Any]) -> str:
    """Set the dataclass ``settings``' fields from ``data``; the reason it refuses, or ``""``.

    Every value must have the type of the field's current value (numbers for numbers,
    ``true``/``false`` for flags, lists of strings for lists).
    """
    names = {f.name for f in dataclasses.fields(settings)}
    checked: dict[str, Any] = {}
    for key, value in data.items():
        if key not in names:
            return f"Unknown setting {key!r}; known: {', '.join(sorted(names))}."
        current = getattr(settings, key)
        if isinstance(current, bool):
            ok = isinstance(value, bool)
        elif isinstance(current, int | float):
            ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
            if ok and isinstance(current, int) and not isinstance(value, int):
                ok = float(value).is_integer()
                value = int(value)
        elif isinstance(current, list):
            ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
        else:
            ok = isinstance(value, str)
        if not ok:
            return f"{key} must be like {current!r}."
        checked[key] = value
    for key, value in checked.items():
        setattr(settings, key, value)
    return ""


# --- fetching -----------------------------------------------------------------------
class FetchError(Exception):
    """The media URL could not be fetched (not loopback, unreachable, not 200, too big)."""


def is_loopback_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if parts.hostname.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


class _LoopbackRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to another loopback URL: the emulator never leaves the host."""

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        if not is_loopback_url(newurl):
            raise FetchError("the media URL redirects away from 127.0.0.1 / localhost")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


# Never via a proxy, never off the host.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _LoopbackRedirects())


def fetch(url: str, limit: int) -> bytes:
    """GET ``url`` (loopback only) and return at most ``limit`` bytes; ``FetchError`` else.

    More than ``limit`` bytes raise ``FetchError`` with ``too_large`` set.
    """
    if not is_loopback_url(url):
        raise FetchError("the emulator only fetches media from 127.0.0.1 / localhost")
    try:
        with _OPENER.open(url, timeout=FETCH_TIMEOUT) as answer:  # loopback only
            data: bytes = answer.read(limit + 1)
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise FetchError(f"could not fetch the media: {error}") from None
    if len(data) > limit:
        raise TooLarge(f"the media is larger than {limit} bytes")
    return data


class TooLarge(FetchError):
    pass


# --- probing ------------------------------------------------------------------------
@dataclass(frozen=True)
class ImageInfo:
    format: str  # Pillow's name: "JPEG", "PNG", …
    width: int
    height: int
    size: int


@dataclass(frozen=True)
class VideoInfo:
    container: str  # FFmpeg's demuxer names, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    codec: str  # "h264", "hevc", "mpeg4", …
    width: int
    height: int
    duration: float  # seconds
    fps: float
    size: int
    audio_codec: str = ""
    audio_rate: int = 0

    @property
    def is_mp4_or_mov(self) -> bool:
        return "mp4" in self.container.split(",") or "mov" in self.container.split(",")

    @property
    def aspect(self) -> float:
        return self.width / self.height if self.height else 0.0


def probe_image(data: bytes) -> ImageInfo | None:
    """The image's format and size, or ``None`` when the bytes are no image Pillow reads."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return ImageInfo(str(image.format or ""), image.width, image.height, len(data))
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def probe_video(data: bytes) -> VideoInfo | None:
    """The video's container, codec, size, duration and frame rate, or ``None`` when the
    bytes are no video FFmpeg can open (or hold no video stream)."""
    if not data:
        return None
    try:
        with av.open(io.BytesIO(data), "r") as container:
            if not container.streams.video:
                return None
            video = container.streams.video[0]
            duration = 0.0
            if container.duration is not None:
                duration = container.duration / av.time_base
            elif video.duration is not None and video.time_base is not None:
                duration = float(video.duration * video.time_base)
            rate = video.average_rate or video.guessed_rate
            audio = container.streams.audio[0] if container.streams.audio else None
            return VideoInfo(
                container=str(container.format.name),
                codec=str(video.codec_context.name),
                width=int(video.codec_context.width),
                height=int(video.codec_context.height),
                duration=duration,
                fps=float(rate) if rate else 0.0,
                size=len(data),
                audio_codec=str(audio.codec_context.name) if audio else "",
                audio_rate=int(audio.codec_context.sample_rate or 0) if audio else 0,
            )
    except (av.FFmpegError, ValueError, IndexError):
        return None
