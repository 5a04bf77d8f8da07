"""Step 3 of a TikTok direct post: the publish status, polled until it ends.

``PUBLISH_COMPLETE`` → published (with the public id once moderation gives one);
``FAILED`` → its ``fail_reason`` mapped to an outcome (docs/platform-api-facts-native.md §3.4).
https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status
"""

from __future__ import annotations

import logging
from typing import Any

from social_media.platforms.base import Outcome, PublishResult
from social_media.platforms.tiktok.client import SPAM_WAIT, video_url
from social_media.platforms.tiktok.privacy import SELF_ONLY, UNAUDITED_NOTICE
from social_media.platforms.tiktok.session import (
    STEP_MODERATION,
    STEP_PROCESSING,
    Api,
    credential_notice_set,
    notices_of,
    poll_wait,
    waiting,
)
from webhooks.models import SocialMediaCredentials

logger = logging.getLogger("social_media")

# After PUBLISH_COMPLETE a public post gets its id once moderation passes ("usually under
# a minute, sometimes hours"): this many more polls, then it is published without one.
MODERATION_POLLS = 6
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
    return waiting({**state, "polls": polls}, STEP_PROCESSING, poll_wait(polls - 1))


def _complete(
    state: dict[str, Any], data: dict[str, Any], polls: int, credential: SocialMediaCredentials
) -> PublishResult:
    ids = data.get("publicaly_available_post_id") or data.get("publicly_available_post_id")
    post_id = str(ids[0]) if isinstance(ids, list) and ids else ""
    username = str(state.get("username") or "")
    notices = notices_of(state)
    private = state.get("privacy") == SELF_ONLY
    if not post_id and not private:
        waited = int(state.get("moderation_polls") or 0) + 1
        if waited <= MODERATION_POLLS:
            more = {**state, "polls": polls, "moderation_polls": waited}
            return waiting(more, STEP_MODERATION, poll_wait(waited))
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
        retry_after=SPAM_WAIT if outcome == Outcome.RATE_LIMITED else None,
        # The failed publish is over: a later attempt starts a new one.
        state={},
        spam=spam,
    )
