"""Engagement analytics: what each platform, topic, difficulty, language and quiz earned.

Everything comes from the latest good numbers kept on each post (``post.metrics``) and,
for the chart, from the snapshots; the number of queries is fixed (seven) whatever the
number of posts and snapshots: four grouped aggregates, the top and bottom quizzes, and
one grouped query over the snapshots for the days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import BigIntegerField, Count, FloatField, Max, Q, QuerySet, Sum, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from social_media.analytics import platform_label, posts_in_range
from social_media.metrics_values import COUNT_NAMES
from social_media.models import MetricSnapshot
from social_media.platforms.registry import PLATFORMS
from tasks.models import Difficulty, PostStatus, SocialMediaPost

if TYPE_CHECKING:
    from django.db.models.expressions import Combinable

# What counts as an interaction: every count but views.
INTERACTION_NAMES = tuple(name for name in COUNT_NAMES if name != "views")
QUIZ_ROWS = 5


@dataclass
class EngagementRow:
    """The summed latest numbers of a group of posts (a platform, a topic, …)."""

    key: str
    label: str | Promise
    posts: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_NAMES, 0))
    correct_share: float | None = None

    @property
    def interactions(self) -> int:
        return sum(self.counts[name] for name in INTERACTION_NAMES)

    @property
    def count_list(self) -> list[int]:
        """The counts in ``COUNT_NAMES`` order (for the tables)."""
        return [self.counts[name] for name in COUNT_NAMES]

    @property
    def rate(self) -> float | None:
        """Interactions per view, in percent; ``None`` without views."""
        views = self.counts["views"]
        return 100 * self.interactions / views if views else None


@dataclass
class QuizRow:
    task_id: int
    question: str
    topic: str
    difficulty: str
    language: str
    posts: int
    views: int
    interactions: int


@dataclass
class EngagementReport:
    by_platform: list[EngagementRow]
    by_topic: list[EngagementRow]
    by_difficulty: list[EngagementRow]
    by_language: list[EngagementRow]
    total: EngagementRow
    top: list[QuizRow]
    bottom: list[QuizRow]
    days: list[date]
    #: platform key → interactions gained on each of ``days`` (same order)
    daily: dict[str, list[int]]


def metric(name: str) -> Cast:
    """A number of ``post.metrics`` (JSON) as a bigint column."""
    return Cast(KeyTextTransform(name, "metrics"), BigIntegerField())


def _summed(name: str) -> Coalesce:
    return Coalesce(Sum(metric(name)), Value(0), output_field=BigIntegerField())


def _interactions() -> Combinable:
    total: Any = None
    for name in INTERACTION_NAMES:
        part = Coalesce(metric(name), Value(0), output_field=BigIntegerField())
        total = part if total is None else total + part
    return total


def read_posts(date_from: date, date_to: date) -> QuerySet[SocialMediaPost]:
    """Published posts created in the range whose numbers were read at least once."""
    return posts_in_range(date_from, date_to).filter(
        status=PostStatus.PUBLISHED, metrics_read_at__isnull=False
    )


def _grouped(
    posts: QuerySet[SocialMediaPost], by: str, labels: dict[str, Any]
) -> list[EngagementRow]:
    annotations: dict[str, Any] = {name: _summed(name) for name in COUNT_NAMES}
    annotations["posts_read"] = Count("pk")
    annotations["share"] = Sum(Cast(KeyTextTransform("correct_share", "metrics"), FloatField()))
    annotations["shared"] = Count("pk", filter=Q(metrics__has_key="correct_share"))
    rows = []
    for data in posts.order_by().values(by).annotate(**annotations).order_by(by):
        key = data[by] or ""
        row = EngagementRow(
            key=key,
            label=labels.get(key, key or _("(none)")),
            posts=data["posts_read"],
            counts={name: int(data[name] or 0) for name in COUNT_NAMES},
        )
        if data["shared"]:
            row.correct_share = float(data["share"] or 0) / data["shared"]
        rows.append(row)
    return rows


def _quizzes(posts: QuerySet[SocialMediaPost], *, best: bool, exclude: list[int]) -> list[QuizRow]:
    grouped = (
        posts.exclude(task_id__in=exclude)
        .order_by()
        .values("task_id", "task__question", "task__topic", "task__difficulty", "task__language")
        .annotate(
            quiz_posts=Count("pk"),
            quiz_views=_summed("views"),
            quiz_interactions=Coalesce(Sum(_interactions()), Value(0)),
        )
    )
    order = ("-quiz_interactions", "-quiz_views") if best else ("quiz_interactions", "quiz_views")
    return [
        QuizRow(
            task_id=data["task_id"],
            question=data["task__question"],
            topic=data["task__topic"],
            difficulty=str(dict(Difficulty.choices).get(data["task__difficulty"], "")),
            language=data["task__language"],
            posts=data["quiz_posts"],
            views=int(data["quiz_views"] or 0),
            interactions=int(data["quiz_interactions"] or 0),
        )
        for data in grouped.order_by(*order, "task_id")[:QUIZ_ROWS]
    ]


def _bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(date_from, time.min))
    end = timezone.make_aware(datetime.combine(date_to + timedelta(days=1), time.min))
    return start, end


def daily_gains(date_from: date, date_to: date) -> dict[tuple[date, str], int]:
    """Interactions gained per (day, platform): each post's best total of a day less the
    best of the days before (counts only go up, so a day's MAX is its last good number,
    and a day whose counts were refused is no fall that a later day would count twice).
    One query."""
    _start, end = _bounds(date_from, date_to)
    per_day = (
        MetricSnapshot.objects.filter(read_at__lt=end)
        .annotate(day=TruncDate("read_at"))
        .order_by()
        .values("post_id", "platform", "day")
        .annotate(**{f"best_{name}": Max(name) for name in INTERACTION_NAMES})
    )
    inner, params = per_day.query.sql_with_params()
    total = " + ".join(f"COALESCE(best_{name}, 0)" for name in INTERACTION_NAMES)
    # Constant column names around the ORM's own compiled SQL; every value is a parameter.
    sql = (
        "SELECT day, platform, SUM(CASE WHEN gain > 0 THEN gain ELSE 0 END) FROM ("  # noqa: S608
        f" SELECT day, platform, ({total}) - COALESCE(MAX({total}) OVER ("
        "  PARTITION BY post_id ORDER BY day"
        "  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS gain"
        f" FROM ({inner}) per_day"
        ") gains WHERE day >= %s GROUP BY day, platform"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, date_from))
        rows = cursor.fetchall()
    return {(_as_date(day), key): int(gain or 0) for day, key, gain in rows}


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def engagement_report(*, date_from: date, date_to: date) -> EngagementReport:
    posts = read_posts(date_from, date_to)
    platform_labels = {key: platform.label for key, platform in PLATFORMS.items()}
    by_platform = _grouped(posts, "platform", platform_labels)
    order = list(PLATFORMS)
    by_platform.sort(key=lambda r: order.index(r.key) if r.key in order else len(order))
    difficulties = dict(Difficulty.choices)
    by_difficulty = _grouped(posts, "task__difficulty", difficulties)
    ranks = list(difficulties)
    by_difficulty.sort(key=lambda r: ranks.index(r.key) if r.key in ranks else len(ranks))
    total = EngagementRow(key="total", label=_("Total"))
    shares = []
    for row in by_platform:
        total.posts += row.posts
        for name in COUNT_NAMES:
            total.counts[name] += row.counts[name]
        if row.correct_share is not None:
            shares.append(row.correct_share)
    total.correct_share = sum(shares) / len(shares) if shares else None
    top = _quizzes(posts, best=True, exclude=[])
    bottom = _quizzes(posts, best=False, exclude=[row.task_id for row in top])
    gains = daily_gains(date_from, date_to)
    days = [date_from + timedelta(days=n) for n in range((date_to - date_from).days + 1)]
    keys = [k for k in order if any(key == k for _day, key in gains)]
    keys += sorted({key for _day, key in gains} - set(keys))
    return EngagementReport(
        by_platform=by_platform,
        by_topic=_grouped(posts, "task__topic", {}),
        by_difficulty=by_difficulty,
        by_language=_grouped(posts, "task__language", {}),
        total=total,
        top=top,
        bottom=bottom,
        days=days,
        daily={key: [gains.get((day, key), 0) for day in days] for key in keys},
    )


__all__ = ["EngagementReport", "EngagementRow", "QuizRow", "engagement_report", "platform_label"]
