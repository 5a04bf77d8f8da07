"""Telegram: the question card and a native quiz poll in a channel, through the Bot API.

The steps and how an unknown end is handled: ``publishing.py``; the texts:
``compose.py``; poll results coming back: ``updates.py`` and ``views.py``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from quiz_media.specs import MediaSpec
from social_media.platforms.base import (
    BasePlatform,
    ConnectionVerdict,
    DemoCredential,
    MetricsBatch,
    MetricsReading,
    PublishResult,
    SuggestedPace,
)
from social_media.platforms.spec import Route
from social_media.platforms.telegram import conf, connection, publishing, updates, views

if TYPE_CHECKING:
    from social_media.media import PostMedia
    from tasks.models import SocialMediaPost
    from webhooks.models import SocialMediaCredentials

MB = 1024 * 1024
# A public channel's @username: 5-32 of a-z, 0-9 and _, starting with a letter.
USERNAME = re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,31}")
# A channel's numeric id: -100 and the channel's own id.
CHANNEL_ID = re.compile(r"-100[0-9]{1,13}")
VERSION = re.compile(r"[0-9]{1,2}\.[0-9]{1,2}")


class TelegramPlatform(BasePlatform):
    key = "telegram"
    label = "Telegram"
    routes = (Route.API,)
    text_limits = conf.TEXT_LIMITS
    suggested_pace = SuggestedPace(900, 40)  # flood waits; 20 messages a minute per chat
    settings = conf.SETTINGS
    secret_patterns = conf.SECRET_PATTERNS
    demo_credential = DemoCredential(
        extra_data={"chat_id": "@quiz_demo"},
        access_token="123456789:AAEmulatorDemoBotToken-0123456789abcd",  # noqa: S106
    )
    # sendPhoto: at most 10 MB, width + height <= 10000, ratio <= 20 (facts §4.3). A 4:5
    # card has room for a quiz poll's 12 options (a square one does not). Uploaded (multipart),
    # never fetched by URL.
    media_requirements = (MediaSpec("question_card", 1080, 1350, "png", 10 * MB),)
    extra_data_help = _(
        'Telegram: {"chat_id": "@channel"} or {"chat_id": "-100…"}; optionally '
        '"bot_api_version": "9.5" for an older Bot API server.'
    )
    metrics_batch_size = 200  # read from the posts themselves: no network call

    def validate_extra_data(self, extra_data: dict[str, Any]) -> None:
        chat_id = str(extra_data.get("chat_id", "")).strip()
        if not chat_id:
            raise ValidationError(
                {"extra_data": _('Telegram needs {"chat_id": "@channel"} or {"chat_id": "-100…"}.')}
            )
        if not (USERNAME.fullmatch(chat_id) or CHANNEL_ID.fullmatch(chat_id)):
            raise ValidationError(
                {
                    "extra_data": _(
                        "Telegram chat_id must be a channel's @username (5-32 letters, digits "
                        "or _) or its numeric id starting with -100."
                    )
                }
            )
        version = extra_data.get("bot_api_version")
        if version not in (None, "") and not VERSION.fullmatch(str(version)):
            raise ValidationError(
                {"extra_data": _('Telegram bot_api_version looks like "10.1" (or leave it out).')}
            )

    def publish(
        self, post: SocialMediaPost, target: SocialMediaCredentials, media: PostMedia
    ) -> PublishResult:
        return publishing.publish(post, target, media)

    def reconcile(
        self, post: SocialMediaPost, target: SocialMediaCredentials
    ) -> PublishResult | None:
        return publishing.reconcile(post, target)

    def test_connection(
        self, credential: SocialMediaCredentials
    ) -> tuple[ConnectionVerdict, str | None]:
        return connection.test_telegram(credential)

    def read_metrics(
        self, posts: list[SocialMediaPost], target: SocialMediaCredentials
    ) -> MetricsBatch:
        """The quiz poll's numbers the bot's updates left on each post (no network call)."""
        readings = {}
        for post in posts:
            poll = publishing.post_state(post).get("poll")
            if isinstance(poll, dict) and poll.get("id"):
                readings[post.pk] = MetricsReading(
                    values={
                        "answers": poll.get("voters"),
                        "correct_share": poll.get("correct_share"),
                    },
                    raw={
                        "total_voter_count": poll.get("voters"),
                        "correct_votes": poll.get("correct_votes"),
                        "option_votes": poll.get("option_votes"),
                        "is_closed": poll.get("is_closed"),
                    },
                )
        return MetricsBatch(readings=readings)

    def periodic_job(self) -> dict[str, int]:
        return updates.poll_updates()

    def urls(self) -> list[URLPattern]:
        return [path("telegram-updates/", views.telegram_updates, name="telegram-updates")]


PLATFORM = TelegramPlatform()
