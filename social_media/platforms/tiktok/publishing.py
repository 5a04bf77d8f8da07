"""A TikTok direct post as re-scheduled steps, resumed from ``post.platform_state``.

1. **start**: creator info (privacy options, longest video), then ``video/init`` —
   ``PULL_FROM_URL`` when the credential says the media domain is verified, otherwise
   ``FILE_UPLOAD``. The ``publish_id`` goes into the state at once (``WAITING``), so a
   worker dying later never initialises a second post.
2. **upload** (``FILE_UPLOAD``): chunks ``PUT`` in order, at most
   ``TIKTOK_UPLOAD_BYTES_PER_STEP`` bytes a step; an interrupted upload resumes from
   the bytes TikTok reports (``uploaded_bytes``), never from scratch while the upload URL
   lives. The upload URL carries a token, so the state keeps it encrypted.
3. **poll**: the publish status with a bounded backoff until ``PUBLISH_COMPLETE`` or
   ``FAILED`` (its ``fail_reason`` mapped to an outcome).

No step sleeps: each returns ``WAITING`` with ``retry_after`` and the worker is free.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.files.storage import default_storage

from quiz_backend.encryption import DecryptionError, decrypt, encrypt
from social_media.captions import content_for
from social_media.http import ApiError
from social_media.platforms.base import Outcome, PublishResult, platform_setting
from social_media.platforms.tiktok import oauth
from social_media.platforms.tiktok.chunks import ChunkPlan, plan_chunks
from social_media.platforms.tiktok.client import (
    RATE_LIMIT_WAIT,
    TikTokClient,
    TikTokError,
    TikTokUploadClient,
    video_url,
)
from social_media.platforms.tiktok.privacy import (
    SELF_ONLY,
    UNAUDITED_NOTICE,
    AccountSettings,
    choose_level,
)
from webhooks.models import SocialMediaCredentials

if TYPE_CHECKING:
    from quiz_media.specs import RenderedMedia
    from social_media.media import PostMedia
    from tasks.models import SocialMediaPost

logger = logging.getLogger("social_media")

T = TypeVar("T")

FILE_UPLOAD = "FILE_UPLOAD"
PULL_FROM_URL = "PULL_FROM_URL"
STEP_UPLOAD = "TikTok is receiving the video"
STEP_PROCESSING = "TikTok is processing the video"
STEP_MODERATION = "TikTok is reviewing the video before it is public"
# Status polls: 2, 4, 8 … seconds, at most a minute apart.
FIRST_POLL, MAX_POLL = 2.0, 60.0
# After PUBLISH_COMPLETE a public post gets its id once moderation passes ("usually under
# a minute, sometimes hours"): this many more polls, then it is published without one.
MODERATION_POLLS = 6
# TikTok's post_info.title: at most 2,200 UTF-16 code units.
TITLE_LIMIT = 2200
PROCESSING = {"PROCESSING_UPLOAD", "PROCESSING_DOWNLOAD"}

FAIL_REASONS: dict[str, tuple[Outcome, str]] = {
    "file_format_check_failed": (Outcome.PERMANENT, "TikTok refused the video's format"),
    "duration_check_failed": (Outcome.PERMANENT, "the video is longer than TikTok allows"),
    "frame_rate_check_failed": (
        Outcome.PERMANENT,
        "the video's frame rate is outside TikTok's 23-60 fps",
    ),
    "picture_size_check_failed": (
        Outcome.PERMANENT,
        "the video's size is outside TikTok's 360-4096 pixels a side",
    ),
    "publish_cancelled": (Outcome.PERMANENT, "the publish was cancelled"),
    "auth_removed": (Outcome.AUTH, "the account owner removed the app's access"),
    "internal": (Outcome.TRANSIENT, "TikTok had an internal error"),
    "video_pull_failed": (Outcome.TRANSIENT, "TikTok could not download the video"),
    "photo_pull_failed": (Outcome.TRANSIENT, "TikTok could not download the media"),
    "spam_risk_too_many_posts": (
        Outcome.RATE_LIMITED,
        "the account reached TikTok's daily limit of posts through the API",
    ),
    "spam_risk_text": (Outcome.RATE_LIMITED, "TikTok flagged the caption as a spam risk"),
    "spam_risk": (Outcome.RATE_LIMITED, "TikTok flagged the post as a spam risk"),
    "spam_risk_user_banned_from_posting": (
        Outcome.PERMANENT,
        "TikTok has banned this account from posting through the API",
    ),
}


def poll_wait(polls: int) -> float:
    """Seconds before status poll number ``polls + 1``: 2, 4, 8 … capped at a minute."""
    return min(FIRST_POLL * 2 ** max(polls, 0), MAX_POLL)


def fit_title(text: str, limit: int = TITLE_LIMIT) -> str:
    """``text`` cut to ``limit`` UTF-16 code units (emoji count twice), never mid-character."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:index].rstrip()
    return text


class Api:
    """The credential's client, refreshing the token ahead of expiry and once after a
    rejection (``access_token_invalid``), then repeating the call that was refused."""

    def __init__(self, credential: SocialMediaCredentials) -> None:
        self.credential = credential
        self.refreshed = False
        self.client = TikTokClient(token=credential.access_token)

    def refresh_if_due(self) -> PublishResult | None:
        """Refresh a token about to expire; a refusal is AUTH (the rest: try the old one)."""
        if not (oauth.expires_soon(self.credential) and oauth.refresh_possible(self.credential)):
            return None
        result = oauth.credential_refresh_token(credential=self.credential)
        self.refreshed = True
        self.client = TikTokClient(token=self.credential.access_token)
        if not result.ok and result.rejected:
            return PublishResult(Outcome.AUTH, error_message=f"TikTok: {result.message}")
        return None

    def run(self, call: Callable[[TikTokClient], T]) -> T:
        try:
            return call(self.client)
        except TikTokError as error:
            if error.code != "access_token_invalid" or self.refreshed:
                raise
            if not oauth.refresh_possible(self.credential):
                raise
            self.refreshed = True
            stale = self.credential.access_token
            result = oauth.credential_refresh_token(credential=self.credential, stale_token=stale)
            if not result.ok:
                outcome = Outcome.AUTH if result.rejected else Outcome.TRANSIENT
                raise TikTokError(
                    outcome,
                    f"{error.message} The token refresh failed: {result.message}",
                    http_status=error.http_status,
                    excerpt=error.excerpt,
                    code=error.code,
                ) from None
            self.client = TikTokClient(token=self.credential.access_token)
            return call(self.client)


def credential_notice_set(credential: SocialMediaCredentials, notice: str) -> None:
    """What TikTok said about the account, shown on the credential ("" clears it).

    The same as ``social_media.targets.credential_notice_set``, which a platform module
    cannot import (``targets`` imports the registry, which imports the platforms).
    """
    if credential.notice != notice:
        SocialMediaCredentials.objects.filter(pk=credential.pk).update(notice=notice)
        credential.notice = notice


def failure(error: ApiError, state: dict[str, Any] | None = None) -> PublishResult:
    spam = isinstance(error, TikTokError) and error.spam
    return PublishResult(
        error.outcome,
        http_status=error.http_status,
        error_message=error.message,
        retry_after=error.retry_after,
        response_excerpt=error.excerpt,
        state=state,
        spam=spam,
    )


def _notices(state: dict[str, Any]) -> str:
    notes = state.get("notices")
    return " ".join(n for n in notes if isinstance(n, str)) if isinstance(notes, list) else ""


def _waiting(state: dict[str, Any], step: str, wait: float) -> PublishResult:
    return PublishResult(
        Outcome.WAITING, state=state, step=step, retry_after=wait, notice=_notices(state)
    )


# --- 1. start --------------------------------------------------------------------------


def start(
    post: SocialMediaPost, credential: SocialMediaCredentials, video: RenderedMedia, api: Api
) -> PublishResult:
    account = AccountSettings.of(credential.extra_data)
    info = api.run(lambda client: client.creator_info())
    longest = info.get("max_video_post_duration_sec")
    if isinstance(longest, int | float) and video.duration and video.duration > longest:
        return PublishResult(
            Outcome.PERMANENT,
            error_message=(
                f"TikTok: the video is {video.duration:g} s long, but this account may post "
                f"at most {longest:g} s (creator info max_video_post_duration_sec). Shorten "
                "the video (QUIZ_MEDIA_VIDEO_SECONDS), then retry."
            ),
        )
    options = [o for o in info.get("privacy_level_options") or [] if isinstance(o, str)]
    level, why = choose_level(account.privacy_level, options, audited=account.app_audited)
    if level is None:
        return PublishResult(Outcome.PERMANENT, error_message=_no_level(account, options))
    notices = [why] if why else []
    if why == UNAUDITED_NOTICE:
        credential_notice_set(credential, UNAUDITED_NOTICE)
    username = str(info.get("creator_username") or "")
    caption = fit_title(content_for(post.task, "tiktok").description)
    post_info = {
        "title": caption,
        "privacy_level": level,
        "disable_comment": info.get("comment_disabled") is True,
        "disable_duet": info.get("duet_disabled") is True,
        "disable_stitch": info.get("stitch_disabled") is True,
        "brand_content_toggle": False,
        "brand_organic_toggle": False,
    }
    source = PULL_FROM_URL if account.pull_from_url else FILE_UPLOAD
    plan = plan_chunks(video.bytes, int(platform_setting("TIKTOK_UPLOAD_CHUNK_BYTES")))
    for _fallback in range(3):
        state: dict[str, Any] = {
            "source": source,
            "privacy": post_info["privacy_level"],
            "username": username,
            "notices": notices,
        }
        source_info = (
            {"source": PULL_FROM_URL, "video_url": video.url}
            if source == PULL_FROM_URL
            else plan.source_info()
        )
        try:
            data = _init(api, post_info, source_info)
        except TikTokError as error:
            if error.code == "unaudited_client_can_only_post_to_private_accounts":
                if post_info["privacy_level"] != SELF_ONLY and SELF_ONLY in options:
                    post_info["privacy_level"] = SELF_ONLY  # refused before anything was made
                    notices = [UNAUDITED_NOTICE]
                    credential_notice_set(credential, UNAUDITED_NOTICE)
                    continue
                credential_notice_set(credential, UNAUDITED_NOTICE)
            if error.code == "url_ownership_unverified" and source == PULL_FROM_URL:
                source = FILE_UPLOAD
                notices = [
                    *notices,
                    "TikTok refused to download the video from its URL (the domain is not "
                    'verified for the app), so it was uploaded; set "pull_from_url": false '
                    "or verify the media domain with TikTok.",
                ]
                continue
            return failure(error, {})
        except ApiError as error:
            # A lost answer: TikTok may have made the publish. Reconcile decides.
            return failure(error, {**state, "init_sent": True} if _lost(error) else {})
        return _started(state, data, plan, source)
    return PublishResult(Outcome.PERMANENT, error_message="TikTok: no way to post was accepted.")


def _init(api: Api, post_info: dict[str, Any], source_info: dict[str, Any]) -> dict[str, Any]:
    return api.run(
        lambda client: client.init_direct_post(post_info=post_info, source_info=source_info)
    )


def _lost(error: ApiError) -> bool:
    return error.outcome == Outcome.UNKNOWN


def _no_level(account: AccountSettings, options: list[str]) -> str:
    if not account.app_audited or not options:
        return (
            "TikTok: the TikTok app is not audited, so it may only post privately (SELF_ONLY), "
            f"and this account offers {', '.join(options) or 'no privacy level'}. Make the "
            "TikTok account private (or get the app audited), then retry."
        )
    return f"TikTok: none of the account's privacy levels can be used ({', '.join(options)})."


def _started(
    state: dict[str, Any], data: dict[str, Any], plan: ChunkPlan, source: str
) -> PublishResult:
    publish_id = str(data.get("publish_id") or "")
    if not publish_id:
        return PublishResult(
            Outcome.UNKNOWN,
            error_message="TikTok: the init answer has no publish_id; the publish may exist.",
            state={**state, "init_sent": True},
        )
    state = {**state, "publish_id": publish_id, "polls": 0}
    if source == PULL_FROM_URL:
        logger.info("🎬 TikTok: публикация %s начата (PULL_FROM_URL)", publish_id)
        return _waiting(state, STEP_PROCESSING, FIRST_POLL)
    upload_url = str(data.get("upload_url") or "")
    if not upload_url.startswith(("https://", "http://")):
        # That publish can never get its video; the next attempt starts a new one.
        return PublishResult(
            Outcome.TRANSIENT,
            error_message="TikTok: the FILE_UPLOAD init answer has no upload_url.",
            state={},
        )
    state.update(chunks=plan.as_state(), next_chunk=0, upload=encrypt(upload_url))
    logger.info("🎬 TikTok: публикация %s начата, %d частей", publish_id, plan.total_chunk_count)
    return _waiting(state, STEP_UPLOAD, 0)


# --- 2. upload -------------------------------------------------------------------------


def upload(state: dict[str, Any], video: RenderedMedia, api: Api) -> PublishResult:
    plan = ChunkPlan.from_state(state.get("chunks"))
    try:
        upload_url = decrypt(str(state.get("upload") or ""))
    except DecryptionError:
        upload_url = ""
    if plan is None or not upload_url or plan.video_size != video.bytes:
        return PublishResult(
            Outcome.TRANSIENT,
            error_message="TikTok: the unfinished upload cannot be resumed; starting over.",
            state={},
        )
    index = state.get("next_chunk")
    if state.get("resync") or not isinstance(index, int):
        status = api.run(lambda client: client.publish_status(publish_id=state["publish_id"]))
        received = status.get("uploaded_bytes")
        index = plan.index_at(received) if isinstance(received, int) else None
        if index is None:
            return PublishResult(
                Outcome.TRANSIENT,
                error_message=f"TikTok: the upload stopped mid-chunk ({received} bytes "
                "received); starting over.",
                state={},
            )
    try:
        return _send_chunks(state, video, plan, upload_url, index)
    except OSError as error:  # the stored video could not be read
        return PublishResult(
            Outcome.TRANSIENT,
            error_message=f"TikTok: the video file could not be read ({type(error).__name__}).",
            state={**state, "next_chunk": index, "resync": True},
        )


def _send_chunks(
    state: dict[str, Any], video: RenderedMedia, plan: ChunkPlan, upload_url: str, index: int
) -> PublishResult:
    """PUT chunks from ``index`` on, in order, until the step's byte budget is spent."""
    sender = TikTokUploadClient(upload_url=upload_url)
    budget = int(platform_setting("TIKTOK_UPLOAD_BYTES_PER_STEP"))
    sent = 0
    with default_storage.open(video.name, "rb") as file:
        while index < plan.total_chunk_count:
            first, length = plan.span(index)
            file.seek(first)
            chunk = file.read(length)
            try:
                answer = sender.put_chunk(
                    data=chunk, first=first, total=plan.video_size, content_type=video.mime_type
                )
            except ApiError as error:
                return _chunk_failed(error, state, index, plan)
            index += 1
            sent += length
            if answer == 201 or index >= plan.total_chunk_count:
                # All there: the upload URL (and its token) is no longer kept.
                done = {k: v for k, v in state.items() if k not in ("upload", "resync")}
                done.update(next_chunk=index, uploaded=True)
                return _waiting(done, STEP_PROCESSING, FIRST_POLL)
            if sent >= budget:
                break
    more = {**state, "next_chunk": index, "resync": False}
    return _waiting(more, f"{STEP_UPLOAD} (part {index + 1} of {plan.total_chunk_count})", 0)


def _chunk_failed(
    error: ApiError, state: dict[str, Any], index: int, plan: ChunkPlan
) -> PublishResult:
    where = f"part {index + 1} of {plan.total_chunk_count}"
    if error.http_status in (403, 404):
        # The upload URL expired or is gone: that publish never gets its video.
        message = f"{error.message} ({where}); a new upload starts on the next attempt."
        return PublishResult(Outcome.TRANSIENT, error_message=message, state={})
    if error.http_status == 400:
        return failure(error, {})
    # Cut off, 5xx, 416, 429: ask TikTok how much it has and go on from there.
    outcome = error.outcome if error.outcome == Outcome.RATE_LIMITED else Outcome.TRANSIENT
    return PublishResult(
        outcome,
        http_status=error.http_status,
        error_message=f"{error.message} (upload {where}); it resumes from what TikTok received.",
        retry_after=error.retry_after,
        state={**state, "next_chunk": index, "resync": True},
    )


# --- 3. poll ---------------------------------------------------------------------------


def poll(state: dict[str, Any], api: Api, credential: SocialMediaCredentials) -> PublishResult:
    publish_id = str(state["publish_id"])
    data = api.run(lambda client: client.publish_status(publish_id=publish_id))
    status = str(data.get("status") or "")
    polls = int(state.get("polls") or 0) + 1
    if status == "PUBLISH_COMPLETE":
        return _complete(state, data, polls, credential)
    if status == "FAILED":
        return _failed(state, str(data.get("fail_reason") or ""))
    if status == "SEND_TO_USER_INBOX":
        return PublishResult(
            Outcome.PERMANENT,
            error_message="TikTok put the video in the creator's inbox instead of posting it; "
            "finish it in the TikTok app.",
            state={},
        )
    if status not in PROCESSING:
        logger.warning("TikTok: неизвестный статус публикации %r — ждём дальше", status[:40])
    return _waiting({**state, "polls": polls}, STEP_PROCESSING, poll_wait(polls - 1))


def _complete(
    state: dict[str, Any], data: dict[str, Any], polls: int, credential: SocialMediaCredentials
) -> PublishResult:
    ids = data.get("publicaly_available_post_id") or data.get("publicly_available_post_id")
    post_id = str(ids[0]) if isinstance(ids, list) and ids else ""
    username = str(state.get("username") or "")
    notices = _notices(state)
    private = state.get("privacy") == SELF_ONLY
    if not post_id and not private:
        waited = int(state.get("moderation_polls") or 0) + 1
        if waited <= MODERATION_POLLS:
            more = {**state, "polls": polls, "moderation_polls": waited}
            return _waiting(more, STEP_MODERATION, poll_wait(waited))
        notices = (
            f"{notices} TikTok published the video but has not made it public yet "
            "(moderation); the link is the account's profile until then."
        ).strip()
    if private and not post_id:
        notices = (
            f"{notices} The video is private (SELF_ONLY): only the account owner sees it, and "
            "TikTok gives private videos no public id, so the link is the account's profile."
        ).strip()
    if not private and credential.notice == UNAUDITED_NOTICE:
        credential_notice_set(credential, "")  # a public post went out: the app is audited now
    publish_id = str(state["publish_id"])
    return PublishResult(
        Outcome.SUCCESS,
        post_id=post_id or publish_id,
        post_url=video_url(username, post_id),
        notice=notices,
        state={"publish_id": publish_id},
    )


def _failed(state: dict[str, Any], reason: str) -> PublishResult:
    outcome, meaning = FAIL_REASONS.get(reason, (Outcome.PERMANENT, "TikTok gave no known reason"))
    spam = reason.startswith("spam_risk")
    message = f"TikTok: the publish failed: {meaning} (fail_reason {reason or 'missing'})."
    if outcome == Outcome.TRANSIENT:
        message += " A new publish starts on the next attempt."
    return PublishResult(
        outcome,
        error_message=message,
        retry_after=6 * 3600.0 if outcome == Outcome.RATE_LIMITED else None,
        # The failed publish is over: a later attempt starts a new one.
        state={},
        spam=spam,
    )


# --- entry points ----------------------------------------------------------------------


def publish(
    post: SocialMediaPost, credential: SocialMediaCredentials, media: PostMedia
) -> PublishResult:
    state = dict(post.platform_state) if isinstance(post.platform_state, dict) else {}
    video = media.video
    if video is None:
        return PublishResult(Outcome.PERMANENT, error_message="TikTok: no video to post.")
    if not AccountSettings.of(credential.extra_data).open_id:
        return PublishResult(Outcome.PERMANENT, error_message=NO_OPEN_ID)
    api = Api(credential)
    refused = api.refresh_if_due()
    if refused is not None:
        return refused
    try:
        if not state.get("publish_id"):
            return start(post, credential, video, api)
        if state.get("source") == FILE_UPLOAD and not state.get("uploaded"):
            return upload(state, video, api)
        return poll(state, api, credential)
    except ApiError as error:
        if error.outcome == Outcome.RATE_LIMITED and state.get("publish_id") and not _spam(error):
            # The 30-a-minute status window: a pause in the polling, not a failed attempt.
            step = str(post.platform_step or STEP_PROCESSING)
            return _waiting(state, step, error.retry_after or RATE_LIMIT_WAIT)
        # A status read or creator info that failed: the state stays, the step is retried.
        return failure(error)


def _spam(error: ApiError) -> bool:
    return isinstance(error, TikTokError) and error.spam


def reconcile(post: SocialMediaPost, credential: SocialMediaCredentials) -> PublishResult | None:
    """After a lost answer or a dead worker: ask TikTok about the stored ``publish_id``.

    SUCCESS when the post is live; ``None`` otherwise, so ``publish`` goes on from the
    state (upload, poll) or starts, when nothing was made. An init whose answer was
    lost left no id to ask about: with ``FILE_UPLOAD`` that publish can never get its
    video (safe to start again); a ``PULL_FROM_URL`` one may post, and TikTok has no way
    to find it, so the post fails for a person to check rather than risk a second one.
    """
    state = dict(post.platform_state) if isinstance(post.platform_state, dict) else {}
    if not state.get("publish_id"):
        if state.get("init_sent") and state.get("source") == PULL_FROM_URL:
            return PublishResult(
                Outcome.PERMANENT,
                error_message="TikTok: the answer to the post request was lost, and TikTok "
                "offers no way to look the post up without it. Check the TikTok account; "
                "retry only if the video is not there.",
                state={},
            )
        return None
    api = Api(credential)
    try:
        found = poll(state, api, credential)
    except ApiError as error:
        return failure(error)
    return found if found.outcome == Outcome.SUCCESS else None


NO_OPEN_ID = (
    'TikTok: the credential has no open_id in its extra data ({"open_id": "…"}); '
    "set it in the admin, then retry."
)
