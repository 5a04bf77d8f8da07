"""Publishing one Short: the steps ``publish`` walks through, and ``reconcile``.

``post.platform_state`` (JSON, no clear-text secret):

- ``{}``: nothing started. Check the day's quota, refresh a token about to expire, start
  the upload session, store it and return WAITING: the session is on record before a
  byte is sent, so a worker dying later can always find the upload again.
- ``{"session": <encrypted URI>, "total", "requested_privacy", "video"}``: ask Google how
  much it holds, send the rest in chunks (for at most ``UPLOAD_BUDGET_SECONDS``, then
  WAITING again), and on the video resource: SUCCESS. A session Google no longer knows
  (404) is replaced by a new one; any other failure keeps the session for the next try.

Because the session is stored first and is asked before anything is sent, a Short is
never uploaded twice; ``reconcile`` asks the session too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from django.core.files.storage import default_storage

from quiz_backend.encryption import DecryptionError, decrypt, encrypt
from social_media.captions import content_for
from social_media.http import ApiError
from social_media.platforms.base import Outcome, PublishResult
from social_media.platforms.notices import credential_notice_set
from social_media.platforms.youtube_shorts import oauth, quota_usage
from social_media.platforms.youtube_shorts.client import (
    NAME,
    YouTubeClient,
    YouTubeError,
    short_url,
)
from social_media.platforms.youtube_shorts.lookup import find_upload
from social_media.platforms.youtube_shorts.metadata import video_metadata
from social_media.platforms.youtube_shorts.upload import (
    SESSION_GONE,
    UploadClient,
    UploadStatus,
    send_file,
)
from webhooks.models import SocialMediaCredentials

if TYPE_CHECKING:
    from social_media.media import PostMedia
    from tasks.models import SocialMediaPost

logger = logging.getLogger("social_media")

# Time one publish call spends sending chunks before it hands the post back (WAITING).
UPLOAD_BUDGET_SECONDS = 120.0
NEXT_STEP_SECONDS = 1.0
STEP_UPLOADING = "YouTube is receiving the video upload"
FORCED_PRIVATE = (
    "YouTube made the video private although {wanted} was asked: uploads from an "
    "unverified Google Cloud project stay private until the project passes Google's "
    "API audit (https://support.google.com/youtube/contact/yt_api_form). Make it {wanted} "
    "in YouTube Studio, or get the project verified."
)


def _extra(credential: SocialMediaCredentials) -> dict[str, Any]:
    return credential.extra_data if isinstance(credential.extra_data, dict) else {}


def _privacy(credential: SocialMediaCredentials) -> str:
    return str(_extra(credential).get("privacy_status") or "public")


def _failed(error: ApiError, state: dict[str, Any] | None = None) -> PublishResult:
    return PublishResult(
        outcome=error.outcome,
        http_status=error.http_status,
        error_message=error.message,
        retry_after=error.retry_after,
        response_excerpt=error.excerpt,
        state=state,
    )


def _session_of(state: dict[str, Any]) -> str:
    stored = state.get("session")
    if not isinstance(stored, str) or not stored:
        return ""
    try:
        return decrypt(stored)
    except DecryptionError:
        logger.error("🔑 YouTube: сессию загрузки не расшифровать — начинаем новую")
        return ""


def _reader(name: str) -> Callable[[int, int], bytes]:
    """Read ``length`` bytes at ``offset`` of the stored video."""

    def read(offset: int, length: int) -> bytes:
        with default_storage.open(name, "rb") as handle:
            handle.seek(offset)
            return bytes(handle.read(length))

    return read


def publish(
    post: SocialMediaPost, credential: SocialMediaCredentials, media: PostMedia
) -> PublishResult:
    video = media.video
    if video is None:
        return PublishResult(Outcome.PERMANENT, error_message=f"{NAME}: no video to upload.")
    if video.bytes <= 0:
        return PublishResult(Outcome.PERMANENT, error_message=f"{NAME}: the video is empty.")
    refused = oauth.token_ready(credential)
    if refused is not None:
        return refused
    state = dict(post.platform_state or {})
    session = _session_of(state)
    if state.get("session") and not session:
        # A session is on record but cannot be read: look for the upload before another.
        found = _look_in_uploads(post, credential)
        if found is not None:
            return found
    if session and state.get("video") == video.name and state.get("total") == video.bytes:
        result = _upload(credential, state, session)
        if result is not None:
            return result
        # Google no longer knows the session (404): nothing of it became a video.
        logger.warning("📤 Пост %s: сессия загрузки YouTube истекла — начинаем новую", post.pk)
    elif session:
        # The video was rendered again since the session started: the old upload is
        # dropped, unless it had already finished (its answer lost).
        finished = reconcile(post, credential)
        if finished is not None:
            return finished
    return _start(post, credential, video.name, video.bytes, video.mime_type)


def _start(
    post: SocialMediaPost, credential: SocialMediaCredentials, name: str, total: int, mime: str
) -> PublishResult:
    """Step 1: one ``videos.insert`` call of the day's quota; the session URI, stored."""
    over = quota_usage.exhausted(credential)
    if over is not None:
        return over
    privacy = _privacy(credential)
    metadata = video_metadata(
        content_for(post.task, "youtube_shorts"),
        privacy_status=privacy,
        made_for_kids=bool(_extra(credential).get("made_for_kids", False)),
    )
    for _try in range(2):
        client = UploadClient(token=credential.access_token)
        try:
            session = client.start_session(metadata=metadata, total=total, content_type=mime)
        except YouTubeError as error:
            quota_usage.record(credential, error)
            if error.outcome == Outcome.AUTH and _try == 0:
                repeat = oauth.refresh_after_401(credential, error)
                if repeat is None:
                    continue
                return repeat
            if error.outcome == Outcome.UNKNOWN:
                # A session nobody heard of holds no bytes: no video can come of it.
                error.outcome = Outcome.TRANSIENT
            return _failed(error, state={})
        except ApiError as error:
            return _failed(error, state={})
        quota_usage.record(credential)
        state = {
            "session": encrypt(session),
            "total": total,
            "video": name,
            "requested_privacy": privacy,
            "calls": 0,
        }
        logger.info("📤 Пост %s: сессия загрузки YouTube начата (%d байт)", post.pk, total)
        return PublishResult(
            Outcome.WAITING,
            http_status=client.last_status,
            state=state,
            step=STEP_UPLOADING,
            retry_after=NEXT_STEP_SECONDS,
        )
    raise AssertionError("unreachable")  # pragma: no cover


def _upload(
    credential: SocialMediaCredentials, state: dict[str, Any], session: str
) -> PublishResult | None:
    """Step 2: ask what Google holds, send the rest; the video resource ends it.

    ``None``: the session is gone (a new one must be started)."""
    total = int(state["total"])
    state["calls"] = int(state.get("calls") or 0) + 1
    for _try in range(2):
        client = UploadClient(token=credential.access_token)
        try:
            status = client.query(session, total)
            if status.video is None:
                status = send_file(
                    client,
                    session,
                    total=total,
                    read=_reader(str(state["video"])),
                    start=status.received,
                    budget_seconds=UPLOAD_BUDGET_SECONDS,
                )
        except YouTubeError as error:
            if error.reason == SESSION_GONE:
                return None
            if error.outcome == Outcome.AUTH and _try == 0:
                repeat = oauth.refresh_after_401(credential, error)
                if repeat is None:
                    continue
                return _with_state(repeat, state)
            return _resumable(error, state)
        except ApiError as error:
            return _resumable(error, state)
        except OSError as error:  # the stored video cannot be read now
            return PublishResult(
                Outcome.TRANSIENT,
                error_message=f"{NAME}: the stored video cannot be read ({type(error).__name__}).",
                state=state,
            )
        if status.video is None:
            return PublishResult(
                Outcome.WAITING,
                http_status=client.last_status,
                state=state,
                step=STEP_UPLOADING,
                retry_after=NEXT_STEP_SECONDS,
            )
        return _published(credential, status, state, client)
    raise AssertionError("unreachable")  # pragma: no cover


def _with_state(result: PublishResult, state: dict[str, Any]) -> PublishResult:
    return replace(result, state=state)


def _resumable(error: ApiError, state: dict[str, Any]) -> PublishResult:
    """A failure mid-upload keeps the session: the next attempt asks Google and resumes,
    so an unknown end is only a retry here, never a second upload."""
    if error.outcome == Outcome.UNKNOWN:
        error.outcome = Outcome.TRANSIENT
    return _failed(error, state=state)


def forced_private_notice(requested: str, video: dict[str, Any], header: bool) -> str:
    """The notice when YouTube made the upload private although another privacy was asked."""
    status = video.get("status")
    actual = str((status.get("privacyStatus") if isinstance(status, dict) else "") or "")
    if requested == "private" or (actual in ("", requested) and not header):
        return ""
    return FORCED_PRIVATE.format(wanted=requested)


def _published(
    credential: SocialMediaCredentials,
    status: UploadStatus,
    state: dict[str, Any],
    client: UploadClient,
) -> PublishResult:
    video = status.video or {}
    video_id = str(video.get("id") or "")
    notice = forced_private_notice(
        str(state.get("requested_privacy") or "public"), video, status.forced_private_header
    )
    # The account's notice follows its latest upload: set while uploads are forced
    # private, cleared once one keeps the privacy asked for (the project passed the audit).
    credential_notice_set(credential, notice)
    return PublishResult(
        Outcome.SUCCESS,
        post_id=video_id,
        post_url=short_url(video_id),
        http_status=client.last_status,
        response_excerpt=client.last_excerpt,
        state={},
        notice=notice,
    )


def reconcile(post: SocialMediaPost, credential: SocialMediaCredentials) -> PublishResult | None:
    """After an unknown end: ask the stored upload session.

    No session on record means no byte was sent (it is stored before the upload starts),
    so there is no video: safe to publish. A session that is still open or gone: safe
    (``publish`` resumes it or starts a new one). A finished one replays the video. A
    session on record that cannot be read: the channel's uploads are searched for the
    task's link instead.
    """
    state = dict(post.platform_state or {})
    if not state.get("session"):
        return None
    session = _session_of(state)
    if not session or not isinstance(state.get("total"), int):
        return _look_in_uploads(post, credential)
    client = UploadClient(token=credential.access_token)
    try:
        status = client.query(session, int(state["total"]))
    except YouTubeError as error:
        if error.reason == SESSION_GONE:
            return None
        return _failed(error)
    except ApiError as error:
        return _failed(error)
    if status.video is None:
        return None
    return _published(credential, status, state, client)


def _look_in_uploads(
    post: SocialMediaPost, credential: SocialMediaCredentials
) -> PublishResult | None:
    client = YouTubeClient(token=credential.access_token)
    try:
        video_id = find_upload(client, post)
    except ApiError as error:
        return _failed(error)
    if not video_id:
        return None  # not among the uploads: publish starts a new session
    return PublishResult(
        Outcome.SUCCESS,
        post_id=video_id,
        post_url=short_url(video_id),
        http_status=client.last_status,
        state={},
    )
