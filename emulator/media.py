"""Fetching and probing media the way the platforms do, on loopback only.

Pinterest, Facebook and the Make.com scenarios download the image or video URL they
are given and refuse what their platform would (see docs/media.md). The emulator
never fetches from anywhere but 127.0.0.1 / ::1 / localhost, so it cannot be used to
reach the network.
"""

from __future__ import annotations

import io
import ipaddress
import socket
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

FETCH_TIMEOUT = 10
MAX_FETCH_BYTES = 200 * 1024 * 1024  # the emulator's own cap; real limits are checked after
CHUNK = 256 * 1024


@dataclass
class Fetched:
    """A downloaded body, or why the download failed (``error``)."""

    url: str
    body: bytes = b""
    content_type: str = ""
    error: str = ""
    too_large: bool = False
    info: dict[str, Any] = field(default_factory=dict)


def is_loopback_url(url: str) -> bool:
    """True when ``url`` is http(s) and its host is (resolves only to) loopback."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    return bool(addresses) and all(address.is_loopback for address in addresses)


def fetch(url: str, max_bytes: int = MAX_FETCH_BYTES) -> Fetched:
    """GET ``url`` from loopback, at most ``max_bytes``; never raises."""
    result = Fetched(url=url)
    if not is_loopback_url(url):
        result.error = "the emulator only fetches media from 127.0.0.1"
        return result
    deadline = time.monotonic() + FETCH_TIMEOUT  # for the whole body
    try:
        with requests.get(url, stream=True, timeout=FETCH_TIMEOUT, allow_redirects=False) as answer:
            if answer.status_code != 200:
                result.error = f"HTTP {answer.status_code}"
                return result
            result.content_type = answer.headers.get("Content-Type", "")
            body = bytearray()
            for chunk in answer.iter_content(CHUNK):
                body.extend(chunk)
                if len(body) > max_bytes:
                    result.error, result.too_large = "too large", True
                    return result
                if time.monotonic() > deadline:
                    result.error = "download timed out"
                    return result
            result.body = bytes(body)
    except requests.RequestException as exc:
        result.error = type(exc).__name__
    return result


def probe_image(body: bytes) -> dict[str, Any] | None:
    """``{"format", "width", "height", "bytes"}`` of an image, ``None`` when unreadable."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(body)) as image:
            image.verify()
            return {
                "format": image.format or "",
                "width": image.width,
                "height": image.height,
                "bytes": len(body),
            }
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None


def probe_video(body: bytes) -> dict[str, Any] | None:
    """Container, codec, size, frame rate and duration of a video (PyAV), ``None`` if unreadable."""
    import av

    try:
        with av.open(io.BytesIO(body), mode="r") as container:
            if not container.streams.video:
                return None
            stream = container.streams.video[0]
            duration = (container.duration or 0) / 1_000_000
            if not duration and stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            rate = stream.average_rate or stream.guessed_rate
            return {
                "container": container.format.name,
                "codec": stream.codec_context.name,
                "width": stream.codec_context.width,
                "height": stream.codec_context.height,
                "fps": round(float(rate), 3) if rate else 0.0,
                "duration": round(duration, 3),
                "bytes": len(body),
            }
    except (av.FFmpegError, ValueError, IndexError):
        return None
