"""A task's engagement for its admin page: each platform's latest numbers and sparklines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils.safestring import SafeString
from django.utils.translation import gettext

from social_media.engagement import INTERACTION_NAMES
from social_media.metrics_values import COUNT_NAMES, good_numbers
from social_media.models import MetricSnapshot
from social_media.sparkline import render_sparkline_svg
from social_media.views_engagement import COUNT_LABELS
from tasks.models import PostStatus

if TYPE_CHECKING:
    from tasks.models import Task


@dataclass
class PostEngagement:
    platform: str
    label: str
    read_at: datetime | None
    numbers: list[tuple[str, int | float]]  # (label, value) of what the platform reported
    correct_share: float | None
    views_line: SafeString
    interactions_line: SafeString
    readings: int


def task_engagement(task: Task) -> list[PostEngagement]:
    """One entry per published post of ``task``: two queries whatever the readings."""
    posts = list(task.social_posts.filter(status=PostStatus.PUBLISHED).order_by("platform"))
    if not posts:
        return []
    history: dict[int, list[MetricSnapshot]] = {post.pk: [] for post in posts}
    for snapshot in MetricSnapshot.objects.filter(post__in=posts).order_by("read_at", "id"):
        history[snapshot.post_id].append(snapshot)
    found = []
    for post in posts:
        latest = good_numbers(post.metrics)
        snapshots = history[post.pk]
        views = [(s.read_at, s.views) for s in snapshots if s.views is not None]
        interactions = [
            (s.read_at, sum(getattr(s, name) or 0 for name in INTERACTION_NAMES)) for s in snapshots
        ]
        label = str(post.get_platform_display())
        share = latest.get("correct_share")
        found.append(
            PostEngagement(
                platform=post.platform,
                label=label,
                read_at=post.metrics_read_at,
                numbers=[
                    (str(COUNT_LABELS[name]), latest[name])
                    for name in COUNT_NAMES
                    if name in latest
                ],
                correct_share=float(share) if share is not None else None,
                views_line=render_sparkline_svg(
                    [(when, int(value)) for when, value in views],
                    label=f"{label} · {gettext('Views')}",
                ),
                interactions_line=render_sparkline_svg(
                    interactions, label=f"{label} · {gettext('Interactions')}", colour="#2e7d32"
                ),
                readings=len(snapshots),
            )
        )
    return found
