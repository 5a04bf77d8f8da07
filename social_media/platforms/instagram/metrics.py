"""Instagram media insights (``GET {media}/insights``) as metrics readings.

Facts: docs/platform-api-facts-native.md §1.9 — lifetime values; a metric without data
is left out of the answer (not 0); one unsupported metric fails the whole call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from social_media.http import ApiError
from social_media.platforms.base import MetricsBatch, MetricsReading, Outcome
from social_media.platforms.instagram.client import InstagramClient

if TYPE_CHECKING:
    from tasks.models import SocialMediaPost
    from webhooks.models import SocialMediaCredentials

# Current metrics for feed posts, carousels and Reels (v22.0 on).
METRICS = ("views", "reach", "likes", "comments", "saved", "shares", "total_interactions")
# Instagram's names -> the common ones (social_media.platforms.base.METRIC_NAMES).
COMMON_NAMES = {
    "views": "views",
    "total_interactions": "engagements",
    "saved": "saves",
    "shares": "shares",
    "comments": "comments",
}
# Errors that concern one post only (deleted media, too few viewers): skip it.
PER_POST = {Outcome.PERMANENT}


def reading_of(entries: list[dict[str, Any]]) -> MetricsReading:
    """One post's reading from its insights entries (``values[0].value`` each)."""
    raw: dict[str, Any] = {}
    for entry in entries:
        name = entry.get("name")
        values = entry.get("values")
        if not isinstance(name, str):
            continue
        first = values[0] if isinstance(values, list) and values else None
        raw[name] = first.get("value") if isinstance(first, dict) else None
    values_by_name = {common: raw[name] for name, common in COMMON_NAMES.items() if name in raw}
    return MetricsReading(values=values_by_name, raw=raw)


def read_metrics(posts: list[SocialMediaPost], credential: SocialMediaCredentials) -> MetricsBatch:
    """Each post's insights, one call per post; never raises."""
    client = InstagramClient(token=credential.access_token)
    readings: dict[int, MetricsReading] = {}
    for post in posts:
        if not post.post_id:
            continue
        try:
            entries = client.media_insights(media_id=post.post_id, metrics=METRICS)
        except ApiError as error:
            if error.outcome in PER_POST:
                continue
            outcome = Outcome.TRANSIENT if error.outcome == Outcome.UNKNOWN else error.outcome
            return MetricsBatch(
                readings=readings,
                outcome=outcome,
                error_message=error.message,
                retry_after=error.retry_after,
            )
        readings[post.pk] = reading_of(entries)
    return MetricsBatch(readings=readings)
