"""Facebook Graph API for Pages: the wire (endpoints, error codes, appsecret_proof)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from social_media.http import ApiClient, ApiError
from social_media.platforms.base import Outcome, platform_setting

if TYPE_CHECKING:
    import requests

    from webhooks.models import SocialMediaCredentials

# https://developers.facebook.com/docs/graph-api/guides/error-handling
THROTTLING_CODES = {4, 17, 32, 341, 613, 80001}
TRANSIENT_CODES = {1, 2}
POLICY_BLOCK_CODE = 368
AUTH_CODES = {190, 102}
PERMISSION_CODES = {3, 10} | set(range(200, 300))
POST_URL = "https://www.facebook.com/{id}"
NO_PAGE = (
    'Facebook: the credential has no page_id in its extra data ({"page_id": "…"}); '
    "set it in the admin, then retry."
)


def page_of(credential: SocialMediaCredentials) -> str:
    extra = credential.extra_data if isinstance(credential.extra_data, dict) else {}
    return str(extra.get("page_id") or "").strip()


def compute_appsecret_proof(token: str, app_secret: str) -> str:
    """``appsecret_proof`` for Graph calls when the app requires it."""
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def regain_access_seconds(headers: Any) -> float | None:
    """Minutes until access returns, from ``X-Business-Use-Case-Usage``, in seconds."""
    raw = headers.get("X-Business-Use-Case-Usage")
    if not raw:
        return None
    try:
        usage = json.loads(raw)
    except ValueError:
        return None
    minutes = [
        entry.get("estimated_time_to_regain_access", 0)
        for entries in (usage.values() if isinstance(usage, dict) else [])
        for entry in (entries if isinstance(entries, list) else [])
        if isinstance(entry, dict)
    ]
    numbers = [m for m in minutes if isinstance(m, int | float) and m > 0]
    return max(numbers) * 60 if numbers else None


def _field(answer: Any, name: str) -> str:
    """A string field of a JSON object answer; "" when absent or not an object."""
    return str(answer.get(name) or "") if isinstance(answer, dict) else ""


class GraphClient(ApiClient):
    """Facebook Graph API for Pages (https://developers.facebook.com/docs/pages-api)."""

    def __init__(
        self, *, token: str, base_url: str | None = None, secrets: Iterable[str] = ()
    ) -> None:
        app_secret = platform_setting("FACEBOOK_APP_SECRET")
        super().__init__(
            base_url=base_url or platform_setting("FACEBOOK_GRAPH_API_BASE_URL"),
            secrets=[token, app_secret, *secrets],
            platform_name="Facebook",
        )
        # The token travels in a header, never in a URL that could be logged.
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.common: dict[str, str] = {}
        if app_secret:
            self.common["appsecret_proof"] = compute_appsecret_proof(token, app_secret)

    # https://developers.facebook.com/docs/graph-api/reference/page/photos/
    def publish_photo(self, *, page_id: str, image_url: str, caption: str) -> dict[str, Any]:
        return self.request(
            "POST", f"{page_id}/photos", data={"url": image_url, "caption": caption, **self.common}
        )

    # https://developers.facebook.com/docs/pages-api/posts
    def publish_feed_post(self, *, page_id: str, message: str, link: str) -> dict[str, Any]:
        return self.request(
            "POST", f"{page_id}/feed", data={"message": message, "link": link, **self.common}
        )

    # https://developers.facebook.com/docs/graph-api/reference/page/
    def get_page(self, *, page_id: str) -> dict[str, Any]:
        return self.request("GET", page_id, params={"fields": "id,name", **self.common})

    # https://developers.facebook.com/docs/facebook-login/guides/access-tokens/debugging
    def debug_token(self, *, input_token: str) -> dict[str, Any]:
        """What Facebook knows about ``input_token``; this client must hold an app token."""
        body = self.request("GET", "debug_token", params={"input_token": input_token})
        data = body.get("data") if isinstance(body, dict) else None
        return data if isinstance(data, dict) else {}

    def get_permalink(self, *, post_id: str) -> str:
        body = self.request("GET", post_id, params={"fields": "permalink_url", **self.common})
        return str(body.get("permalink_url") or "") if isinstance(body, dict) else ""

    # https://developers.facebook.com/docs/graph-api/reference/page/published_posts/
    # Cursor paging (https://developers.facebook.com/docs/graph-api/results): follow
    # paging.cursors.after while paging.next is present.
    def recent_posts(
        self, *, page_id: str, limit: int = 100, after: str = ""
    ) -> tuple[list[dict[str, Any]], str]:
        """One page of posts (newest first) and the next page's cursor ("" at the end)."""
        params = {
            "fields": "id,message,permalink_url,created_time",
            "limit": str(limit),
            **self.common,
        }
        if after:
            params["after"] = after
        body = self.request("GET", f"{page_id}/published_posts", params=params)
        items = body.get("data") if isinstance(body, dict) else None
        posts = [item for item in items or [] if isinstance(item, dict)]
        paging = body.get("paging") if isinstance(body, dict) else None
        if not isinstance(paging, dict) or not paging.get("next"):
            return posts, ""
        cursors = paging.get("cursors")
        following = cursors.get("after") if isinstance(cursors, dict) else None
        return posts, following if isinstance(following, str) else ""

    # Multiple ID read (https://developers.facebook.com/docs/graph-api/results, "ids",
    # up to 50): {"<id>": {...}, ...}; counts by field expansion (facts-native 6.4).
    def objects(self, *, ids: list[str], fields: str) -> dict[str, Any]:
        body = self.request(
            "GET", "", params={"ids": ",".join(ids), "fields": fields, **self.common}
        )
        return body if isinstance(body, dict) else {}

    def error_from_response(self, response: requests.Response, body: Any) -> ApiError:
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return self.generic_error(response, f"HTTP {response.status_code}")
        code = error.get("code")
        subcode = error.get("error_subcode")
        text = error.get("error_user_msg") or error.get("message") or "unknown error"
        message = f"HTTP {response.status_code}, code {code}"
        if subcode:
            message += f"/{subcode}"
        message += f": {text}"
        result = self.generic_error(response, message)
        if code in AUTH_CODES:
            result.outcome = Outcome.AUTH
        elif code in THROTTLING_CODES:
            result.outcome = Outcome.RATE_LIMITED
            result.retry_after = result.retry_after or regain_access_seconds(response.headers)
        elif code in TRANSIENT_CODES or code == POLICY_BLOCK_CODE:
            result.outcome = Outcome.TRANSIENT
            result.spam = code == POLICY_BLOCK_CODE  # blocked as spam: pacing slows the page
        elif code in PERMISSION_CODES or (code is not None and response.status_code < 500):
            result.outcome = Outcome.PERMANENT
        return result
