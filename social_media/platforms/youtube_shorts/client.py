"""YouTube Data API v3 and Google's token endpoint: the wire and the error mapping.

Errors come in Google's envelope ``{"error": {"code", "message", "errors": [{"reason",
"domain", "message"}]}}``; the outcome follows ``errors[0].reason`` (facts:
docs/platform-api-facts-native.md §2.4). The token endpoint answers OAuth errors
``{"error": "invalid_grant", "error_description": …}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from social_media.http import ApiClient, ApiError
from social_media.platforms.base import Outcome, platform_setting
from social_media.platforms.youtube_shorts.quota import seconds_until_reset

if TYPE_CHECKING:
    import requests

NAME = "YouTube"

# The daily quota (the videos.insert bucket or the 10,000 units): wait for PT midnight.
QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded"}
# The channel's own upload cap: "try again in 24 hours".
UPLOAD_LIMIT_REASONS = {"uploadLimitExceeded"}
UPLOAD_LIMIT_WAIT = 24 * 3600.0
# Short-term throttling.
THROTTLE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
# The token cannot act for the channel: refresh once, then reconnect.
AUTH_REASONS = {
    "authError",
    "authorizationRequired",
    "forbidden",
    "insufficientPermissions",
    "authenticatedUserAccountClosed",
    "authenticatedUserAccountSuspended",
    "authenticatedUserNotChannel",
}
# An account without a channel: no token helps.
PERMANENT_REASONS = {"youtubeSignupRequired"}


def short_url(video_id: str) -> str:
    """The Short's public page (``YOUTUBE_SHORT_URL``)."""
    return str(platform_setting("YOUTUBE_SHORT_URL")).replace("{id}", video_id)


@dataclass
class YouTubeError(ApiError):
    """An ``ApiError`` that keeps Google's ``reason`` (``quotaExceeded``, ``authError``…)."""

    reason: str = ""


def google_reason(body: Any) -> tuple[str, str]:
    """``(reason, message)`` from Google's error envelope; ``("", "")`` when it is not one."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", ""
    message = error.get("message")
    items = error.get("errors")
    first = items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}
    reason = first.get("reason")
    return (
        reason if isinstance(reason, str) else "",
        message if isinstance(message, str) and message else str(first.get("message") or ""),
    )


def classify(error: ApiError, status: int, reason: str) -> YouTubeError:
    """Refine the generic HTTP classification by Google's ``reason``."""
    outcome, retry_after = error.outcome, error.retry_after
    if reason in QUOTA_REASONS:
        outcome, retry_after = Outcome.RATE_LIMITED, seconds_until_reset()
    elif reason in UPLOAD_LIMIT_REASONS:
        outcome, retry_after = Outcome.RATE_LIMITED, max(retry_after or 0, UPLOAD_LIMIT_WAIT)
    elif reason in THROTTLE_REASONS:
        outcome = Outcome.RATE_LIMITED
    elif reason in PERMANENT_REASONS:
        outcome = Outcome.PERMANENT
    elif reason in AUTH_REASONS or status == 401:
        outcome = Outcome.AUTH
    return YouTubeError(
        outcome,
        error.message,
        http_status=error.http_status,
        retry_after=retry_after,
        excerpt=error.excerpt,
        reason=reason,
    )


class GoogleApiClient(ApiClient):
    """What every YouTube client shares: the bearer token and the error mapping."""

    def __init__(self, *, token: str, base_url: str, secrets: tuple[str, ...] = ()) -> None:
        super().__init__(base_url=base_url, secrets=[token, *secrets], platform_name=NAME)
        self.session.headers["Authorization"] = f"Bearer {token}"

    def error_from_response(self, response: requests.Response, body: Any) -> ApiError:
        reason, message = google_reason(body)
        text = f"HTTP {response.status_code}"
        if reason or message:
            text = f"HTTP {response.status_code}, {reason or 'error'}: {message}".rstrip(": ")
        return classify(self.generic_error(response, text), response.status_code, reason)


class YouTubeClient(GoogleApiClient):
    """The Data API's reads (https://developers.google.com/youtube/v3/docs)."""

    def __init__(self, *, token: str, base_url: str | None = None) -> None:
        super().__init__(token=token, base_url=base_url or platform_setting("YOUTUBE_API_BASE_URL"))

    # https://developers.google.com/youtube/v3/docs/videos/list (≤50 ids, 1 unit)
    def list_videos(self, *, ids: list[str], parts: str = "snippet,status") -> list[dict]:
        body = self.request("GET", "videos", params={"id": ",".join(ids), "part": parts})
        items = body.get("items") if isinstance(body, dict) else None
        return [item for item in items or [] if isinstance(item, dict)]

    # https://developers.google.com/youtube/v3/docs/channels/list (mine=true, 1 unit)
    def my_channels(self, parts: str = "snippet") -> list[dict]:
        body = self.request("GET", "channels", params={"mine": "true", "part": parts})
        items = body.get("items") if isinstance(body, dict) else None
        return [item for item in items or [] if isinstance(item, dict)]

    # https://developers.google.com/youtube/v3/docs/playlistItems/list (1 unit a page)
    def playlist_page(self, *, playlist_id: str, page_token: str = "") -> tuple[list[dict], str]:
        """One page (50) of a playlist's items, newest first for uploads; the next token."""
        params = {"playlistId": playlist_id, "part": "snippet", "maxResults": "50"}
        if page_token:
            params["pageToken"] = page_token
        body = self.request("GET", "playlistItems", params=params)
        items = body.get("items") if isinstance(body, dict) else None
        following = body.get("nextPageToken") if isinstance(body, dict) else None
        found = [item for item in items or [] if isinstance(item, dict)]
        return found, following if isinstance(following, str) else ""
