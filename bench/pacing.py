"""Benchmark 9: pacing and the publishing calendar (issue 17), queries small against large.

    .venv/bin/python bench/pacing.py

Counts the SQL queries, and times, of: planning the posts of 2 and of 167 tasks over six
paced targets (12 and 1,002 posts: lock, slot look-up, slot INSERT, post INSERT); the
bulk action's confirmation page with its per-platform times (5 and 500 tasks); the
admin calendar, week and month, with 60 and with 3,000 posts drawn. Writes of the
measured planning are rolled back. The same checks run as tests in
social_media/tests/test_pacing.py and test_calendar.py.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _common
from bench.queries import _admin_client, _tasks, count_queries


def _paced_targets() -> None:
    from webhooks.models import SocialMediaCredentials, Webhook

    SocialMediaCredentials.objects.create(
        platform="pinterest",
        access_token=_common.fake_token("pinterest"),
        extra_data={"board_id": "1"},
        min_gap_seconds=60,
        daily_cap=400,
    )
    SocialMediaCredentials.objects.create(
        platform="facebook",
        access_token=_common.fake_token("facebook"),
        extra_data={"page_id": "1045"},
        min_gap_seconds=60,
    )
    Webhook.objects.create(
        url="https://hook.eu1.make.com/bench",
        service_name="Make.com",
        webhook_type="social_media",
        target_platforms=["instagram", "tiktok", "youtube_shorts", "yandex_dzen"],
        min_gap_seconds=15,
        quiet_start="23:00",
        quiet_end="07:00",
    )


def _timed(func: Callable[[], object], *, rollback: bool = True) -> tuple[int, float]:
    started = time.perf_counter()
    queries = count_queries(func, rollback=rollback)
    return queries, round((time.perf_counter() - started) * 1000, 1)


def main() -> None:
    _common.setup_django()
    from social_media.services import publish_tasks
    from social_media.target_cache import forget
    from tasks.models import SocialMediaPost

    rows = []

    def row(
        operation: str, small: str, s: tuple[int, float], large: str, big: tuple[int, float]
    ) -> None:
        rows.append(
            {
                "operation": operation,
                "small": small,
                "small_queries": s[0],
                "small_ms": s[1],
                "large": large,
                "large_queries": big[0],
                "large_ms": big[1],
                "constant": s[0] == big[0],
            }
        )
        flag = "ok" if s[0] == big[0] else "GROWS"
        print(
            f"{operation:<30} {small:>14}: {s[0]:>3} q {s[1]:>8} ms   "
            f"{large:>16}: {big[0]:>3} q {big[1]:>8} ms   {flag}"
        )

    _common.reset_data()
    forget()
    _paced_targets()
    publish_tasks(_tasks(1, published=False))  # the process loads its copy of the targets
    small, large = _tasks(2, published=False), _tasks(167, published=False)
    row(
        "plan posts (publish_tasks)",
        "12 posts",
        _timed(lambda: publish_tasks(small)),
        "1,002 posts",
        _timed(lambda: publish_tasks(large)),
    )

    client = _admin_client()

    def confirm(tasks: list) -> Callable[[], object]:
        data = {"action": "publish_to_social_networks", "_selected_action": [t.pk for t in tasks]}
        return lambda: client.post("/admin/tasks/task/", data, secure=True)

    small, large = _tasks(5, published=False), _tasks(500, published=False)
    client.get("/admin/tasks/task/", secure=True)
    row(
        "bulk confirmation with times",
        "5 tasks",
        _timed(confirm(small)),
        "500 tasks",
        _timed(confirm(large)),
    )

    for view in ("week", "month"):
        _common.reset_data()
        forget()
        _paced_targets()
        publish_tasks(_tasks(10))
        url = f"/admin/calendar/?view={view}"
        client.get(url, secure=True)
        page = partial(client.get, url, secure=True)
        small_r = _timed(page, rollback=False)
        publish_tasks(_tasks(490))
        large_r = _timed(page, rollback=False)
        drawn = page().content.decode().count('data-post="')
        total = SocialMediaPost.objects.count()
        row(f"calendar, {view}", "60 posts", small_r, f"{drawn:,} of {total:,} drawn", large_r)

    _common.reset_data()
    _common.record(
        "pacing",
        {
            "command": "python bench/pacing.py",
            "goal": "planning and the calendar cost the same number of queries for few and "
            "many posts",
            "goal_met": all(r["constant"] for r in rows),
            "machine": _common.machine(),
            "results": rows,
        },
    )


if __name__ == "__main__":
    main()
