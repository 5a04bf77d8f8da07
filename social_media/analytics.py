"""Publishing analytics: per-platform figures over a date range, in a constant number of queries."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Func, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from social_media.platforms.registry import PLATFORMS
from tasks.models import PostStatus, SocialMediaPost

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Final failure classes, in display order: the Outcome values a failed post can
# carry, then the two webhook-callback endings. Anything else counts as "other".
FAILURE_KINDS: dict[str, StrOrPromise] = {
    "transient": _("Transient"),
    "rate_limited": _("Rate limited"),
    "permanent": _("Permanent"),
    "auth": _("Authorisation"),
    "unknown": _("Unknown outcome"),
    "no_callback": _("No callback"),
    "step_timeout": _("Platform did not finish"),
    "callback": _("Callback error"),
    "other": _("Other"),
}

TOTAL_KEY = "total"


@dataclass
class PlatformFigures:
    """The figures of one platform (or of all of them, for the totals row)."""

    key: str
    label: str | Promise
    posts: int = 0
    published: int = 0
    failed: int = 0
    in_flight: int = 0
    median_seconds: float | None = None
    failures: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FAILURE_KINDS, 0))

    @property
    def success_rate(self) -> float | None:
        """Published share of finished posts, in percent; ``None`` when none finished."""
        finished = self.published + self.failed
        return 100 * self.published / finished if finished else None


@dataclass
class Report:
    date_from: date
    date_to: date
    rows: list[PlatformFigures]
    total: PlatformFigures


class _EpochSeconds(Func):
    """Seconds between two datetimes, as a float (PostgreSQL)."""

    template = "CAST(EXTRACT(EPOCH FROM (%(expressions)s)) AS double precision)"
    arg_joiner = " - "
    output_field = FloatField()


class _Median(Aggregate):
    """PostgreSQL's ``percentile_cont(0.5)``: the exact median of a group."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()
    allow_distinct = False


def default_range(today: date | None = None) -> tuple[date, date]:
    """The last 30 days, today included."""
    today = today or timezone.localdate()
    return today - timedelta(days=29), today


def posts_in_range(date_from: date, date_to: date) -> QuerySet[SocialMediaPost]:
    """Posts created between the two dates (both inclusive, in the current time zone)."""
    start = timezone.make_aware(datetime.combine(date_from, time.min))
    end = timezone.make_aware(datetime.combine(date_to + timedelta(days=1), time.min))
    return SocialMediaPost.objects.filter(created_at__gte=start, created_at__lt=end)


def median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def native_median() -> bool:
    """Whether the database computes medians itself (PostgreSQL's percentile_cont)."""
    return connection.vendor == "postgresql"


def platform_label(key: str) -> str | Promise:
    platform = PLATFORMS.get(key)
    return platform.label if platform is not None else key


def analytics_report(*, date_from: date, date_to: date) -> Report:
    """Per-platform posts, outcomes, success rate, median time to publish and failure classes.

    Two queries whatever the number of posts: one grouped aggregate, plus either a
    grouped-free median (PostgreSQL) or the published durations (other databases).
    """
    posts = posts_in_range(date_from, date_to)
    published = Q(status=PostStatus.PUBLISHED)
    failed = Q(status=PostStatus.FAILED)
    failure_counts = {
        f"fail_{kind}": Count("pk", filter=failed & Q(failure_kind=kind))
        for kind in FAILURE_KINDS
        if kind != "other"
    }
    annotations: dict[str, Aggregate] = {
        "posts": Count("pk"),
        "published": Count("pk", filter=published),
        "failed": Count("pk", filter=failed),
        "in_flight": Count("pk", filter=Q(status__in=[PostStatus.PENDING, PostStatus.PROCESSING])),
        **failure_counts,
    }
    on_postgres = native_median()
    timed = published & Q(published_at__isnull=False)
    if on_postgres:
        seconds = _EpochSeconds(F("published_at"), F("created_at"))
        annotations["median"] = _Median(seconds, filter=timed)
    # The annotation names are built at run time, so each row is a plain dict to mypy.
    grouped: Iterable[Mapping[str, Any]] = (
        posts.order_by().values("platform").annotate(**annotations)
    )

    rows: dict[str, PlatformFigures] = {}
    for data in grouped:
        figures = PlatformFigures(
            key=data["platform"],
            label=platform_label(data["platform"]),
            posts=data["posts"],
            published=data["published"],
            failed=data["failed"],
            in_flight=data["in_flight"],
            median_seconds=data.get("median"),
        )
        for kind in FAILURE_KINDS:
            if kind != "other":
                figures.failures[kind] = data[f"fail_{kind}"]
        figures.failures["other"] = figures.failed - sum(figures.failures.values())
        rows[figures.key] = figures

    total = PlatformFigures(key=TOTAL_KEY, label=_("Total"))
    if on_postgres:
        total.median_seconds = posts.filter(timed).aggregate(
            median=_Median(_EpochSeconds(F("published_at"), F("created_at")))
        )["median"]
    else:
        durations: dict[str, list[float]] = defaultdict(list)
        for key, created, done in posts.filter(timed).values_list(
            "platform", "created_at", "published_at"
        ):
            # published_at is not null here (``timed``); created_at never is.
            assert done is not None
            durations[key].append((done - created).total_seconds())
        for key, figures in rows.items():
            figures.median_seconds = median(durations[key])
        total.median_seconds = median([s for values in durations.values() for s in values])

    order = list(PLATFORMS)
    ordered = sorted(rows.values(), key=lambda r: _index(order, r.key))
    for figures in ordered:
        total.posts += figures.posts
        total.published += figures.published
        total.failed += figures.failed
        total.in_flight += figures.in_flight
        for kind, count in figures.failures.items():
            total.failures[kind] += count
    return Report(date_from=date_from, date_to=date_to, rows=ordered, total=total)


def _index(order: list[str], key: str) -> tuple[int, str]:
    return (order.index(key), "") if key in order else (len(order), key)
