"""Pinterest: create a pin on a board through API v5."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from quiz_media.specs import MediaSpec
from social_media.captions import content_for
from social_media.content import PostContent
from social_media.http import ApiClient, ApiError
from social_media.platforms.base import (
    BasePlatform,
    Outcome,
    PublishResult,
    TaskImageRule,
    is_ascii_digits,
)
from social_media.platforms.lookup import MAX_LOOKUP_PAGES, all_older, lookup_cutoff

if TYPE_CHECKING:
    import requests

    from social_media.media import PostMedia
    from tasks.models import SocialMediaPost
    from webhooks.models import SocialMediaCredentials

logger = logging.getLogger(__name__)

PIN_URL = "https://www.pinterest.com/pin/{id}/"


def pin_url(pin_id: str) -> str:
    """The pin's public page (``PINTEREST_PIN_URL``; the pattern is not in the v5 spec)."""
    return getattr(settings, "PINTEREST_PIN_URL", PIN_URL).replace("{id}", str(pin_id))


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
            base_url=base_url or settings.PINTEREST_API_BASE_URL,
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

    def error_from_response(self, response: requests.Response, body: Any) -> ApiError:
        message = f"HTTP {response.status_code}"
        if isinstance(body, dict) and body.get("message"):
            message = f"HTTP {response.status_code}, code {body.get('code')}: {body['message']}"
        error = self.generic_error(response, message)
        # Pinterest answers 429 for spam blocks too; waiting does not lift those.
        if response.status_code == 429 and "spam" in message.lower():
            error.outcome = Outcome.PERMANENT
        return error


def _create_pin(
    client: PinterestClient, board_id: str, content: PostContent, image_url: str
) -> dict[str, Any]:
    return client.create_pin(
        board_id=board_id,
        title=content.title,
        description=content.description,
        link=content.link,
        alt_text=content.alt_text,
        image_url=image_url,
    )


def _refresh_after_401(credential: SocialMediaCredentials, error: ApiError) -> PublishResult | None:
    """Refresh the token after a 401; ``None`` when the pin may be sent again.

    Without a refresh token or client credentials the 401 stands (AUTH). A refresh
    Pinterest refuses is AUTH too; one that could not reach Pinterest is retried later.
    """
    from social_media.token_refresh import credential_refresh_token, refresh_possible

    if not refresh_possible(credential):
        return error.to_result()
    refreshed = credential_refresh_token(credential=credential, stale_token=credential.access_token)
    if refreshed.ok:
        return None
    outcome = Outcome.AUTH if refreshed.rejected else Outcome.TRANSIENT
    return PublishResult(
        outcome,
        http_status=error.http_status,
        error_message=f"{error.message} The token refresh failed: {refreshed.message}",
        response_excerpt=error.excerpt,
    )


class PinterestOAuthClient(ApiClient):
    """Pinterest's token endpoint: HTTP Basic ``client_id:client_secret``, form body."""

    def __init__(
        self, *, client_id: str, client_secret: str, refresh_token: str, base_url: str | None = None
    ) -> None:
        super().__init__(
            base_url=base_url or settings.PINTEREST_API_BASE_URL,
            secrets=[client_secret, refresh_token],
            platform_name="Pinterest",
        )
        self.session.auth = (client_id, client_secret)
        self.refresh_token = refresh_token

    # https://developers.pinterest.com/docs/api/v5/oauth-token (grant_type=refresh_token)
    def refresh_access_token(self) -> dict[str, Any]:
        body = self.request(
            "POST",
            "oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": self.refresh_token},
        )
        self.last_excerpt = ""  # the answer carries the new tokens
        return body

    error_from_response = PinterestClient.error_from_response


MB = 1024 * 1024


class PinterestPlatform(BasePlatform):
    key = "pinterest"
    label = "Pinterest"
    kind = "api"
    # help.pinterest.com/en/business/article/pinterest-product-specs: static Pins are PNG
    # or JPEG, at most 20 MB, 2:3 recommended (1000 x 1500). See docs/media.md.
    media_requirements = (MediaSpec("question_card", 1000, 1500, "png", 20 * MB),)
    task_image_rule = TaskImageRule(
        formats=("JPEG", "PNG"),
        aspect_ratios=(2 / 3,),
        max_bytes=20 * MB,
        min_width=600,
        min_height=900,
    )

    def validate_extra_data(self, extra_data: dict[str, Any]) -> None:
        board_id = str(extra_data.get("board_id", "")).strip()
        if not board_id:
            raise ValidationError({"extra_data": _('Pinterest needs {"board_id": "…"}.')})
        if not is_ascii_digits(board_id):
            raise ValidationError({"extra_data": _("Pinterest board_id must contain only digits.")})

    def publish(
        self, post: SocialMediaPost, target: SocialMediaCredentials, media: PostMedia
    ) -> PublishResult:
        board_id = board_of(target)
        if not board_id:
            return PublishResult(Outcome.PERMANENT, error_message=NO_BOARD)
        if media.image is None:
            return PublishResult(Outcome.PERMANENT, error_message="Pinterest: no image to pin.")
        content = content_for(post.task, self.key)
        client = PinterestClient(token=target.access_token)
        try:
            pin = _create_pin(client, board_id, content, media.image.url)
        except ApiError as error:
            if error.outcome != Outcome.AUTH:
                return error.to_result()
            failed = _refresh_after_401(target, error)
            if failed is not None:
                return failed
            # The token was refreshed: send once more, within this attempt.
            client = PinterestClient(token=target.access_token)
            try:
                pin = _create_pin(client, board_id, content, media.image.url)
            except ApiError as retry_error:
                return retry_error.to_result()
        pin_id = str(pin.get("id") or "") if isinstance(pin, dict) else ""
        if not pin_id:
            return PublishResult(
                Outcome.UNKNOWN,
                http_status=client.last_status,
                error_message="Pinterest: the answer has no pin id; the pin may exist.",
                response_excerpt=client.last_excerpt,
            )
        return PublishResult(
            Outcome.SUCCESS,
            post_id=pin_id,
            post_url=pin_url(pin_id),
            http_status=client.last_status,
            response_excerpt=client.last_excerpt,
        )

    def reconcile(
        self, post: SocialMediaPost, target: SocialMediaCredentials
    ) -> PublishResult | None:
        board_id = board_of(target)
        if not board_id:
            return PublishResult(Outcome.PERMANENT, error_message=NO_BOARD)
        client = PinterestClient(token=target.access_token)
        link = post.task.public_url
        cutoff = lookup_cutoff(post)
        bookmark = ""
        for _page in range(MAX_LOOKUP_PAGES):
            try:
                pins, following = client.list_board_pins(board_id=board_id, bookmark=bookmark)
            except ApiError as error:
                return error.to_result()
            for pin in pins:
                if pin.get("link") == link and pin.get("id"):
                    return PublishResult(
                        Outcome.SUCCESS,
                        post_id=str(pin["id"]),
                        post_url=pin_url(pin["id"]),
                        http_status=client.last_status,
                    )
            if not following or following == bookmark or all_older(pins, "created_at", cutoff):
                return None  # the end of the board, or pins older than the post
            bookmark = following
        logger.warning(
            "🔎 Pinterest: пин поста %s не найден на %d страницах доски — отправляем снова",
            post.pk,
            MAX_LOOKUP_PAGES,
        )
        return None
