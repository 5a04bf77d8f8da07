"""Facebook post engagement: reactions, comments and shares, and views where insights answer.

Two Graph calls per batch of up to 50 posts (a multiple-ID read): the counts by field
expansion, then the ``post_media_view`` / ``post_total_media_view_unique`` insights
(``impressions`` metrics are gone since 2025; a page token without the ANALYZE task, or
a metric Graph no longer offers, fails the insights call only: the counts stand). The
numbers go to the collector as Graph gave them (social_media/metrics_values.py).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from social_media.http import ApiError
from social_media.platforms.base import MetricsBatch, MetricsReading, Outcome
from social_media.platforms.facebook.client import GraphClient

if TYPE_CHECKING:
    from tasks.models import SocialMediaPost
    from webhooks.models import SocialMediaCredentials

logger = logging.getLogger(__name__)

BATCH_SIZE = 50  # Graph's multiple-ID read limit
COUNT_FIELDS = "reactions.summary(total_count).limit(0),comments.summary(true).limit(0),shares"
INSIGHT_METRICS = ("post_media_view", "post_total_media_view_unique")
INSIGHT_FIELDS = f"insights.metric({','.join(INSIGHT_METRICS)})"


def _summary_count(node: Any) -> Any:
    summary = node.get("summary") if isinstance(node, dict) else None
    return summary.get("total_count") if isinstance(summary, dict) else None


def counts_from(node: Any) -> dict[str, Any]:
    """Graph's raw counts of one post: reactions, comments, shares (absent shares = 0)."""
    if not isinstance(node, dict):
        return {}
    raw: dict[str, Any] = {}
    if "reactions" in node:
        raw["reactions"] = _summary_count(node["reactions"])
    if "comments" in node:
        raw["comments"] = _summary_count(node["comments"])
    shares = node.get("shares")
    # Graph leaves "shares" out of the answer when nobody shared the post.
    raw["shares"] = shares.get("count") if isinstance(shares, dict) else (shares or 0)
    return raw


def insights_from(node: Any) -> dict[str, Any]:
    """``{"post_media_view": v, ...}`` from an ``insights`` edge (lifetime values)."""
    edge = node.get("insights") if isinstance(node, dict) else None
    data = edge.get("data") if isinstance(edge, dict) else None
    found: dict[str, Any] = {}
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict) or item.get("name") not in INSIGHT_METRICS:
            continue
        values = item.get("values")
        if isinstance(values, list) and values and isinstance(values[-1], dict):
            found[str(item["name"])] = values[-1].get("value")
    return found


def reading_from(counts: dict[str, Any], insights: dict[str, Any]) -> MetricsReading:
    raw = {**counts, **insights}
    values: dict[str, Any] = {}
    for name, key in (("engagements", "reactions"), ("comments", "comments"), ("shares", "shares")):
        if key in counts:
            values[name] = counts[key]
    if "post_media_view" in insights:
        values["views"] = insights["post_media_view"]
    return MetricsReading(values=values, raw=raw)


def _batch_error(error: ApiError, readings: dict[int, MetricsReading]) -> MetricsBatch:
    outcome = Outcome.TRANSIENT if error.outcome == Outcome.UNKNOWN else error.outcome
    return MetricsBatch(
        readings=readings,
        outcome=outcome,
        error_message=error.message,
        retry_after=error.retry_after,
    )


def _read(client: GraphClient, ids: list[str], fields: str) -> dict[str, Any]:
    """One multiple-ID read; a refused one (a deleted post fails the whole call) is split
    into single reads, so one bad id costs only its own numbers."""
    try:
        return client.objects(ids=ids, fields=fields)
    except ApiError as error:
        if error.outcome != Outcome.PERMANENT or len(ids) == 1:
            raise
    found: dict[str, Any] = {}
    for one in ids:
        try:
            found.update(client.objects(ids=[one], fields=fields))
        except ApiError as error:
            if error.outcome != Outcome.PERMANENT:
                raise
            logger.warning("📊 Facebook: пост %s не прочитан (%s)", one, error.message)
    return found


def read_facebook_metrics(
    posts: list[SocialMediaPost], credential: SocialMediaCredentials
) -> MetricsBatch:
    by_id = {post.post_id: post for post in posts if post.post_id}
    if not by_id:
        return MetricsBatch(readings={})
    client = GraphClient(token=credential.access_token)
    ids = list(by_id)
    try:
        counts = _read(client, ids, COUNT_FIELDS)
    except ApiError as error:
        return _batch_error(error, {})
    try:
        insights = _read(client, [i for i in ids if i in counts], INSIGHT_FIELDS)
    except ApiError as error:
        if error.outcome == Outcome.AUTH:
            return _batch_error(error, {})
        insights = {}  # no views this time; the counts stand
        logger.info("📊 Facebook: insights недоступны (%s)", error.message)
    readings = {
        by_id[post_id].pk: reading_from(counts_from(node), insights_from(insights.get(post_id)))
        for post_id, node in counts.items()
        if post_id in by_id
    }
    return MetricsBatch(readings=readings)
