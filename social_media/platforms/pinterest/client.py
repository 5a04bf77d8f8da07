"""Pinterest API v5: the wire (endpoints, error mapping) and where a pin lives."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from social_media.http import ApiClient, ApiError
from social_media.platforms.base import Outcome, platform_setting

if TYPE_CHECKING:
    import requests

    from webhooks.models import SocialMediaCredentials

PIN_URL = "https://www.pinterest.com/pin/{id}/"


def pin_url(pin_id: str) -> str:
    """The pin's public page (``PINTEREST_PIN_URL``; the pattern is not in the v5 spec)."""
    return platform_setting("PINTEREST_PIN_URL").replace("{id}", str(pin_id))


NO_BOARD = (
    'Pinterest: the credential has no board_id in its extra data ({"board_id": "…"}); '
    "set it in the admin, then retry."
)


def board_of(credential: SocialMediaCredentials) -> str:
    extra = credential.extra_data if isinstance(credential.extra_data, dict) else {}
    return str(extra.get("board_id") or "").strip()


class PinterestClient(ApiClient):
    """Pinterest API v5 (https://developers.pinterest.com/docs/api/v5/)."""

    def __init__(self, *, token: str, base_url: str | None = None) -> None:
        super().__init__(
            base_url=base_url or platform_setting("PINTEREST_API_BASE_URL"),
            secrets=[token],
            platform_name="Pinterest",
        )
        self.session.headers["Authorization"] = f"Bearer {token}"

    # https://developers.pinterest.com/docs/api/v5/pins-create
    def create_pin(
        self,
        *,
        board_id: str,
        title: str,
        description: str,
        link: str,
        alt_text: str,
        image_url: str,
    ) -> dict[str, Any]:
        return self.request(
            "POST",
            "pins",
            json={
                "board_id": board_id,
                "title": title,
                "description": description,
                "link": link,
                "alt_text": alt_text,
                "media_source": {"source_type": "image_url", "url": image_url},
            },
        )

    # https://developers.pinterest.com/docs/api/v5/user_account-get
    def get_user_account(self) -> dict[str, Any]:
        return self.request("GET", "user_account")

    # https://developers.pinterest.com/docs/api/v5/boards-get
    def get_board(self, *, board_id: str) -> dict[str, Any]:
        return self.request("GET", f"boards/{board_id}")

    # https://developers.pinterest.com/docs/api/v5/boards-list_pins
    # Paginated: {"items": [...], "bookmark": "<cursor>" | null}; page_size 1-250.
    def list_board_pins(
        self, *, board_id: str, page_size: int = 100, bookmark: str = ""
    ) -> tuple[list[dict[str, Any]], str]:
        """One page of the board's pins and the bookmark of the next ("" at the end)."""
        params: dict[str, str | int] = {"page_size": page_size}
        if bookmark:
            params["bookmark"] = bookmark
        body = self.request("GET", f"boards/{board_id}/pins", params=params)
        items = body.get("items") if isinstance(body, dict) else None
        following = body.get("bookmark") if isinstance(body, dict) else None
        pins = [item for item in items or [] if isinstance(item, dict)]
        return pins, following if isinstance(following, str) else ""

    # https://developers.pinterest.com/docs/api/v5/pins-analytics (scope pins:read);
    # start_date at most 90 days back. Answer: {"all": {"summary_metrics": {...},
    # "lifetime_metrics": {...}, "daily_metrics": [...]}} (docs/platform-api-facts-native.md 6.2).
    def pin_analytics(
        self, *, pin_id: str, start_date: str, end_date: str, metric_types: str
    ) -> dict[str, Any]:
        return self.request(
            "GET",
            f"pins/{pin_id}/analytics",
            params={"start_date": start_date, "end_date": end_date, "metric_types": metric_types},
        )

    def error_from_response(self, response: requests.Response, body: Any) -> ApiError:
        message = f"HTTP {response.status_code}"
        if isinstance(body, dict) and body.get("message"):
            message = f"HTTP {response.status_code}, code {body.get('code')}: {body['message']}"
        error = self.generic_error(response, message)
        # Pinterest answers 429 for spam blocks too; waiting does not lift those, but the
        # board's next pins are spaced out (pacing slows the credential down).
        if response.status_code == 429 and "spam" in message.lower():
            error.outcome = Outcome.PERMANENT
            error.spam = True
        return error
