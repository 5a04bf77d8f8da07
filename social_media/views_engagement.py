"""Engagement on the analytics page: its context, its CSV columns and the per-post export."""

from __future__ import annotations

import csv
from datetime import date
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from social_media.analytics_chart import render_engagement_chart_svg
from social_media.engagement import (
    INTERACTION_NAMES,
    EngagementReport,
    EngagementRow,
    engagement_report,
    read_posts,
)
from social_media.metrics_values import COUNT_NAMES

# Column titles of the engagement tables, in COUNT_NAMES order.
COUNT_LABELS = {
    "views": _("Views"),
    "engagements": _("Reactions and likes"),
    "clicks": _("Clicks"),
    "saves": _("Saves"),
    "shares": _("Shares"),
    "comments": _("Comments"),
    "answers": _("Quiz answers"),
}
ENGAGEMENT_CSV_HEADER = [
    "posts_with_metrics",
    *COUNT_NAMES,
    "interactions",
    "interactions_per_view_percent",
    "correct_share_percent",
]


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def engagement_cells(row: EngagementRow | None) -> list[str]:
    """The engagement columns of one CSV row (zeros and blanks when nothing was read)."""
    if row is None:
        return ["0", *("0" for _name in COUNT_NAMES), "0", "", ""]
    share = None if row.correct_share is None else 100 * row.correct_share
    return [
        str(row.posts),
        *(str(row.counts[name]) for name in COUNT_NAMES),
        str(row.interactions),
        _percent(row.rate),
        _percent(share),
    ]


def engagement_context(report: EngagementReport) -> dict[str, Any]:
    labels = {row.key: str(row.label) for row in report.by_platform}
    return {
        "engagement": report,
        "count_labels": [COUNT_LABELS[name] for name in COUNT_NAMES],
        "engagement_groups": [
            (gettext("Engagement by platform"), report.by_platform, True),
            (gettext("Engagement by topic"), report.by_topic, False),
            (gettext("Engagement by difficulty"), report.by_difficulty, False),
            (gettext("Engagement by language"), report.by_language, False),
        ],
        "quiz_tables": [
            (gettext("Top quizzes by interactions"), report.top),
            (gettext("Bottom quizzes by interactions"), report.bottom),
        ],
        "engagement_chart": render_engagement_chart_svg(report.days, report.daily, labels),
        "has_engagement": bool(report.total.posts),
    }


POSTS_CSV_HEADER = [
    "task_id",
    "question",
    "topic",
    "difficulty",
    "language",
    "platform",
    "post_id",
    "post_url",
    "published_at",
    "metrics_read_at",
    *COUNT_NAMES,
    "interactions",
    "correct_share",
]


def posts_csv_response(date_from: date, date_to: date) -> HttpResponse:
    """Every read post of the range with its latest numbers: one query, streamed rows."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="post-metrics_{date_from.isoformat()}_{date_to.isoformat()}.csv"'
    )
    writer = csv.writer(response, lineterminator="\n")
    writer.writerow(POSTS_CSV_HEADER)
    posts = read_posts(date_from, date_to).select_related("task").order_by("task_id", "platform")
    for post in posts.iterator(chunk_size=2000):
        numbers = post.metrics if isinstance(post.metrics, dict) else {}
        counts = [numbers.get(name) for name in COUNT_NAMES]
        interactions = sum(
            int(numbers.get(name) or 0) for name in INTERACTION_NAMES if name in numbers
        )
        share = numbers.get("correct_share")
        writer.writerow(
            [
                post.task_id,
                post.task.question,
                post.task.topic,
                post.task.difficulty,
                post.task.language,
                post.platform,
                post.post_id,
                post.post_url,
                post.published_at.isoformat() if post.published_at else "",
                post.metrics_read_at.isoformat() if post.metrics_read_at else "",
                *("" if value is None else str(value) for value in counts),
                str(interactions),
                "" if share is None else f"{float(share):.4f}",
            ]
        )
    return response


def report_for(date_from: date, date_to: date) -> EngagementReport:
    return engagement_report(date_from=date_from, date_to=date_to)


def by_platform(report: EngagementReport) -> dict[str, EngagementRow]:
    return {row.key: row for row in report.by_platform}
