"""TikTok: a webhook platform (its scenario posts; the callback reports the result)."""

from __future__ import annotations

from social_media.platforms.tiktok import conf
from social_media.platforms.webhook import WebhookPlatform


class TikTokPlatform(WebhookPlatform):
    key = "tiktok"
    label = "TikTok"
    text_limits = conf.TEXT_LIMITS


PLATFORM = TikTokPlatform()
