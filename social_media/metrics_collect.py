"""Reading published posts' numbers back from their platforms, on a decaying schedule.

A pass (``metrics_collect``: the beat job ``social_media.collect_metrics`` on its own
queue "metrics", and ``manage.py collect_metrics``) takes the posts whose reading is due,
groups them by the credential that carries them, asks each platform in batches of its
``metrics_batch_size`` and keeps what passes ``metrics_values.check_values``: one
``MetricSnapshot`` per post per reading, the latest good numbers on the post.

Schedule (counted from ``published_at``): every 15 minutes in the first 2 hours, hourly
to the end of the first day, then daily until ``SOCIAL_MEDIA_METRICS_DAYS``; then never.
A token the platform rejects stops that credential's readings (the credential is flagged
*needs reconnection*, with one warning); limits and outages push the rest of the
credential's posts back by ``retry_after`` (or a default) — never crowding out publishing,
which runs on the default queue.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from social_media.metrics_values import (
    INTERACTION_NAMES,
    check_values,
    good_numbers,
    raw_for_storage,
)
from social_media.models import MetricDay, MetricSnapshot, MetricSource
from social_media.platforms.base import BasePlatform, MetricsBatch, MetricsReading, Outcome
from social_media.platforms.registry import PLATFORMS
from social_media.targets import Targets
from tasks.models import PostRoute, PostStatus, SocialMediaPost
from webhooks.models import SocialMediaCredentials

logger = logging.getLogger("social_media")

# (age below which, interval) — the decaying schedule.
SCHEDULE: tuple[tuple[timedelta, timedelta], ...] = (
    (timedelta(hours=2), timedelta(minutes=15)),
    (timedelta(days=1), timedelta(hours=1)),
)
DAILY = timedelta(days=1)
PASS_LIMIT = 500  # posts per pass; the rest wait for the next one
CLAIM_SECONDS = 600  # a claimed post is not taken by another pass for this long
RATE_LIMITED_DELAY = 900.0
TRANSIENT_DELAY = 600.0


def reading_window() -> timedelta:
    return timedelta(days=settings.SOCIAL_MEDIA_METRICS_DAYS)


def next_reading(published_at: datetime | None, now: datetime) -> datetime | None:
    """When to read a post published at ``published_at`` next; ``None``: never again."""
    if published_at is None:
        return None
    age = now - published_at
    for below, interval in SCHEDULE:
        if age < below:
            return now + interval
    following = now + DAILY
    return following if following - published_at <= reading_window() else None


def metric_platforms() -> dict[str, BasePlatform]:
    """The platforms that read metrics (their ``read_metrics`` is their own)."""
    return {
        key: platform
        for key, platform in PLATFORMS.items()
        if type(platform).read_metrics is not BasePlatform.read_metrics
    }


def due_posts(now: datetime) -> Q:
    """Published API posts inside the window whose reading is due (or never happened)."""
    due = Q(next_metrics_at__lte=now) | Q(
        next_metrics_at__isnull=True, metrics_read_at__isnull=True
    )
    return (
        Q(status=PostStatus.PUBLISHED, webhook__isnull=True, platform__in=list(metric_platforms()))
        & Q(published_at__gte=now - reading_window())
        & ~Q(post_id="")
        & ~Q(route=PostRoute.WEBHOOK)  # a scenario's post: its numbers come by callback
        & due
    )


def _claim(now: datetime, limit: int) -> list[SocialMediaPost]:
    """Take the due posts for this pass: another pass skips them for ``CLAIM_SECONDS``."""
    rows = SocialMediaPost.objects.filter(due_posts(now)).select_related("task")
    if connection.vendor == "postgresql":
        rows = rows.select_for_update(skip_locked=True, of=("self",))
    with transaction.atomic():
        posts = list(rows.order_by("next_metrics_at", "-published_at", "pk")[:limit])
        if posts:
            SocialMediaPost.objects.filter(pk__in=[p.pk for p in posts]).update(
                next_metrics_at=now + timedelta(seconds=CLAIM_SECONDS)
            )
    return posts


def _chunks(posts: list[SocialMediaPost], size: int) -> Iterable[list[SocialMediaPost]]:
    size = max(1, size)
    for start in range(0, len(posts), size):
        yield posts[start : start + size]


def _ask(
    platform: BasePlatform, posts: list[SocialMediaPost], credential: SocialMediaCredentials
) -> MetricsBatch | None:
    """``read_metrics``, never raising: a bug is a transient failure of this batch."""
    try:
        batch = platform.read_metrics(posts, credential)
        if batch is None or isinstance(batch, MetricsBatch):
            return batch
        raise TypeError(f"read_metrics returned {type(batch).__name__}, not a MetricsBatch")
    except SoftTimeLimitExceeded:
        raise
    except Exception as exc:
        logger.exception("📊 %s: ошибка чтения метрик (%s)", platform.key, type(exc).__name__)
        return MetricsBatch(
            readings={},
            outcome=Outcome.TRANSIENT,
            error_message=f"Internal error while reading metrics ({type(exc).__name__}).",
        )


def record_reading(
    post: SocialMediaPost, reading: MetricsReading, now: datetime, source: str
) -> MetricSnapshot:
    """Check one reading against the post's numbers; update the post in memory and
    return the (unsaved) snapshot. Refused values are logged, never kept."""
    values = reading.values if isinstance(reading, MetricsReading) else None
    raw = reading.raw if isinstance(reading, MetricsReading) else reading
    previous = good_numbers(post.metrics)
    checked = check_values(values, previous)
    if checked.problems:
        logger.warning(
            "📊 Пост %s (%s): значения пропущены — %s",
            post.pk,
            post.platform,
            "; ".join(checked.problems),
        )
    post.metrics = {**previous, **checked.values}
    post.metrics_read_at = now
    return MetricSnapshot(
        post=post,
        platform=post.platform,
        read_at=now,
        source=source,
        raw=raw_for_storage(raw),
        # Counts never go back here, so the gain is never negative.
        interactions_gain=max(0, interactions(post.metrics) - interactions(previous)),
        **checked.values,
    )


def interactions(numbers: dict[str, int | float]) -> int:
    """Every count but views, summed (what the analytics call interactions)."""
    return sum(int(numbers.get(name, 0)) for name in INTERACTION_NAMES)


def snapshots_save(snapshots: list[MetricSnapshot]) -> None:
    """Store the snapshots and add their gains to each (platform, day): two statements."""
    if not snapshots:
        return
    MetricSnapshot.objects.bulk_create(snapshots)
    gains: Counter[tuple[str, date]] = Counter()
    for snapshot in snapshots:
        if snapshot.interactions_gain:
            gains[(snapshot.platform, timezone.localdate(snapshot.read_at))] += (
                snapshot.interactions_gain
            )
    if not gains:
        return
    table = connection.ops.quote_name(MetricDay._meta.db_table)
    rows = ", ".join(["(%s, %s, %s)"] * len(gains))
    params = [value for (key, day), gained in gains.items() for value in (key, day, gained)]
    with connection.cursor() as cursor:
        # PostgreSQL and SQLite both take ON CONFLICT … DO UPDATE: concurrent passes add up.
        cursor.execute(
            f"INSERT INTO {table} (platform, day, interactions_gain) VALUES {rows} "  # noqa: S608
            "ON CONFLICT (platform, day) DO UPDATE SET interactions_gain = "
            f"{table}.interactions_gain + EXCLUDED.interactions_gain",
            params,
        )


def _flag_credential(credential: SocialMediaCredentials, message: str, now: datetime) -> None:
    """Stop this credential's readings: flag it once, warn once (a conditional UPDATE)."""
    flagged = SocialMediaCredentials.objects.filter(pk=credential.pk, needs_reconnect=False).update(
        needs_reconnect=True, last_error=f"Metrics: {message}"[:2000], updated_at=now
    )
    credential.needs_reconnect = True
    if flagged:
        logger.warning(
            "🔑 %s: токен отклонён при чтении метрик — чтение остановлено, нужно переподключение",
            credential,
        )


class _Pass:
    """One collection pass: what was read, what to write back."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.read: Counter[str] = Counter()
        self.snapshots: list[MetricSnapshot] = []
        self.touched: list[SocialMediaPost] = []

    def later(self, posts: Iterable[SocialMediaPost], seconds: float | None = None) -> None:
        for post in posts:
            if seconds is None:
                post.next_metrics_at = next_reading(post.published_at, self.now)
            else:
                post.next_metrics_at = self.now + timedelta(seconds=seconds)
            self.touched.append(post)

    def credential(
        self,
        platform: BasePlatform,
        credential: SocialMediaCredentials,
        posts: list[SocialMediaPost],
    ) -> None:
        batches = list(_chunks(posts, platform.metrics_batch_size))
        for number, chunk in enumerate(batches):
            batch = _ask(platform, chunk, credential)
            if batch is None:  # the platform reads nothing after all
                self.later(chunk)
                continue
            readings = batch.readings if isinstance(batch.readings, dict) else {}
            for post in chunk:
                reading = readings.get(post.pk)
                if reading is not None:
                    self.snapshots.append(record_reading(post, reading, self.now, MetricSource.API))
                    self.read[platform.key] += 1
            rest = [post for later_chunk in batches[number + 1 :] for post in later_chunk]
            if batch.outcome == Outcome.AUTH:
                _flag_credential(credential, batch.error_message, self.now)
                self.later([*chunk, *rest])
                return
            if batch.outcome in (Outcome.RATE_LIMITED, Outcome.TRANSIENT, Outcome.UNKNOWN):
                default = (
                    RATE_LIMITED_DELAY if batch.outcome == Outcome.RATE_LIMITED else TRANSIENT_DELAY
                )
                wait = max(batch.retry_after or 0.0, default)
                unread = [post for post in chunk if post.pk not in readings]
                logger.warning(
                    "📊 %s: метрики %s отложены на %d с (%s)",
                    credential,
                    platform.label,
                    wait,
                    batch.error_message or batch.outcome,
                )
                self.later([p for p in chunk if p.pk in readings])
                self.later([*unread, *rest], wait)
                return
            if batch.outcome != Outcome.SUCCESS:
                logger.warning("📊 %s: %s", credential, batch.error_message or batch.outcome)
            self.later(chunk)

    def save(self) -> None:
        snapshots_save(self.snapshots)
        if self.touched:
            SocialMediaPost.objects.bulk_update(
                self.touched, ["metrics", "metrics_read_at", "next_metrics_at"], batch_size=500
            )


def metrics_collect(*, now: datetime | None = None, limit: int = PASS_LIMIT) -> dict[str, int]:
    """One pass over the due posts; the number of posts read, per platform key."""
    now = now or timezone.now()
    posts = _claim(now, limit)
    if not posts:
        return {}
    platforms = metric_platforms()
    targets = Targets.load(kind="api")
    groups: dict[tuple[str, int], list[SocialMediaPost]] = {}
    credentials: dict[int, SocialMediaCredentials] = {}
    work = _Pass(now)
    for post in posts:
        target = targets.for_task(post.task).get(post.platform)
        if not isinstance(target, SocialMediaCredentials) or target.needs_reconnect:
            work.later([post])  # no usable account now: try again on the schedule
            continue
        credentials[target.pk] = target
        groups.setdefault((post.platform, target.pk), []).append(post)
    try:
        for (key, credential_pk), group in groups.items():
            credential = credentials[credential_pk]
            if credential.needs_reconnect:
                work.later(group)
                continue
            work.credential(platforms[key], credential, group)
    except SoftTimeLimitExceeded:
        logger.warning("⏱️ Сбор метрик прерван по лимиту времени — записываем прочитанное")
    work.save()
    if work.read:
        logger.info(
            "📊 Метрики прочитаны: %s", ", ".join(f"{k} {n}" for k, n in sorted(work.read.items()))
        )
    return dict(work.read)


def metrics_record_callback(
    *, post: SocialMediaPost, values: dict[str, object], now: datetime | None = None
) -> MetricSnapshot:
    """A scenario's callback reported numbers: one snapshot, the post's latest updated.

    The values were checked by the callback's serializer; going backwards is refused here
    as for any reading.
    """
    now = now or timezone.now()
    snapshot = record_reading(
        post, MetricsReading(values=values, raw=dict(values)), now, MetricSource.CALLBACK
    )
    snapshots_save([snapshot])
    SocialMediaPost.objects.filter(pk=post.pk).update(metrics=post.metrics, metrics_read_at=now)
    return snapshot
