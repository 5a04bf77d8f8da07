"""``videos.insert`` as a resumable upload: start a session, send chunks, resume.

Protocol (https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol,
docs/platform-api-facts-native.md §2.1): ``POST`` the metadata with
``uploadType=resumable`` → 200 and the session URI in ``Location``; ``PUT`` chunks with
``Content-Range: bytes a-b/total`` → 308 and ``Range: bytes=0-N`` (what arrived), and 201
(or 200) with the video resource on the last byte; ``PUT`` with ``bytes */total`` asks
how much arrived (308 without ``Range``: nothing) or replays the final answer; a 404 means
the session is gone.

The session URI is a capability (whoever holds it can upload into the channel): it is
kept out of logs and messages, and only ever sent to the configured upload host.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings

from social_media.http import ApiError, _nothing_was_sent
from social_media.platforms.base import Outcome, platform_setting
from social_media.platforms.youtube_shorts.client import GoogleApiClient, YouTubeError
from social_media.platforms.youtube_shorts.conf import CHUNK_GRANULARITY

RANGE = re.compile(r"^bytes=(\d+)-(\d+)$")
# Interruptions (timeout, 5xx, cut connection) resumed within one publish call.
MAX_RESUMES = 3
SESSION_GONE = "session_gone"


def chunk_size() -> int:
    """``YOUTUBE_UPLOAD_CHUNK_SIZE`` rounded down to a multiple of 256 KiB."""
    wanted = int(platform_setting("YOUTUBE_UPLOAD_CHUNK_SIZE"))
    return max(wanted // CHUNK_GRANULARITY, 1) * CHUNK_GRANULARITY


def same_origin(url: str, reference: str) -> bool:
    """``url`` has the scheme, host and port of ``reference``."""
    a, b = urlsplit(url), urlsplit(reference)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port) and bool(a.hostname)


@dataclass(frozen=True)
class UploadStatus:
    """What the server holds: ``received`` bytes, or the finished ``video`` resource."""

    received: int
    video: dict[str, Any] | None = None
    forced_private_header: bool = False


class UploadClient(GoogleApiClient):
    """The upload host (``YOUTUBE_UPLOAD_URL``): sessions and chunks."""

    def __init__(self, *, token: str, upload_url: str | None = None) -> None:
        self.upload_url = upload_url or platform_setting("YOUTUBE_UPLOAD_URL")
        super().__init__(token=token, base_url=self.upload_url)

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """One request; a failed exchange raises a ``YouTubeError`` (TRANSIENT when nothing
        left, UNKNOWN when the server may have taken it), as ``ApiClient.request`` does."""
        timeout = self.timeout or settings.SOCIAL_MEDIA_HTTP_TIMEOUT
        try:
            response = self.session.request(
                method, url, timeout=timeout, allow_redirects=False, **kwargs
            )
        except requests.ConnectionError as exc:
            sent = not _nothing_was_sent(exc)
            raise YouTubeError(
                Outcome.UNKNOWN if sent else Outcome.TRANSIENT,
                f"{self.platform_name}: the upload connection "
                f"{'was cut' if sent else 'could not be opened'} ({type(exc).__name__}).",
            ) from None
        except requests.Timeout:
            raise YouTubeError(
                Outcome.UNKNOWN, f"{self.platform_name}: no upload answer within {timeout:g} s."
            ) from None
        except requests.RequestException as exc:
            raise YouTubeError(
                Outcome.UNKNOWN, f"{self.platform_name}: the upload failed ({type(exc).__name__})."
            ) from None
        self.last_status = response.status_code
        self.last_excerpt = self.excerpt(response.text)
        return response

    def _error(self, response: requests.Response) -> ApiError:
        return self.error_from_response(response, self._decode(response))

    # https://developers.google.com/youtube/v3/docs/videos/insert (uploadType=resumable)
    def start_session(
        self, *, metadata: dict[str, Any], total: int, content_type: str = "video/*"
    ) -> str:
        """Start an upload session; its URI (a capability: never log or show it)."""
        response = self._send(
            "POST",
            self.upload_url,
            params={"uploadType": "resumable", "part": "snippet,status"},
            json=metadata,
            headers={"X-Upload-Content-Length": str(total), "X-Upload-Content-Type": content_type},
        )
        if response.status_code >= 300:
            raise self._error(response)
        location = response.headers.get("Location", "")
        if not location or not same_origin(location, self.upload_url):
            # No video exists without its bytes: starting again is safe (one quota call lost).
            raise YouTubeError(
                Outcome.TRANSIENT,
                f"{self.platform_name}: the upload session answer has no usable session URI.",
                http_status=response.status_code,
                excerpt=self.last_excerpt,
            )
        self.secrets = [*self.secrets, location]
        return location

    def _status(self, response: requests.Response) -> UploadStatus:
        forced = response.headers.get("X-Emulator-Forced-Private", "").lower() == "true"
        if response.status_code in (200, 201):
            body = self._decode(response)
            if not isinstance(body, dict) or not str(body.get("id") or ""):
                raise YouTubeError(
                    Outcome.UNKNOWN,
                    f"{self.platform_name}: the finished upload's answer has no video id.",
                    http_status=response.status_code,
                    excerpt=self.last_excerpt,
                )
            return UploadStatus(received=-1, video=body, forced_private_header=forced)
        if response.status_code == 308:
            match = RANGE.match(response.headers.get("Range", "").strip())
            return UploadStatus(received=int(match.group(2)) + 1 if match else 0)
        if response.status_code == 404:
            raise YouTubeError(
                Outcome.TRANSIENT,
                f"{self.platform_name}: the upload session expired (HTTP 404); "
                "a new one is started.",
                http_status=404,
                excerpt=self.last_excerpt,
                reason=SESSION_GONE,
            )
        raise self._error(response)

    def put_chunk(self, session: str, data: bytes, first: int, total: int) -> UploadStatus:
        last = first + len(data) - 1
        response = self._send(
            "PUT",
            self._checked(session),
            data=data,
            headers={"Content-Range": f"bytes {first}-{last}/{total}"},
        )
        return self._status(response)

    def query(self, session: str, total: int) -> UploadStatus:
        """How much of the upload the server holds (or the finished video)."""
        response = self._send(
            "PUT",
            self._checked(session),
            data=b"",
            headers={"Content-Range": f"bytes */{total}", "Content-Length": "0"},
        )
        return self._status(response)

    def _checked(self, session: str) -> str:
        if not same_origin(session, self.upload_url):
            raise YouTubeError(
                Outcome.PERMANENT,
                f"{self.platform_name}: the stored upload session is not on the upload host.",
            )
        if session not in self.secrets:
            self.secrets = [*self.secrets, session]
        return session


def interrupted(error: ApiError) -> bool:
    """A chunk whose fate is unknown: ask the server how much it holds, then resume."""
    if isinstance(error, YouTubeError) and error.reason == SESSION_GONE:
        return False
    return error.outcome in (Outcome.UNKNOWN, Outcome.TRANSIENT)


def send_file(
    client: UploadClient,
    session: str,
    *,
    total: int,
    read: Callable[[int, int], bytes],
    start: int,
    budget_seconds: float,
) -> UploadStatus:
    """Send the file from ``start`` in chunks until the server answers with the video,
    or ``budget_seconds`` are used (then the status so far: the next call resumes).

    After an interruption the server is asked how much arrived and the upload goes on
    from there (at most ``MAX_RESUMES`` times per call); nothing is re-sent blindly.
    Raises ``YouTubeError`` / ``ApiError`` for what cannot be resumed now.
    """
    size = chunk_size()
    offset, resumes, stalls = start, 0, 0
    started = time.monotonic()
    while True:
        if time.monotonic() - started > budget_seconds:
            return UploadStatus(received=offset)
        if offset >= total:  # every byte is there, but no video came back yet: ask once
            status = client.query(session, total)
            if status.video is not None:
                return status
            raise YouTubeError(
                Outcome.TRANSIENT,
                f"{client.platform_name}: Google holds the whole upload but has not answered "
                "with the video yet.",
            )
        data = read(offset, min(size, total - offset))
        if not data:
            raise YouTubeError(
                Outcome.PERMANENT,
                f"{client.platform_name}: the stored video is shorter than the upload "
                f"({offset} of {total} bytes).",
            )
        try:
            status = client.put_chunk(session, data, offset, total)
        except ApiError as error:
            if not interrupted(error) or resumes >= MAX_RESUMES:
                raise
            resumes += 1
            status = client.query(session, total)
        else:
            if status.video is None and status.received <= offset:
                stalls += 1  # the chunk was answered but not kept: the server says where
                if stalls > MAX_RESUMES:
                    raise YouTubeError(
                        Outcome.TRANSIENT,
                        f"{client.platform_name}: the upload made no progress "
                        f"({status.received} of {total} bytes).",
                    )
        if status.video is not None:
            return status
        if status.received > total:
            raise YouTubeError(
                Outcome.PERMANENT,
                f"{client.platform_name}: the server reports {status.received} bytes of {total}.",
            )
        offset = status.received
