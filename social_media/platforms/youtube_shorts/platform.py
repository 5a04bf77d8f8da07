"""YouTube Shorts: a webhook platform (its scenario posts; the callback reports the result)."""

from __future__ import annotations

from quiz_media.specs import MediaSpec
from social_media.platforms.base import SuggestedPace
from social_media.platforms.webhook import WebhookPlatform
from social_media.platforms.youtube_shorts import conf

MB = 1024 * 1024
GB = 1024 * MB


class YouTubeShortsPlatform(WebhookPlatform):
    key = "youtube_shorts"
    label = "YouTube Shorts"
    text_limits = conf.TEXT_LIMITS
    suggested_pace = SuggestedPace(3600, 6)  # upload quota, 24 h upload cap
    # YouTube: square or vertical videos up to 3 minutes are Shorts; uploads up to 256 GiB.
    media_requirements = (MediaSpec("video", 1080, 1920, "mp4", 256 * GB, max_duration=180.0),)


PLATFORM = YouTubeShortsPlatform()
