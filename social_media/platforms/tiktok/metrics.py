"""TikTok video numbers through the Display API ``video/query`` (at most 20 ids a call).

``view_count`` → views, ``like_count`` → engagements, ``comment_count`` → comments,
``share_count`` → shares (docs/platform-api-facts-native.md §3.7 and §7). Values go
out as TikTok gave them; the collector checks them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from social_media.http import ApiError
from social_media.platforms.base import MetricsBatch, MetricsReading, Outcome
from social_media.platforms.tiktok.client import TikTokClient

if TYPE_CHECKING:
    from tasks.models import SocialMediaPost
    from webhooks.models import SocialMediaCredentials

BATCH_SIZE = 20
FIELDS = ("id", "view_count", "like_count", "comment_count", "share_count")
COMMON_NAMES = {
    "view_count": "views",
    "like_count": "engagements",
    "comment_count": "comments",
    "share_count": "shares",
}


def _readable_id(post: SocialMediaPost) -> str:
    """A public video id (digits); a private post keeps its publish id, which TikTok
    cannot query."""
    post_id = str(post.post_id or "")
    return post_id if post_id.isascii() and post_id.isdigit() else ""


def read_metrics(posts: list[SocialMediaPost], credential: SocialMediaCredentials) -> MetricsBatch:
    ids = {post.pk: _readable_id(post) for post in posts[:BATCH_SIZE]}
    wanted = sorted({video_id for video_id in ids.values() if video_id})
    if not wanted:
        return MetricsBatch(readings={})
    try:
        videos = TikTokClient(token=credential.access_token).query_videos(
            video_ids=wanted, fields=FIELDS
        )
    except ApiError as error:
        outcome = error.outcome
        if outcome not in (Outcome.AUTH, Outcome.RATE_LIMITED):
            outcome = Outcome.TRANSIENT  # a read: nothing to reconcile
        return MetricsBatch(
            readings={},
            outcome=outcome,
            error_message=error.message,
            retry_after=error.retry_after,
        )
    by_id = {str(video.get("id")): video for video in videos}
    readings = {}
    for pk, video_id in ids.items():
        video = by_id.get(video_id) if video_id else None
        if video is None:
            continue  # not readable (deleted, private, not this account's)
        raw = {name: value for name, value in video.items() if name != "id"}
        values = {common: raw.get(name) for name, common in COMMON_NAMES.items() if name in raw}
        readings[pk] = MetricsReading(values=values, raw=raw)
    return MetricsBatch(readings=readings)
