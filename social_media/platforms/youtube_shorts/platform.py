"""YouTube Shorts: a webhook platform (its scenario posts; the callback reports the result)."""

from __future__ import annotations

from social_media.platforms.webhook import WebhookPlatform
from social_media.platforms.youtube_shorts import conf


class YouTubeShortsPlatform(WebhookPlatform):
    key = "youtube_shorts"
    label = "YouTube Shorts"
    text_limits = conf.TEXT_LIMITS


PLATFORM = YouTubeShortsPlatform()
