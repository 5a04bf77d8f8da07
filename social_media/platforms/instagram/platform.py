"""Instagram: a webhook platform (its scenario posts; the callback reports the result)."""

from __future__ import annotations

from quiz_media.specs import MediaSpec
from social_media.platforms.base import SuggestedPace
from social_media.platforms.instagram import conf
from social_media.platforms.webhook import WebhookPlatform

MB = 1024 * 1024


class InstagramPlatform(WebhookPlatform):
    key = "instagram"
    label = "Instagram"
    text_limits = conf.TEXT_LIMITS
    suggested_pace = SuggestedPace(3600, 10)  # 50 API posts a day at most
    # Instagram: images JPEG only, at most 8 MiB, 4:5 to 1.91:1; Reels MP4, at most 300 MB,
    # 3 s to 15 min (sources in docs/media.md). Every vertical video is a 1080 x 1920 H.264
    # MP4; the video platforms share one render (social_media.media.render_spec).
    media_requirements = (
        MediaSpec("question_card", 1080, 1350, "jpeg", 8 * MB),
        MediaSpec("answer_card", 1080, 1350, "jpeg", 8 * MB),
        MediaSpec("video", 1080, 1920, "mp4", 300 * MB, min_duration=3.0, max_duration=900.0),
    )


PLATFORM = InstagramPlatform()
