"""Numbers of published wall posts: ``wall.getById`` for up to ``BATCH_SIZE`` posts at once.

Per post VK gives ``views.count`` (absent on old posts), ``likes.count``,
``reposts.count`` and ``comments.count`` (facts §5.6); they are passed on as VK gave
them (the collector validates), reposts as shares, likes as engagements.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from social_media.http import ApiError
from social_media.platforms.base import MetricsBatch, MetricsReading, Outcome
from social_media.platforms.vk.client import VkClient, group_of

if TYPE_CHECKING:
    from tasks.models import SocialMediaPost
    from webhooks.models import SocialMediaCredentials

BATCH_SIZE = 100
RAW_NAMES = ("views", "likes", "reposts", "comments")
COMMON_NAMES = {
    "views": "views",
    "likes": "engagements",
    "reposts": "shares",
    "comments": "comments",
}


def full_id(post: SocialMediaPost, group_id: str) -> str:
    """``-<gid>_<post>``: what the post stores (older rows may hold the bare post id)."""
    post_id = str(post.post_id or "")
    return post_id if "_" in post_id else f"-{group_id}_{post_id}"


def _count(item: dict[str, Any], name: str) -> Any:
    value = item.get(name)
    return value.get("count") if isinstance(value, dict) else value


def read_metrics(posts: list[SocialMediaPost], credential: SocialMediaCredentials) -> MetricsBatch:
    group_id = group_of(credential)
    wanted = {full_id(post, group_id): post.pk for post in posts if post.post_id}
    if not wanted:
        return MetricsBatch(readings={})
    client = VkClient(token=credential.access_token)
    try:
        items = client.posts_by_id(ids=list(wanted))
    except ApiError as error:
        outcome = (
            error.outcome
            if error.outcome in (Outcome.AUTH, Outcome.RATE_LIMITED)
            else Outcome.TRANSIENT
        )
        return MetricsBatch(
            readings={},
            outcome=outcome,
            error_message=error.message,
            retry_after=error.retry_after,
        )
    readings: dict[int, MetricsReading] = {}
    for item in items:
        key = f"{item.get('owner_id')}_{item.get('id')}"
        if key not in wanted:
            continue
        raw = {name: _count(item, name) for name in RAW_NAMES if name in item}
        values = {COMMON_NAMES[name]: value for name, value in raw.items()}
        readings[wanted[key]] = MetricsReading(values=values, raw=raw)
    return MetricsBatch(readings=readings)
