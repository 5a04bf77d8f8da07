"""Benchmark 9: the analytics page's engagement queries with 100,000 snapshots (issue 14).

    .venv/bin/python bench/engagement.py [--snapshots 100000] [--runs 20]

Fills the benchmark database with published posts over the last 30 days (six platforms,
three topics, three difficulties, two languages) and their readings (``MetricSnapshot``,
one every few hours per post, growing), then times the page's queries — the engagement
report (``social_media.engagement.engagement_report``: four grouped aggregates, the top
and bottom quizzes, the per-day chart) and the publishing report beside it — and the
whole page through the admin, for the default 30-day range. It also counts the page's
queries with 1,000 and with all the snapshots (they must be equal). Goal: the page's
queries under 300 ms on PostgreSQL.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _common

PLATFORMS = ["pinterest", "facebook", "instagram", "tiktok", "youtube_shorts", "yandex_dzen"]
TOPICS = ["Python", "SQL", "JavaScript"]
DIFFICULTIES = ["easy", "medium", "hard"]
READINGS_PER_POST = 20
GOAL_MS = 300.0


def fill(snapshots: int) -> int:
    """Posts with ``READINGS_PER_POST`` growing readings each; the latest kept on the post."""
    from django.utils import timezone

    from social_media.models import MetricSnapshot
    from tasks.models import PostStatus, SocialMediaPost, Task

    rng = random.Random(14)  # noqa: S311 - benchmark data, not security
    now = timezone.now()
    posts_needed = max(1, snapshots // READINGS_PER_POST)
    tasks_needed = -(-posts_needed // len(PLATFORMS))  # each task on up to six platforms
    tasks = Task.objects.bulk_create(
        Task(
            question=f"Question {n}?",
            answers=["a", "b"],
            correct_answer="a",
            topic=TOPICS[n % 3],
            difficulty=DIFFICULTIES[n % 3],
            language="ru" if n % 2 else "en",
            published=True,
        )
        for n in range(tasks_needed)
    )
    posts = []
    for n in range(posts_needed):
        task = tasks[n % len(tasks)]
        posts.append(
            SocialMediaPost(
                task=task,
                platform=PLATFORMS[(n // len(tasks)) % len(PLATFORMS)],
                status=PostStatus.PUBLISHED,
                post_id=str(n),
                published_at=now - timedelta(days=rng.uniform(0, 29)),
            )
        )
    SocialMediaPost.objects.bulk_create(posts, batch_size=2000)
    created = 0
    batch: list[MetricSnapshot] = []
    for post in posts:
        assert post.published_at is not None
        views = 0
        values: dict[str, int] = {}
        before = 0
        for reading in range(READINGS_PER_POST):
            views += rng.randint(0, 200)
            values = {
                "views": views,
                "engagements": views // 12,
                "comments": views // 40,
                "shares": views // 60,
                "saves": views // 20,
                "clicks": views // 10,
            }
            when = min(post.published_at + timedelta(hours=3 * reading), now)
            gained = sum(v for k, v in values.items() if k != "views") - before
            before += gained
            batch.append(
                MetricSnapshot(
                    post=post,
                    platform=post.platform,
                    read_at=when,
                    interactions_gain=gained,
                    **values,
                )
            )
        post.metrics = values
        post.metrics_read_at = now
        if len(batch) >= 10_000:
            MetricSnapshot.objects.bulk_create(batch)
            created += len(batch)
            batch = []
    MetricSnapshot.objects.bulk_create(batch)
    created += len(batch)
    # The day rows each reading adds to (what snapshots_save writes in the product).
    from django.db.models import Sum
    from django.db.models.functions import TruncDate

    from social_media.models import MetricDay

    days = (
        MetricSnapshot.objects.annotate(day=TruncDate("read_at"))
        .order_by()
        .values("platform", "day")
        .annotate(gained=Sum("interactions_gain"))
    )
    MetricDay.objects.bulk_create(
        MetricDay(platform=row["platform"], day=row["day"], interactions_gain=row["gained"])
        for row in days
    )
    SocialMediaPost.objects.bulk_update(posts, ["metrics", "metrics_read_at"], batch_size=2000)
    # Created "now" by auto_now_add: spread them over the range like real posts.
    for post in posts:
        assert post.published_at is not None
        post.created_at = post.published_at
    SocialMediaPost.objects.bulk_update(posts, ["created_at"], batch_size=2000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return created


def time_queries(runs: int) -> dict[str, dict[str, float]]:
    from social_media.analytics import analytics_report, default_range
    from social_media.engagement import engagement_report

    start, end = default_range()
    engagement_report(date_from=start, date_to=end)  # warm the connection and caches
    samples, publishing = [], []
    for _run in range(runs):
        began = time.perf_counter()
        engagement_report(date_from=start, date_to=end)
        middle = time.perf_counter()
        analytics_report(date_from=start, date_to=end)
        samples.append((middle - began) * 1000)
        publishing.append((time.perf_counter() - began) * 1000)
    return {
        "engagement_report": _common.summarize_ms(samples),
        "both_reports": _common.summarize_ms(publishing),
    }


def page(runs: int) -> tuple[dict[str, float], int]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    user = get_user_model().objects.create_superuser("bench", "", "bench-password")
    client = Client()
    client.force_login(user)
    client.get("/admin/analytics/", secure=True)
    samples = []
    for _run in range(runs):
        began = time.perf_counter()
        response = client.get("/admin/analytics/", secure=True)
        samples.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as captured:
        client.get("/admin/analytics/", secure=True)
    return _common.summarize_ms(samples), len(captured)


def _reset() -> None:
    from django.contrib.auth import get_user_model

    from social_media.models import MetricDay

    _common.reset_data()  # tasks, cascading to posts and snapshots
    MetricDay.objects.all().delete()
    get_user_model().objects.filter(username="bench").delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshots", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    options = parser.parse_args()
    _common.setup_django()

    _reset()
    fill(1000)
    _small, small_queries = page(2)
    _reset()
    began = time.perf_counter()
    created = fill(options.snapshots)
    print(f"filled {created:,} snapshots in {time.perf_counter() - began:.0f} s")
    queries = time_queries(options.runs)
    page_ms, large_queries = page(options.runs)
    print(f"engagement report: {queries['engagement_report']}")
    print(f"both reports: {queries['both_reports']}")
    print(f"whole page: {page_ms}; queries {small_queries} (1,000 snapshots) / {large_queries}")
    median = queries["both_reports"]["median_ms"]
    _reset()
    _common.record(
        "engagement",
        {
            "command": f"python bench/engagement.py --snapshots {options.snapshots}",
            "snapshots": created,
            "goal": f"the analytics page's queries under {GOAL_MS:.0f} ms (median)",
            "goal_met": median < GOAL_MS,
            "queries": queries,
            "page": page_ms,
            "page_queries_small": small_queries,
            "page_queries_large": large_queries,
        },
    )


if __name__ == "__main__":
    main()
