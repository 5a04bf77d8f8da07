"""Statistics of published Shorts: ``videos.list?part=statistics``, up to 50 ids a call.

Counts come as strings (``"viewCount": "123"``) and are passed on as they came (the
collector validates them); a video YouTube leaves out (deleted, private) has no reading.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from social_media.http import ApiError
from social_media.platforms.base import MetricsBatch, MetricsReading, Outcome
from social_media.platforms.youtube_shorts import oauth
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


def _failed(outcome: Outcome, message: str, retry_after: float | None = None) -> MetricsBatch:
    if outcome == Outcome.UNKNOWN:
        outcome = Outcome.TRANSIENT  # a read changes nothing: just try later
    return MetricsBatch(outcome=outcome, error_message=message, retry_after=retry_after)


def read_metrics(posts: list[SocialMediaPost], target: SocialMediaCredentials) -> MetricsBatch:
    """The statistics of ``posts``; an access token (an hour long) that expires or was
    refused is refreshed first, once, so an idle hour does not stop the readings."""
    refused = oauth.token_ready(target)
    if refused is not None:
        return _failed(refused.outcome, refused.error_message)
    by_video: dict[str, list[int]] = {}
    for post in posts:
        if post.post_id:
            by_video.setdefault(post.post_id, []).append(post.pk)
    readings: dict[int, MetricsReading] = {}
    ids = list(by_video)
    refreshed = False
    start = 0
    while start < len(ids):
        client = YouTubeClient(token=target.access_token)
        try:
            items = client.list_videos(ids=ids[start : start + BATCH_SIZE], parts="statistics")
        except ApiError as error:
            if error.outcome == Outcome.AUTH and not refreshed:
                refreshed = True
                failed = oauth.refresh_after_401(target, error)
                if failed is None:
                    continue  # the same batch with the new token
                return _failed(failed.outcome, failed.error_message)
            failed_batch = _failed(error.outcome, error.message, error.retry_after)
            return MetricsBatch(
                readings=readings,
                outcome=failed_batch.outcome,
                error_message=failed_batch.error_message,
                retry_after=failed_batch.retry_after,
            )
        for item in items:
            statistics = item.get("statistics")
            if not isinstance(statistics, dict):
                continue
            for pk in by_video.get(str(item.get("id") or ""), []):
                readings[pk] = reading_of(statistics)
        start += BATCH_SIZE
    return MetricsBatch(readings=readings)
