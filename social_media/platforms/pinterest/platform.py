"""Pinterest: create a pin on a board through API v5."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from quiz_media.specs import MediaSpec
from social_media.captions import content_for
from social_media.content import PostContent
from social_media.http import ApiError
from social_media.platforms.base import (
    BasePlatform,
    ConnectionVerdict,
    DemoCredential,
    MetricsBatch,
    Outcome,
    PublishResult,
    SuggestedPace,
    TaskImageRule,
    is_ascii_digits,
)
from social_media.platforms.lookup import MAX_LOOKUP_PAGES, all_older, lookup_cutoff
from social_media.platforms.pinterest import conf, connect, connection, metrics, oauth
from social_media.platforms.pinterest.client import NO_BOARD, PinterestClient, board_of, pin_url
from social_media.platforms.spec import Route

if TYPE_CHECKING:
    from social_media.media import PostMedia
    from tasks.models import SocialMediaPost
    from webhooks.models import SocialMediaCredentials

logger = logging.getLogger(__name__)


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
    if not oauth.refresh_possible(credential):
        return error.to_result()
    refreshed = oauth.credential_refresh_token(
        credential=credential, stale_token=credential.access_token
    )
    if refreshed.ok:
        return None
    outcome = Outcome.AUTH if refreshed.rejected else Outcome.TRANSIENT
    return PublishResult(
        outcome,
        http_status=error.http_status,
        error_message=f"{error.message} The token refresh failed: {refreshed.message}",
        response_excerpt=error.excerpt,
    )


MB = 1024 * 1024


class PinterestPlatform(BasePlatform):
    key = "pinterest"
    label = "Pinterest"
    routes = (Route.API,)
    text_limits = conf.TEXT_LIMITS
    suggested_pace = SuggestedPace(900, 24)  # 429 "spam" on bursts
    settings = conf.SETTINGS
    secret_patterns = conf.SECRET_PATTERNS
    demo_credential = DemoCredential(
        extra_data={"board_id": "549755885175"},
        access_token="pina_demo_emulator_access_token",  # noqa: S106
    )
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

    def test_connection(
        self, credential: SocialMediaCredentials
    ) -> tuple[ConnectionVerdict, str | None]:
        return connection.test_pinterest(credential)

    # refresh_possible and refresh_token: BasePlatform's, through connect.PROVIDER.

    def refresh_expiring_tokens(self) -> dict[str, int]:
        return oauth.credentials_refresh_expiring()

    def expiry_warning_days(self) -> int:
        return connect.refresh_before_days()

    metrics_batch_size = metrics.BATCH_SIZE

    def read_metrics(
        self, posts: list[SocialMediaPost], target: SocialMediaCredentials
    ) -> MetricsBatch:
        return metrics.read_pinterest_metrics(posts, target)


PLATFORM = PinterestPlatform()
