"""Instagram: Graph API content publishing (image, carousel, Reels) or a Make.com scenario.

A credential (platform ``instagram``, a Page or Instagram token, ``extra_data``
``{"ig_user_id": "1784…", "publish_as": "image" | "carousel" | "reels"}``) publishes
through the API in steps (``flow.py``); a webhook listing ``instagram`` keeps the
Make.com route (delivery sends those, this class never sees them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from quiz_media.specs import MediaSpec
from social_media.platforms.base import (
    BasePlatform,
    ConnectionVerdict,
    DemoCredential,
    MetricsBatch,
    Outcome,
    PublishResult,
    SuggestedPace,
    is_ascii_digits,
)
from social_media.platforms.instagram import conf, connection, metrics
from social_media.platforms.instagram.client import InstagramClient, ig_user_of
from social_media.platforms.instagram.flow import DEFAULT_FORM, FORMS, Publisher
from social_media.platforms.spec import Route

if TYPE_CHECKING:
    from social_media.media import PostMedia
    from tasks.models import SocialMediaPost
    from webhooks.models import SocialMediaCredentials

MB = 1024 * 1024
NO_USER = (
    'Instagram: the credential has no ig_user_id in its extra data ({"ig_user_id": "…"}); '
    "set it in the admin, then retry."
)


def form_of(credential: SocialMediaCredentials) -> str:
    """How the credential publishes: ``publish_as`` (image, carousel or reels)."""
    extra = credential.extra_data if isinstance(credential.extra_data, dict) else {}
    form = str(extra.get("publish_as") or DEFAULT_FORM).strip().lower()
    return form if form in FORMS else DEFAULT_FORM


class InstagramPlatform(BasePlatform):
    key = "instagram"
    label = "Instagram"
    routes = (Route.WEBHOOK, Route.API)
    text_limits = conf.TEXT_LIMITS
    suggested_pace = SuggestedPace(3600, 10)  # 50 API posts a day at most
    settings = conf.SETTINGS
    secret_patterns = conf.SECRET_PATTERNS
    metrics_batch_size = 10
    extra_data_help = _(
        'Instagram: {"ig_user_id": "1784…"} (the professional account id, digits), '
        'optionally "publish_as": "image" (the question card, default), "carousel" '
        '(question and answer cards) or "reels" (the video).'
    )
    # The emulator's demo account (emulator/platforms/instagram.py IG_USER_ID).
    demo_credential = DemoCredential(
        extra_data={"ig_user_id": "17841400000000001", "publish_as": "carousel"},
        access_token="EAAB-demo-emulator-instagram-token",  # noqa: S106
    )
    # Instagram: images JPEG only, at most 8 MiB, 4:5 to 1.91:1; Reels MP4, at most 300 MB,
    # 3 s to 15 min (sources in docs/media.md). Every vertical video is a 1080 x 1920 H.264
    # MP4; the video platforms share one render (social_media.media.render_spec).
    media_requirements = (
        MediaSpec("question_card", 1080, 1350, "jpeg", 8 * MB),
        MediaSpec("answer_card", 1080, 1350, "jpeg", 8 * MB),
        MediaSpec("video", 1080, 1920, "mp4", 300 * MB, min_duration=3.0, max_duration=900.0),
    )

    def validate_extra_data(self, extra_data: dict[str, Any]) -> None:
        ig_user_id = str(extra_data.get("ig_user_id", "")).strip()
        if not ig_user_id:
            raise ValidationError(
                {
                    "extra_data": _(
                        'Instagram needs {"ig_user_id": "…"} (the professional account id).'
                    )
                }
            )
        if not is_ascii_digits(ig_user_id):
            raise ValidationError(
                {"extra_data": _("Instagram ig_user_id must contain only digits.")}
            )
        form = extra_data.get("publish_as", DEFAULT_FORM)
        if not isinstance(form, str) or form.strip().lower() not in FORMS:
            raise ValidationError(
                {"extra_data": _("Instagram publish_as must be one of: image, carousel, reels.")}
            )

    def publish(
        self, post: SocialMediaPost, target: SocialMediaCredentials, media: PostMedia
    ) -> PublishResult:
        ig_user_id = ig_user_of(target)
        if not ig_user_id:
            return PublishResult(Outcome.PERMANENT, error_message=NO_USER)
        client = InstagramClient(token=target.access_token)
        return Publisher(post, client, ig_user_id, form_of(target)).publish(media)

    def reconcile(
        self, post: SocialMediaPost, target: SocialMediaCredentials
    ) -> PublishResult | None:
        ig_user_id = ig_user_of(target)
        if not ig_user_id:
            return PublishResult(Outcome.PERMANENT, error_message=NO_USER)
        client = InstagramClient(token=target.access_token)
        return Publisher(post, client, ig_user_id, form_of(target)).reconcile()

    def test_connection(
        self, credential: SocialMediaCredentials
    ) -> tuple[ConnectionVerdict, str | None]:
        return connection.test_instagram(credential)

    def read_metrics(
        self, posts: list[SocialMediaPost], target: SocialMediaCredentials
    ) -> MetricsBatch:
        return metrics.read_metrics(posts, target)


PLATFORM = InstagramPlatform()
