"""TikTok Content Posting API v2: the wire (endpoints, envelope, error mapping).

Every answer is ``{"data": {…}, "error": {"code": "ok", "message": "", "log_id": "…"}}``;
any ``error.code`` other than ``ok`` is a failure, whatever the HTTP status (creator info
answers its spam codes with HTTP 200). Facts: docs/platform-api-facts-native.md §3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from social_media.http import ApiClient, ApiError, parse_retry_after
from social_media.platforms.base import Outcome, platform_setting

if TYPE_CHECKING:
    import requests

# https://developers.tiktok.com/doc/content-posting-api-reference-query-creator-info
CREATOR_INFO = "v2/post/publish/creator_info/query/"
# https://developers.tiktok.com/doc/content-posting-api-reference-direct-post
DIRECT_POST_INIT = "v2/post/publish/video/init/"
# https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status
STATUS_FETCH = "v2/post/publish/status/fetch/"
# https://developers.tiktok.com/doc/tiktok-api-v2-video-query
VIDEO_QUERY = "v2/video/query/"

JSON_TYPE = "application/json; charset=UTF-8"
# TikTok's rate limits are one-minute sliding windows (tiktok-api-v2-rate-limit).
RATE_LIMIT_WAIT = 60.0
# The per-user daily post cap (spam_risk_too_many_posts) is unpublished; try again later.
SPAM_WAIT = 6 * 3600.0

AUTH_CODES = {"access_token_invalid", "scope_not_authorized", "scope_permission_missed"}
PERMANENT_CODES = {
    "invalid_params",
    "invalid_param",
    "invalid_file_upload",
    "privacy_level_option_mismatch",
    "url_ownership_unverified",
    "unaudited_client_can_only_post_to_private_accounts",
    "invalid_publish_id",
    "token_not_authorized_for_specified_publish_id",
    "app_version_check_failed",
}
# Spam answers: the target must slow down (spam=True). A ban does not lift by waiting.
SPAM_WAIT_CODES = {
    "spam_risk_too_many_posts",
    "spam_risk_too_many_pending_share",
    "spam_risk",
    "spam_risk_text",
}
SPAM_BANNED = "spam_risk_user_banned_from_posting"
# The app's daily cap of distinct posting users (unaudited apps: 5 a day).
APP_CAP = "reached_active_user_cap"

HINTS = {
    "access_token_invalid": "the access token is invalid or has expired",
    "scope_not_authorized": (
        "the token lacks a scope this needs (video.publish, video.list); "
        "reconnect the account granting it"
    ),
    "scope_permission_missed": "the token lacks a scope; reconnect the account granting it",
    "spam_risk_too_many_posts": (
        "the account reached TikTok's daily limit of posts through the API; trying again later"
    ),
    "spam_risk": "TikTok flagged the post as a spam risk; trying again later",
    "spam_risk_text": "TikTok flagged the caption as a spam risk; trying again later",
    SPAM_BANNED: "TikTok has banned this account from posting through the API",
    APP_CAP: "the TikTok app reached its daily cap of posting users; trying again later",
    "unaudited_client_can_only_post_to_private_accounts": (
        "the TikTok app is not audited, so it may only post privately (SELF_ONLY) "
        "to a private account"
    ),
    "url_ownership_unverified": (
        "the video URL's domain or prefix is not verified for this TikTok app"
    ),
    "privacy_level_option_mismatch": "the privacy level is not one the creator may use",
    "rate_limit_exceeded": "too many requests in the last minute",
}


@dataclass
class TikTokError(ApiError):
    """An ``ApiError`` with TikTok's ``error.code`` and whether it is a spam answer."""

    code: str = ""
    spam: bool = False


def classify(code: str, http_status: int | None) -> tuple[Outcome, bool, float | None] | None:
    """``(outcome, spam, wait)`` for a TikTok ``error.code``; ``None`` when it is not known."""
    if code in AUTH_CODES:
        return Outcome.AUTH, False, None
    if code in SPAM_WAIT_CODES:
        return Outcome.RATE_LIMITED, True, SPAM_WAIT
    if code == SPAM_BANNED:
        return Outcome.PERMANENT, True, None
    if code == APP_CAP:
        return Outcome.RATE_LIMITED, False, SPAM_WAIT
    if code == "rate_limit_exceeded":
        return Outcome.RATE_LIMITED, False, RATE_LIMIT_WAIT
    if code in PERMANENT_CODES:
        return Outcome.PERMANENT, False, None
    if code == "internal_error":
        return Outcome.TRANSIENT, False, None
    return None


def _error_parts(body: Any) -> tuple[str, str, str]:
    """``(code, message, log_id)`` of an envelope's ``error`` (empty strings when absent)."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", "", ""
    return (
        str(error.get("code") or ""),
        str(error.get("message") or ""),
        str(error.get("log_id") or error.get("logid") or ""),
    )


def video_url(username: str, post_id: str) -> str:
    """The video's public page (``TIKTOK_VIDEO_URL``), or the profile without a post id."""
    if not post_id:
        return f"https://www.tiktok.com/@{username}" if username else ""
    pattern = str(platform_setting("TIKTOK_VIDEO_URL"))
    return pattern.replace("{username}", username or "_").replace("{id}", post_id)


class TikTokClient(ApiClient):
    """Content Posting API v2 with a user access token (https://developers.tiktok.com/doc/)."""

    def __init__(self, *, token: str, base_url: str | None = None) -> None:
        super().__init__(
            base_url=base_url or platform_setting("TIKTOK_API_BASE_URL"),
            secrets=[token],
            platform_name="TikTok",
        )
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, path: str, body: dict[str, Any], *, read: bool = False, **kwargs: Any) -> Any:
        """POST ``body`` and return the envelope's ``data`` (``{}`` when absent).

        ``read``: the call changes nothing on TikTok, so an answer lost on the way is
        transient (a create that may have landed stays ``UNKNOWN``).
        """
        try:
            answer = self.request(
                "POST", path, json=body, headers={"Content-Type": JSON_TYPE}, **kwargs
            )
        except ApiError as error:
            if read and error.outcome == Outcome.UNKNOWN:
                error.outcome = Outcome.TRANSIENT
            raise
        code, _message, _log_id = _error_parts(answer)
        if code and code != "ok":
            raise self.envelope_error(self.last_status, answer)
        data = answer.get("data") if isinstance(answer, dict) else None
        return data if isinstance(data, dict) else {}

    # https://developers.tiktok.com/doc/content-posting-api-reference-query-creator-info
    def creator_info(self) -> dict[str, Any]:
        data: dict[str, Any] = self.call(CREATOR_INFO, {}, read=True)
        return data

    # https://developers.tiktok.com/doc/content-posting-api-reference-direct-post
    def init_direct_post(
        self, *, post_info: dict[str, Any], source_info: dict[str, Any]
    ) -> dict[str, Any]:
        data: dict[str, Any] = self.call(
            DIRECT_POST_INIT, {"post_info": post_info, "source_info": source_info}
        )
        self.last_excerpt = ""  # a FILE_UPLOAD answer carries the upload URL (its token)
        return data

    # https://developers.tiktok.com/doc/content-posting-api-reference-get-video-status
    def publish_status(self, *, publish_id: str) -> dict[str, Any]:
        data: dict[str, Any] = self.call(STATUS_FETCH, {"publish_id": publish_id}, read=True)
        return data

    # https://developers.tiktok.com/doc/tiktok-api-v2-video-query (at most 20 ids)
    def query_videos(self, *, video_ids: list[str], fields: tuple[str, ...]) -> list[dict]:
        data = self.call(
            VIDEO_QUERY,
            {"filters": {"video_ids": video_ids}},
            read=True,
            params={"fields": ",".join(fields)},
        )
        videos = data.get("videos")
        return [video for video in videos or [] if isinstance(video, dict)]

    def envelope_error(self, status: int | None, body: Any) -> TikTokError:
        code, message, log_id = _error_parts(body)
        known = classify(code, status)
        if known is not None:
            outcome, spam, wait = known
        elif status is not None and status >= 500:
            outcome, spam, wait = Outcome.TRANSIENT, False, None
        elif status == 429:
            outcome, spam, wait = Outcome.RATE_LIMITED, False, RATE_LIMIT_WAIT
        elif status == 401:
            outcome, spam, wait = Outcome.AUTH, False, None
        else:
            outcome, spam, wait = Outcome.PERMANENT, False, None
        text = f"HTTP {status}" + (f", {code}" if code else "")
        hint = HINTS.get(code)
        if hint:
            text += f": {hint}"
        if message:
            text += f" ({message.rstrip('.')})"
        if log_id:
            text += f" [log_id {log_id}]"
        return TikTokError(
            outcome,
            f"TikTok: {self.redact(text)}",
            http_status=status,
            retry_after=wait,
            excerpt=self.last_excerpt,
            code=code,
            spam=spam,
        )

    def error_from_response(self, response: requests.Response, body: Any) -> ApiError:
        error = self.envelope_error(response.status_code, body)
        header_wait = parse_retry_after(response.headers.get("Retry-After"))
        if header_wait is not None:
            error.retry_after = header_wait
        return error


class TikTokUploadClient(ApiClient):
    """``PUT`` of one chunk to the ``upload_url`` an init returned (it carries its token)."""

    def __init__(self, *, upload_url: str) -> None:
        super().__init__(base_url=upload_url, secrets=[upload_url], platform_name="TikTok upload")

    # https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide
    def put_chunk(self, *, data: bytes, first: int, total: int, content_type: str) -> int:
        """Send bytes ``first…first+len(data)-1`` of ``total``; return 206 (more) or 201 (all)."""
        headers = {
            "Content-Type": content_type,
            "Content-Range": f"bytes {first}-{first + len(data) - 1}/{total}",
        }
        try:
            self.request("PUT", self.base_url, data=data, headers=headers)
        except ApiError as error:
            # 206 and 201 come with an empty body, which the base client calls "not JSON".
            if error.http_status in (200, 201, 206):
                return error.http_status
            raise
        return self.last_status or 200

    def error_from_response(self, response: requests.Response, body: Any) -> ApiError:
        status = response.status_code
        meaning = {
            403: "the upload URL has expired",
            404: "TikTok knows no such upload",
            416: "the chunk does not follow what TikTok has received",
        }.get(status, "the chunk was refused")
        code, message, _log_id = _error_parts(body)
        detail = f" ({message.rstrip('.')})" if message else ""
        error = self.generic_error(response, f"HTTP {status}: {meaning}{detail}")
        return TikTokError(
            error.outcome,
            error.message,
            http_status=status,
            retry_after=error.retry_after,
            excerpt=error.excerpt,
            code=code,
        )
