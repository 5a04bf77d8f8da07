"""Statistics of published Shorts: ``videos.list?part=statistics``, up to 50 ids a call.

Counts come as strings (``"viewCount": "123"``) and are passed on as they came (the
collector validates them); a video YouTube leaves out (deleted, private) has no reading.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from social_media.http import ApiError
from social_media.platforms.base import MetricsBatch, MetricsReading, Outcome
from social_media.platforms.youtube_shorts.client import YouTubeClient

if TYPE_CHECKING:
    from tasks.models import SocialMediaPost
    from webhooks.models import SocialMediaCredentials

BATCH_SIZE = 50
# Our common names ← YouTube's statistics (docs/platform-api-facts-native.md §7).
COMMON_NAMES = {"views": "viewCount", "engagements": "likeCount", "comments": "commentCount"}


def reading_of(statistics: dict[str, Any]) -> MetricsReading:
    values = {name: statistics.get(field) for name, field in COMMON_NAMES.items()}
    return MetricsReading(values=values, raw=dict(statistics))


def read_metrics(posts: list[SocialMediaPost], target: SocialMediaCredentials) -> MetricsBatch:
    by_video: dict[str, list[int]] = {}
    for post in posts:
        if post.post_id:
            by_video.setdefault(post.post_id, []).append(post.pk)
    readings: dict[int, MetricsReading] = {}
    client = YouTubeClient(token=target.access_token)
    ids = list(by_video)
    for start in range(0, len(ids), BATCH_SIZE):
        try:
            items = client.list_videos(ids=ids[start : start + BATCH_SIZE], parts="statistics")
        except ApiError as error:
            outcome = error.outcome
            if outcome == Outcome.UNKNOWN:
                outcome = Outcome.TRANSIENT  # a read changes nothing: just try later
            return MetricsBatch(
                readings=readings,
                outcome=outcome,
                error_message=error.message,
                retry_after=error.retry_after,
            )
        for item in items:
            statistics = item.get("statistics")
            if not isinstance(statistics, dict):
                continue
            for pk in by_video.get(str(item.get("id") or ""), []):
                readings[pk] = reading_of(statistics)
    return MetricsBatch(readings=readings)
