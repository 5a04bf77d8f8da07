"""TikTok: a webhook platform (its scenario posts; the callback reports the result)."""

from __future__ import annotations

from quiz_media.specs import MediaSpec
from social_media.platforms.base import SuggestedPace
from social_media.platforms.tiktok import conf
from social_media.platforms.webhook import WebhookPlatform

MB = 1024 * 1024
GB = 1024 * MB


class TikTokPlatform(WebhookPlatform):
    key = "tiktok"
    label = "TikTok"
    text_limits = conf.TEXT_LIMITS
    suggested_pace = SuggestedPace(7200, 5)  # daily per-creator cap, unpublished
    # TikTok Content Posting API: MP4 (H.264 recommended), at most 4 GB; every creator may
    # post 3 minutes (no documented minimum).
    media_requirements = (MediaSpec("video", 1080, 1920, "mp4", 4 * GB, max_duration=180.0),)


PLATFORM = TikTokPlatform()
