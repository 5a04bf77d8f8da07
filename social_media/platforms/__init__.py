"""The platform registry: adding a platform is one module and one entry here."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from social_media.platforms.base import BasePlatform, Outcome, PublishResult
from social_media.platforms.facebook import FacebookPlatform
from social_media.platforms.pinterest import PinterestPlatform
from social_media.platforms.webhook import (
    INSTAGRAM_MEDIA,
    TIKTOK_MEDIA,
    YANDEX_DZEN_MEDIA,
    YOUTUBE_SHORTS_MEDIA,
    WebhookPlatform,
)

PLATFORMS: dict[str, BasePlatform] = {
    platform.key: platform
    for platform in (
        PinterestPlatform(),
        FacebookPlatform(),
        WebhookPlatform("yandex_dzen", _("Yandex Dzen"), YANDEX_DZEN_MEDIA),
        WebhookPlatform("instagram", "Instagram", INSTAGRAM_MEDIA),
        WebhookPlatform("tiktok", "TikTok", TIKTOK_MEDIA),
        WebhookPlatform("youtube_shorts", "YouTube Shorts", YOUTUBE_SHORTS_MEDIA),
    )
}


def platform_choices() -> list[tuple[str, str | Promise]]:
    return [(key, platform.label) for key, platform in PLATFORMS.items()]


def api_platform_choices() -> list[tuple[str, str | Promise]]:
    return [(key, p.label) for key, p in PLATFORMS.items() if p.kind == "api"]


def webhook_platform_keys() -> set[str]:
    return {key for key, p in PLATFORMS.items() if p.kind == "webhook"}


__all__ = [
    "PLATFORMS",
    "BasePlatform",
    "Outcome",
    "PublishResult",
    "api_platform_choices",
    "platform_choices",
    "webhook_platform_keys",
]
