"""What the engagement tests share: published posts and the platforms' recorded answers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from social_media.tests.contract import GRAPH_API, PINTEREST_API
from tasks.models import PostStatus, SocialMediaPost
from tests.factories import SocialMediaPostFactory, TaskFactory


def published_post(
    platform: str = "pinterest",
    *,
    post_id: str = "813744000000000001",
    age: timedelta = timedelta(minutes=5),
    now: datetime | None = None,
    **task_fields: Any,
) -> SocialMediaPost:
    """A post published ``age`` ago (its task saved unpublished: no signal, no other posts)."""
    task = TaskFactory(published=False, **task_fields)
    return SocialMediaPostFactory(
        task=task,
        platform=platform,
        status=PostStatus.PUBLISHED,
        post_id=post_id,
        published_at=(now or timezone.now()) - age,
    )


def pin_analytics_url(pin_id: str) -> str:
    return f"{PINTEREST_API}/pins/{pin_id}/analytics"


def pin_answer(
    impressions: Any = 100,
    saves: Any = 5,
    pin_clicks: Any = 7,
    outbound: Any = 3,
    reactions: Any = 4,
    comments: Any = 1,
) -> dict[str, Any]:
    summary = {"IMPRESSION": impressions, "SAVE": saves, "PIN_CLICK": pin_clicks}
    summary["OUTBOUND_CLICK"] = outbound
    return {
        "all": {
            "daily_metrics": [{"date": "2026-12-02", "data_status": "READY", "metrics": summary}],
            "summary_metrics": summary,
            "lifetime_metrics": {"TOTAL_REACTIONS": reactions, "TOTAL_COMMENTS": comments},
        }
    }


GRAPH_ROOT = f"{GRAPH_API}/"


def graph_counts(post_id: str, reactions: int = 9, comments: int = 2, shares: int | None = 1):
    node: dict[str, Any] = {
        "id": post_id,
        "reactions": {"data": [], "summary": {"total_count": reactions}},
        "comments": {"data": [], "summary": {"total_count": comments}},
    }
    if shares is not None:
        node["shares"] = {"count": shares}
    return node


def graph_insights(post_id: str, views: int = 300, reach: int = 150) -> dict[str, Any]:
    return {
        "id": post_id,
        "insights": {
            "data": [
                {"name": "post_media_view", "period": "lifetime", "values": [{"value": views}]},
                {
                    "name": "post_total_media_view_unique",
                    "period": "lifetime",
                    "values": [{"value": reach}],
                },
            ]
        },
    }
