"""Instagram: a webhook platform (its scenario posts; the callback reports the result)."""

from __future__ import annotations

from social_media.platforms.instagram import conf
from social_media.platforms.webhook import WebhookPlatform


class InstagramPlatform(WebhookPlatform):
    key = "instagram"
    label = "Instagram"
    text_limits = conf.TEXT_LIMITS


PLATFORM = InstagramPlatform()
