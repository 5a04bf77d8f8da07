"""Engagement analytics: what each platform, topic, difficulty, language and quiz earned.

Everything comes from the latest good numbers kept on each post (``post.metrics``) and,
for the chart, from the per-(platform, day) gains each reading adds to (``MetricDay``); the
number of queries is fixed (four) whatever the number of posts and snapshots: one aggregate
grouped by platform, topic, difficulty and language (rolled up here), the top and the
bottom quizzes, and the range's day rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import BigIntegerField, Count, FloatField, Q, QuerySet, Sum, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from social_media.analytics import platform_label, posts_in_range
from social_media.metrics_values import COUNT_NAMES, INTERACTION_NAMES
from social_media.models import MetricDay
from social_media.platforms.registry import PLATFORMS
from tasks.models import Difficulty, PostStatus, SocialMediaPost

if TYPE_CHECKING:
    from django.db.models.expressions import Combinable

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


GROUPS = ("platform", "task__topic", "task__difficulty", "task__language")


def _grouped(posts: QuerySet[SocialMediaPost]) -> dict[str, dict[str, EngagementRow]]:
    """One query grouped by platform × topic × difficulty × language (a few hundred
    combinations at most), rolled up here into each of the four groupings."""
    annotations: dict[str, Any] = {name: _summed(name) for name in COUNT_NAMES}
    annotations["posts_read"] = Count("pk")
    annotations["share"] = Sum(Cast(KeyTextTransform("correct_share", "metrics"), FloatField()))
    annotations["shared"] = Count("pk", filter=Q(metrics__has_key="correct_share"))
    rolled: dict[str, dict[str, EngagementRow]] = {by: {} for by in GROUPS}
    sums: dict[tuple[str, str], list[float]] = {}
    for data in posts.order_by().values(*GROUPS).annotate(**annotations):
        for by in GROUPS:
            key = data[by] or ""
            row = rolled[by].get(key)
            if row is None:
                row = rolled[by][key] = EngagementRow(key=key, label=key or _("(none)"))
            row.posts += data["posts_read"]
            for name in COUNT_NAMES:
                row.counts[name] += int(data[name] or 0)
            if data["shared"]:
                total = sums.setdefault((by, key), [0.0, 0.0])
                total[0] += float(data["share"] or 0)
                total[1] += data["shared"]
    for (by, key), (share, shared) in sums.items():
        rolled[by][key].correct_share = share / shared
    return rolled


def _ordered(
    rows: dict[str, EngagementRow], labels: dict[str, Any], order: list[str] | None = None
) -> list[EngagementRow]:
    for key, row in rows.items():
        row.label = labels.get(key, row.label)
    if order is None:
        return [rows[key] for key in sorted(rows)]
    return sorted(
        rows.values(), key=lambda r: (order.index(r.key) if r.key in order else len(order), r.key)
    )


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
    """Interactions gained per (day, platform) over the range: the ``MetricDay`` rows each
    reading added to (at most one per platform and day, whatever the snapshots)."""
    rows = MetricDay.objects.filter(day__gte=date_from, day__lte=date_to).values_list(
        "day", "platform", "interactions_gain"
    )
    return {(_as_date(day), key): int(gained) for day, key, gained in rows}


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def engagement_report(*, date_from: date, date_to: date) -> EngagementReport:
    posts = read_posts(date_from, date_to)
    grouped = _grouped(posts)
    order = list(PLATFORMS)
    platform_labels = {key: platform.label for key, platform in PLATFORMS.items()}
    by_platform = _ordered(grouped["platform"], platform_labels, order)
    difficulties = dict(Difficulty.choices)
    by_difficulty = _ordered(grouped["task__difficulty"], difficulties, list(difficulties))
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
        by_topic=_ordered(grouped["task__topic"], {}),
        by_difficulty=by_difficulty,
        by_language=_ordered(grouped["task__language"], dict(settings.LANGUAGES)),
        total=total,
        top=top,
        bottom=bottom,
        days=days,
        daily={key: [gains.get((day, key), 0) for day in days] for key in keys},
    )


__all__ = ["EngagementReport", "EngagementRow", "QuizRow", "engagement_report", "platform_label"]
