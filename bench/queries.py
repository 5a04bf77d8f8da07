"""Benchmark 4: SQL queries per operation, small against large (must be equal).

    .venv/bin/python bench/queries.py

Counts the queries of: publishing one task to 1 and to 6 platforms; the publish
service and the admin bulk action on 5 and on 500 tasks; handing 6 and 3,000
posts to the broker; the task and post admin changelists with 10 tasks / 60 posts
and with 1,000 tasks / 6,000 posts. Writes are rolled back, so the numbers are
the operation's own SQL. The same checks run as tests in tests/test_query_counts.py.
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _common

if TYPE_CHECKING:
    from django.test import Client

PLATFORMS = ["pinterest", "facebook", "instagram", "tiktok", "youtube_shorts", "yandex_dzen"]


class _Rollback(Exception):
    pass


def count_queries(func: Callable[[], object], *, rollback: bool = True) -> int:
    """Queries ``func`` runs; inside a rolled-back transaction so on_commit never fires."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        try:
            with transaction.atomic():
                func()
                if rollback:
                    raise _Rollback
        except _Rollback:
            pass
    return len([q for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]])


def _platforms(count: int) -> None:
    from webhooks.models import SocialMediaCredentials, Webhook

    SocialMediaCredentials.objects.create(
        platform="pinterest",
        access_token=_common.fake_token("pinterest"),
        extra_data={"board_id": "1"},
    )
    if count == 1:
        return
    SocialMediaCredentials.objects.create(
        platform="facebook",
        access_token=_common.fake_token("facebook"),
        extra_data={"page_id": "1045"},
    )
    Webhook.objects.create(
        url="https://hook.eu1.make.com/bench",
        service_name="Make.com",
        webhook_type="social_media",
        target_platforms=PLATFORMS[2:],
    )


def _tasks(count: int, *, published: bool = True) -> list:
    from tasks.models import Task

    return Task.objects.bulk_create(
        Task(
            question=f"Question {n}?",
            answers=["3", "6"],
            correct_answer="3",
            language="en",
            published=published,
        )
        for n in range(count)
    )


def _posts_for(tasks: list) -> None:
    from tasks.models import PostStatus, SocialMediaPost

    statuses = itertools.cycle(
        [PostStatus.PUBLISHED, PostStatus.FAILED, PostStatus.PROCESSING, PostStatus.PENDING]
    )
    SocialMediaPost.objects.bulk_create(
        SocialMediaPost(task=task, platform=platform, status=next(statuses))
        for task in tasks
        for platform in PLATFORMS
    )


def _admin_client() -> Client:
    from django.contrib.auth import get_user_model
    from django.test import Client

    user = get_user_model().objects.filter(username="bench").first()
    if user is None:
        user = get_user_model().objects.create_superuser("bench", "", "bench")
    client = Client()
    client.force_login(user)
    return client


def main() -> None:
    _common.setup_django()
    from social_media.services import enqueue_posts, publish_tasks, publish_to_social_media
    from tasks.models import SocialMediaPost

    rows = []

    def row(operation: str, small: str, small_n: int, large: str, large_n: int) -> None:
        rows.append(
            {
                "operation": operation,
                "small": small,
                "small_queries": small_n,
                "large": large,
                "large_queries": large_n,
                "constant": small_n == large_n,
            }
        )
        flag = "ok" if small_n == large_n else "GROWS"
        print(f"{operation:<38} {small:>22}: {small_n:>3}   {large:>26}: {large_n:>3}   {flag}")

    _common.reset_data()
    _platforms(1)
    one = count_queries(lambda: publish_to_social_media(_tasks(1)[0])) - 1  # minus the INSERT
    _common.reset_data()
    _platforms(6)
    six = count_queries(lambda: publish_to_social_media(_tasks(1)[0])) - 1
    row("publish one task", "1 platform", one, "6 platforms", six)

    small, large = _tasks(5), _tasks(500)
    row(
        "publish_tasks (service)",
        "5 tasks",
        count_queries(lambda: publish_tasks(small, retry_failed=True)),
        "500 tasks",
        count_queries(lambda: publish_tasks(large, retry_failed=True)),
    )

    client = _admin_client()
    small, large = _tasks(5, published=False), _tasks(500, published=False)

    def bulk(tasks: list) -> Callable[[], object]:
        data = {
            "action": "publish_to_social_networks",
            "_selected_action": [t.pk for t in tasks],
            "post": "yes",  # the confirmation page's answer
        }
        return lambda: client.post("/admin/tasks/task/", data, secure=True)

    client.get("/admin/tasks/task/", secure=True)
    row(
        "admin bulk action",
        "5 tasks",
        count_queries(bulk(small)),
        "500 tasks",
        count_queries(bulk(large)),
    )

    publish_tasks(large)
    ids = list(SocialMediaPost.objects.values_list("pk", flat=True))
    row(
        "enqueue_posts (after commit)",
        "6 posts",
        count_queries(lambda: enqueue_posts(ids[:6]), rollback=False),
        "3,000 posts",
        count_queries(lambda: enqueue_posts(ids[:3000]), rollback=False),
    )
    started = time.perf_counter()
    enqueue_posts(ids[:3000])
    rows[-1]["large_wall_ms"] = round((time.perf_counter() - started) * 1000, 1)
    print(f"    handing 3,000 posts to Redis took {rows[-1]['large_wall_ms']} ms")
    _common.purge_broker()

    for url, label in (("/admin/tasks/task/", "task"), ("/admin/tasks/socialmediapost/", "post")):
        _common.reset_data()
        _platforms(6)
        _posts_for(_tasks(10))
        client.get(url, secure=True)
        page = partial(client.get, url, secure=True)
        small_n = count_queries(page, rollback=False)
        _posts_for(_tasks(990))
        large_n = count_queries(page, rollback=False)
        row(
            f"{label} changelist (page of 100)",
            "10 tasks / 60 posts",
            small_n,
            "1,000 tasks / 6,000 posts",
            large_n,
        )

    _common.reset_data()
    _common.record(
        "queries",
        {
            "command": "python bench/queries.py",
            "goal": "the same number of queries for the small and the large case",
            "goal_met": all(r["constant"] for r in rows),
            "results": rows,
        },
    )


if __name__ == "__main__":
    main()
