"""Instagram Graph API content publishing: the wire (endpoints, error codes and subcodes).

Facts (endpoints, shapes, codes, limits): docs/platform-api-facts-native.md, section 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from social_media.http import ApiClient, ApiError
from social_media.platforms.base import Outcome, platform_setting
from social_media.platforms.facebook.client import regain_access_seconds

if TYPE_CHECKING:
    import requests

    from webhooks.models import SocialMediaCredentials

# https://developers.facebook.com/docs/graph-api/guides/error-handling
AUTH_CODES = {190, 102}
THROTTLING_CODES = {4, 17, 32, 613, 80002}
TRANSIENT_CODES = {1, 2, -1, -2}
QUOTA_CODE = 9
# https://developers.facebook.com/documentation/instagram-platform/instagram-graph-api/reference/error-codes
QUOTA_SUBCODE = 2207042  # "maximum number of posts … Content Publishing API"
SPAM_SUBCODE = 2207051  # activity restricted (Instagram suspects spam)
ACCOUNT_RESTRICTED_SUBCODE = 2207050  # the user must sign in to the app
NOT_READY_SUBCODE = 2207027  # the container is not finished: poll it again
EXPIRED_SUBCODE = 2207020  # the container expired: create a new one
TRANSIENT_SUBCODES = {2207001, 2207003, 2207008, 2207020, 2207027, 2207032, 2207053}
# What each known subcode means, for the messages of containers that ended in ERROR.
SUBCODE_REASONS: dict[int, str] = {
    2207001: "Instagram server error",
    2207003: "the media download timed out",
    2207004: "the image is larger than 8 MiB",
    2207005: "the image format is not supported (JPEG only)",
    2207006: "possible permission error or expired token",
    2207008: "temporary error publishing the container",
    2207009: "the aspect ratio is not supported (4:5 to 1.91:1)",
    2207010: "the caption is too long (2,200 characters at most)",
    2207020: "the media expired",
    2207023: "the media type is unknown",
    2207026: "the video format is not supported",
    2207027: "the media is not ready for publishing",
    2207028: "a carousel needs 2 to 10 items",
    2207032: "creating the media failed",
    2207040: "more than 20 accounts are mentioned",
    2207042: "the account reached its Content Publishing API post limit",
    2207050: "the account is inactive or restricted",
    2207051: "activity restricted (Instagram suspects spam)",
    2207052: "the media could not be fetched from its URL",
    2207053: "unknown upload error",
    2207057: "the thumbnail offset is out of range",
}
DEFAULT_QUOTA_WAIT = 3600.0  # the quota error gives no time; Meta says "try the next day"
SPAM_WAIT = 6 * 3600.0
STATUS_SUBCODE = re.compile(r"\b(22070\d\d)\b")


def ig_user_of(credential: SocialMediaCredentials) -> str:
    extra = credential.extra_data if isinstance(credential.extra_data, dict) else {}
    return str(extra.get("ig_user_id") or "").strip()


def status_subcode(status: str) -> int | None:
    """The error subcode in a container's ``status`` text, e.g. "… error code 2207026"."""
    found = STATUS_SUBCODE.search(status or "")
    return int(found.group(1)) if found else None


def _text(answer: Any, name: str) -> str:
    """A string field of a JSON object answer; "" when absent or not an object."""
    value = answer.get(name) if isinstance(answer, dict) else None
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""


@dataclass
class GraphError(ApiError):
    """An ``ApiError`` carrying Graph's ``code`` and ``error_subcode`` (``None`` if absent)."""

    code: int | None = None
    subcode: int | None = None
    spam: bool = False


@dataclass(frozen=True)
class PublishingLimit:
    """``content_publishing_limit``: posts published in the window, and the window."""

    usage: int
    total: int | None
    duration: int | None


class InstagramClient(ApiClient):
    """Instagram Graph API, content publishing for a professional account.

    https://developers.facebook.com/docs/instagram-platform/content-publishing/
    """

    def __init__(self, *, token: str, base_url: str | None = None) -> None:
        super().__init__(
            base_url=base_url or platform_setting("INSTAGRAM_GRAPH_API_BASE_URL"),
            secrets=[token],
            platform_name="Instagram",
        )
        # The token travels in a header, never in a URL that could be logged.
        self.session.headers["Authorization"] = f"Bearer {token}"

    # https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media
    def create_container(self, *, ig_user_id: str, **params: str) -> str:
        """Create a media container; its id (``ApiError`` UNKNOWN when the answer has none)."""
        answer = self.request("POST", f"{ig_user_id}/media", data=params)
        container_id = _text(answer, "id")
        if not container_id:
            raise GraphError(
                Outcome.TRANSIENT,
                "Instagram: the container answer has no id.",
                http_status=self.last_status,
                excerpt=self.last_excerpt,
            )
        return container_id

    # https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-container
    def container_status(self, *, container_id: str) -> tuple[str, str]:
        """``(status_code, status)`` of a container, e.g. ``("ERROR", "Error: … 2207026")``."""
        answer = self.request("GET", container_id, params={"fields": "status_code,status"})
        return _text(answer, "status_code").upper(), _text(answer, "status")

    # https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media_publish
    def media_publish(self, *, ig_user_id: str, creation_id: str) -> str:
        """Publish a finished container; the new media's id ("" when the answer has none)."""
        answer = self.request(
            "POST", f"{ig_user_id}/media_publish", data={"creation_id": creation_id}
        )
        return _text(answer, "id")

    # https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-media
    def get_media(self, *, media_id: str, fields: str = "id,permalink") -> dict[str, Any]:
        answer = self.request("GET", media_id, params={"fields": fields})
        return answer if isinstance(answer, dict) else {}

    # https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/content_publishing_limit
    def publishing_limit(self, *, ig_user_id: str) -> PublishingLimit:
        answer = self.request(
            "GET",
            f"{ig_user_id}/content_publishing_limit",
            params={"fields": "config,quota_usage"},
        )
        data = answer.get("data") if isinstance(answer, dict) else None
        entry = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else {}
        found = entry.get("config")
        config: dict[str, Any] = found if isinstance(found, dict) else {}
        return PublishingLimit(
            usage=_count(entry.get("quota_usage")) or 0,
            total=_count(config.get("quota_total")),
            duration=_count(config.get("quota_duration")),
        )

    # https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user
    def get_user(self, *, ig_user_id: str) -> dict[str, Any]:
        answer = self.request("GET", ig_user_id, params={"fields": "id,username"})
        return answer if isinstance(answer, dict) else {}

    # https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media
    # (GET: the account's media, newest first, cursor paging like every Graph edge)
    def recent_media(
        self, *, ig_user_id: str, limit: int = 50, after: str = ""
    ) -> tuple[list[dict[str, Any]], str]:
        """One page of the account's media (newest first) and the next cursor ("" at the end)."""
        params = {"fields": "id,caption,permalink,timestamp", "limit": str(limit)}
        if after:
            params["after"] = after
        answer = self.request("GET", f"{ig_user_id}/media", params=params)
        items = answer.get("data") if isinstance(answer, dict) else None
        media = (
            [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
        )
        paging = answer.get("paging") if isinstance(answer, dict) else None
        if not isinstance(paging, dict) or not paging.get("next"):
            return media, ""
        cursors = paging.get("cursors")
        following = cursors.get("after") if isinstance(cursors, dict) else None
        return media, following if isinstance(following, str) else ""

    # https://developers.facebook.com/documentation/instagram-platform/reference/instagram-media/insights
    def media_insights(self, *, media_id: str, metrics: tuple[str, ...]) -> list[dict[str, Any]]:
        answer = self.request("GET", f"{media_id}/insights", params={"metric": ",".join(metrics)})
        data = answer.get("data") if isinstance(answer, dict) else None
        return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []

    def error_from_response(self, response: requests.Response, body: Any) -> ApiError:
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            generic = self.generic_error(response, f"HTTP {response.status_code}")
            return GraphError(
                generic.outcome,
                generic.message,
                http_status=generic.http_status,
                retry_after=generic.retry_after,
                excerpt=generic.excerpt,
            )
        code = error.get("code") if isinstance(error.get("code"), int) else None
        subcode = (
            error.get("error_subcode") if isinstance(error.get("error_subcode"), int) else None
        )
        text = error.get("error_user_msg") or error.get("message") or "unknown error"
        message = f"HTTP {response.status_code}, code {code}"
        if subcode:
            message += f"/{subcode}"
        message += f": {text}"
        generic = self.generic_error(response, message)
        result = GraphError(
            _outcome(response.status_code, code, subcode, error.get("is_transient") is True),
            generic.message,
            http_status=generic.http_status,
            retry_after=generic.retry_after,
            excerpt=generic.excerpt,
            code=code,
            subcode=subcode,
            spam=subcode == SPAM_SUBCODE,
        )
        if result.outcome == Outcome.RATE_LIMITED and result.retry_after is None:
            if subcode == QUOTA_SUBCODE or code == QUOTA_CODE:
                result.retry_after = DEFAULT_QUOTA_WAIT
            elif subcode == SPAM_SUBCODE:
                result.retry_after = SPAM_WAIT
            else:
                result.retry_after = regain_access_seconds(response.headers)
        return result


def _outcome(status: int, code: int | None, subcode: int | None, is_transient: bool) -> Outcome:
    """Graph's code and subcode (§1.7 of the facts) as one of our outcomes."""
    if code in AUTH_CODES or subcode == ACCOUNT_RESTRICTED_SUBCODE:
        return Outcome.AUTH
    if (
        status == 429
        or code in THROTTLING_CODES
        or code == QUOTA_CODE
        or subcode in (QUOTA_SUBCODE, SPAM_SUBCODE)
    ):
        return Outcome.RATE_LIMITED
    if subcode in TRANSIENT_SUBCODES or code in TRANSIENT_CODES or is_transient:
        return Outcome.TRANSIENT
    if subcode in SUBCODE_REASONS:
        return Outcome.PERMANENT
    if status >= 500 or status == 408:
        return Outcome.TRANSIENT
    if status == 401:
        return Outcome.AUTH
    return Outcome.PERMANENT


def _count(value: Any) -> int | None:
    """A non-negative whole number from an answer, else ``None``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value
