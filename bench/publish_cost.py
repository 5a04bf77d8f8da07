"""Benchmark: what one publish costs a worker — SQL round trips, broker round trips, CPU.

    .venv/bin/python bench/publish_cost.py                 # 50 tasks x 6 platforms
    .venv/bin/python bench/publish_cost.py --tasks 200 --profile 25

Runs the Celery task body (``social_media.tasks.publish_post``) in this process for
every post of N tasks published to six platforms, against the platform emulator
(in a thread of this process, answering at once: 0 ms latency) and counts, per post:

* SQL round trips (Django's ``CaptureQueriesContext`` around the task body); the
  first post after the targets changed also loads them (reported apart);
* broker round trips (Redis commands sent by this process while the task ran);
* worker CPU: ``time.thread_time()`` of the thread running the task, so the
  emulator's threads are not counted. The median and p90 per post are reported.

These are deterministic or per-thread measures: they hold on a loaded machine too.
``--profile N`` also writes the cProfile of N publishes (the top functions by
cumulative time) to ``var/bench-logs/publish_cost.prof.txt``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _common

GOAL_CPU_MS = 3.0
GOAL_QUERIES = 4


class RedisCounter:
    """Counts commands this process sends to Redis (the broker) while installed."""

    def __init__(self) -> None:
        self.count = 0

    def __enter__(self) -> RedisCounter:
        from redis.connection import AbstractConnection

        self._original = AbstractConnection.send_command

        def counting(conn: AbstractConnection, *args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return self._original(conn, *args, **kwargs)

        setattr(AbstractConnection, "send_command", counting)  # noqa: B010
        return self

    def __exit__(self, *exc: object) -> None:
        from redis.connection import AbstractConnection

        setattr(AbstractConnection, "send_command", self._original)  # noqa: B010


def _posts(tasks_count: int, port: int) -> list[int]:
    from django.db import transaction

    from social_media.services import publish_tasks
    from tasks.models import SocialMediaPost, Task

    _common.reset_data()
    _common.configure_platforms(port)
    tasks = Task.objects.bulk_create(
        Task(
            question=f"Q{n}?",
            answers=["3", "6"],
            correct_answer="3",
            published=True,
        )
        for n in range(tasks_count)
    )
    _common.prerender([task.pk for task in tasks])  # untimed: the publishes reuse the renders
    with transaction.atomic():
        publish_tasks(tasks)
        # The hand-off message is not wanted: this benchmark runs the task bodies itself.
        transaction.get_connection().run_on_commit = []
    return list(SocialMediaPost.objects.order_by("pk").values_list("pk", flat=True))


def main() -> None:
    parser = argparse.ArgumentParser(description="SQL, broker and CPU cost of one publish.")
    parser.add_argument("--tasks", type=int, default=50, help="tasks to publish (x6 posts)")
    parser.add_argument("--profile", type=int, default=0, help="cProfile this many publishes")
    parser.add_argument("--show-sql", type=int, default=0, help="print the SQL of N publishes")
    parser.add_argument("--no-record", action="store_true", help="print only")
    args = parser.parse_args()
    port = _common.free_port()
    _common.setup_django(**_common.platform_settings(port))
    _common.purge_broker()
    from django.db import connection
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext

    from social_media.tasks import publish_post
    from tasks.models import PostStatus, SocialMediaPost

    emulator = _common.start_emulator(port, 0)
    try:
        # Warm-up: imports, the first connections (not what a running worker pays).
        for post_id in _posts(2, port):
            publish_post.run(post_id)
        post_ids = _posts(max(1, args.tasks), port)
        queries: list[int] = []
        first_post_queries = 0
        broker: list[int] = []
        cpu_ms: list[float] = []
        by_platform: dict[str, list[int]] = {}
        platform_of = dict(SocialMediaPost.objects.values_list("pk", "platform"))
        profile = cProfile.Profile(time.thread_time) if args.profile else None
        for n, post_id in enumerate(post_ids):
            profiled = profile is not None and n < args.profile
            with CaptureQueriesContext(connection) as captured, RedisCounter() as redis:
                started = time.thread_time()
                if profiled and profile is not None:
                    profile.enable()
                publish_post.run(post_id)
                if profiled and profile is not None:
                    profile.disable()
                cpu_ms.append((time.thread_time() - started) * 1000)
            queries.append(len(captured))
            if args.show_sql and n < args.show_sql:
                print(platform_of[post_id], [q["sql"][:150] for q in captured.captured_queries])
            broker.append(redis.count)
            if n:  # the first post reloads the worker's copy of the targets (new rows)
                by_platform.setdefault(platform_of[post_id], []).append(len(captured))
            else:
                first_post_queries = len(captured)
        statuses = dict(
            SocialMediaPost.objects.values_list("status").annotate(n=Count("id")).order_by()
        )
        received = emulator.create_counts()
    finally:
        emulator.stop()
        _common.purge_broker()
    final = statuses.get(PostStatus.PUBLISHED, 0) + statuses.get(PostStatus.PROCESSING, 0)
    ordered = sorted(cpu_ms)
    row = {
        "posts": len(post_ids),
        "final": final,
        "sql_round_trips_per_post": {k: max(v) for k, v in sorted(by_platform.items())},
        "sql_round_trips_max": max(max(v) for v in by_platform.values()),
        "sql_round_trips_first_post": first_post_queries,
        "broker_round_trips_max": max(broker),
        "cpu_ms_median": round(statistics.median(ordered), 2),
        "cpu_ms_p90": round(ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))], 2),
        "cpu_ms_mean": round(statistics.fmean(ordered), 2),
        "requests_received": received,
    }
    print(
        f"{row['final']}/{row['posts']} posts final; SQL round trips per post "
        f"{row['sql_round_trips_per_post']} (goal <= {GOAL_QUERIES}; the first post, which "
        f"loads the targets, {row['sql_round_trips_first_post']}); broker round trips "
        f"<= {row['broker_round_trips_max']}; worker CPU per post median "
        f"{row['cpu_ms_median']} ms, p90 {row['cpu_ms_p90']} ms (goal <= {GOAL_CPU_MS} ms)"
    )
    if profile is not None:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(60)
        path = _common.ROOT / "var" / "bench-logs" / "publish_cost.prof.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(out.getvalue())
        profile.dump_stats(path.with_suffix(""))  # for pstats / snakeviz
        print(f"cProfile of {args.profile} publishes: {path.relative_to(_common.ROOT)}")
    _common.reset_data()
    if not args.no_record:
        _common.record(
            "publish_cost",
            {
                "command": " ".join(["python bench/publish_cost.py", *sys.argv[1:]]),
                "latency_ms": 0,
                "goal": f"<= {GOAL_CPU_MS} ms worker CPU and <= {GOAL_QUERIES} SQL round trips "
                "per post",
                "goal_met": row["sql_round_trips_max"] <= GOAL_QUERIES
                and row["cpu_ms_median"] <= GOAL_CPU_MS
                and row["final"] == row["posts"],
                "results": [row],
            },
        )


if __name__ == "__main__":
    main()
