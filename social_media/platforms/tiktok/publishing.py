"""A TikTok direct post as re-scheduled steps, resumed from ``post.platform_state``.

1. **start** (here): creator info (privacy options, longest video), then ``video/init`` —
   ``PULL_FROM_URL`` when the credential says the media domain is verified, otherwise
   ``FILE_UPLOAD``. The ``publish_id`` goes into the state at once (``WAITING``), so a
   worker dying later never initialises a second post.
2. **upload** (``upload.py``, ``FILE_UPLOAD`` only): chunks ``PUT`` in order, at most
   ``TIKTOK_UPLOAD_BYTES_PER_STEP`` bytes a step; an interrupted upload resumes from
   the bytes TikTok reports (``uploaded_bytes``), never from scratch while the upload URL
   lives. The upload URL carries a token, so the state keeps it encrypted.
3. **poll** (``status.py``): the publish status with a bounded backoff until ``PUBLISH_COMPLETE`` or
   ``FAILED`` (its ``fail_reason`` mapped to an outcome).

No step sleeps: each returns ``WAITING`` with ``retry_after`` and the worker is free
(``session.py``: the client that refreshes the token, the shared result helpers).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from quiz_backend.encryption import encrypt
from social_media.captions import content_for
from social_media.http import ApiError
from social_media.platforms.base import Outcome, PublishResult, platform_setting
from social_media.platforms.tiktok.chunks import ChunkPlan, plan_chunks
from social_media.platforms.tiktok.client import RATE_LIMIT_WAIT, TikTokError
from social_media.platforms.tiktok.privacy import (
    SELF_ONLY,
    UNAUDITED_NOTICE,
    AccountSettings,
    choose_level,
)
from social_media.platforms.tiktok.session import (
    FILE_UPLOAD,
    FIRST_POLL,
    PULL_FROM_URL,
    STEP_PROCESSING,
    STEP_UPLOAD,
    Api,
    credential_notice_set,
    failure,
    fit_title,
    is_spam,
    waiting,
)
from social_media.platforms.tiktok.status import poll
from social_media.platforms.tiktok.upload import upload

if TYPE_CHECKING:
    from quiz_media.specs import RenderedMedia
    from social_media.media import PostMedia
    from tasks.models import SocialMediaPost
    from webhooks.models import SocialMediaCredentials

logger = logging.getLogger("social_media")


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
    if not options:
        return (
            "TikTok: creator info lists no privacy level this account may post with; "
            "check the account in the TikTok app, then retry."
        )
    if not account.app_audited:
        return (
            "TikTok: the TikTok app is not audited, so it may only post privately (SELF_ONLY), "
            f"and this account offers {', '.join(options)}. Make the "
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
        return waiting(state, STEP_PROCESSING, FIRST_POLL)
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
    return waiting(state, STEP_UPLOAD, 0)


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
        if error.outcome == Outcome.RATE_LIMITED and state.get("publish_id") and not is_spam(error):
            # The 30-a-minute status window: a pause in the polling, not a failed attempt.
            step = str(post.platform_step or STEP_PROCESSING)
            return waiting(state, step, error.retry_after or RATE_LIMIT_WAIT)
        # A status read or creator info that failed: the state stays, the step is retried.
        return failure(error)


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
