"""Benchmark 1: how long an admin save takes, and whether platform latency reaches it.

    .venv/bin/python bench/save_latency.py            # full run (about 3 minutes)
    .venv/bin/python bench/save_latency.py --quick    # fewer samples

For each platform latency (0, 500, 2000 ms; the platform emulator's Pinterest, Facebook
and a Make.com hook serving all six platforms) three configurations save a new task
through the admin add form (Django test client, real PostgreSQL, real Redis broker):

* ``unpublished`` — the task is saved with *published* unticked: the baseline;
* ``published_async`` — the product: posts written in the save's transaction,
  one message handed to Redis on commit by the process's sender thread
  (``SOCIAL_MEDIA_ENQUEUE_IN_BACKGROUND``), no network call to any platform; the
  thread is drained after each timed save, outside the timing;
* ``published_sync`` — the seed's design: every platform called inside the save
  (here: Celery eager mode, so the publish tasks run in the request).

Goal (issue 7): ``published_async`` ≤ 1.2 × ``unpublished`` at every latency.

The same comparison is made for a save from code (``Task.objects.create``, no admin
around it), whose goal (issue 15) is ``code_published`` ≤ 3 × ``code_unpublished``;
and the round trips a published save from code adds are counted (SQL statements
and Redis commands): one outbox INSERT and one broker message are the goal.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _common

if TYPE_CHECKING:
    from django.test import Client

LATENCIES_MS = [0, 500, 2000]
GOAL_RATIO = 1.2
GOAL_CODE_RATIO = 3.0


def _form(number: int, *, published: bool) -> dict[str, str]:
    data = {
        "question": f"Benchmark question {number}: what does len('abc') return?",
        "answers": '["3", "6", "9", "error"]',
        "correct_answer": "3",
        "explanation": "len('abc') is 3.",
        "image_url": "https://cdn.quiz.example.com/tasks/1.png",
        "topic": "Python",
        "difficulty": "medium",
        "language": "en",
        "publish_date_0": "",
        "publish_date_1": "",
        "social_posts-TOTAL_FORMS": "0",
        "social_posts-INITIAL_FORMS": "0",
        "social_posts-MIN_NUM_FORMS": "0",
        "social_posts-MAX_NUM_FORMS": "1000",
    }
    if published:
        data["published"] = "on"
    return data


def _drain() -> None:
    """Let the sender thread finish the last save's broker message (outside any timing)."""
    from social_media.background import SENDER

    SENDER.flush(timeout=30)


def _read_messages(client: Client) -> None:
    """Drop the save's messages, as the page the editor is redirected to would show and
    consume them (outside the timing): the client does not follow the redirect, and
    unread messages would otherwise pile up in its cookie, read again on every save."""
    client.cookies.pop("messages", None)
    session = client.session
    if session.pop("_messages", None) is not None:
        session.save()


def _measure(client: Client, mode: str, samples: int, counter: list[int]) -> list[float]:
    from django.conf import settings

    from quiz_backend.celery import app

    app.conf.task_always_eager = mode == "published_sync"
    # The seed's design calls the platforms inside the save, not from the sender thread.
    settings.SOCIAL_MEDIA_ENQUEUE_IN_BACKGROUND = mode != "published_sync"
    timings = []
    for _ in range(samples):
        counter[0] += 1
        data = _form(counter[0], published=mode != "unpublished")
        started = time.perf_counter()
        response = client.post("/admin/tasks/task/add/", data, secure=True)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 302:
            raise SystemExit(f"{mode}: the admin answered {response.status_code}, not a redirect")
        timings.append(elapsed)
        _drain()
        _read_messages(client)
    app.conf.task_always_eager = False
    settings.SOCIAL_MEDIA_ENQUEUE_IN_BACKGROUND = True
    return timings


def _interleaved(
    client: Client, samples: int, counter: list[int]
) -> tuple[list[float], list[float]]:
    """Unpublished and async saves in turn, so load from other processes hits both alike."""
    unpublished: list[float] = []
    published_async: list[float] = []
    for _ in range(samples):
        unpublished += _measure(client, "unpublished", 1, counter)
        published_async += _measure(client, "published_async", 1, counter)
    return unpublished, published_async


def _code_save(number: int, *, published: bool) -> float:
    from tasks.models import Task

    started = time.perf_counter()
    Task.objects.create(
        question=f"Code save {number}: what does len('abc') return?",
        answers=["3", "6", "9", "error"],
        correct_answer="3",
        image_url="https://cdn.quiz.example.com/tasks/1.png",
        language="en",
        published=published,
    )
    return (time.perf_counter() - started) * 1000


def _code_interleaved(samples: int, counter: list[int]) -> tuple[list[float], list[float]]:
    """Saves from code, unpublished and published in turn."""
    unpublished: list[float] = []
    published: list[float] = []
    for _ in range(samples):
        counter[0] += 1
        unpublished.append(_code_save(counter[0], published=False))
        published.append(_code_save(counter[0], published=True))
        _drain()
    return unpublished, published


def _code_round_trips(counter: list[int]) -> dict[str, int]:
    """SQL statements and Redis commands of one save from code, unpublished and published."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.publish_cost import RedisCounter

    found: dict[str, int] = {}
    for published in (False, True):
        counter[0] += 1
        with CaptureQueriesContext(connection) as queries, RedisCounter() as redis:
            _code_save(counter[0], published=published)
            _drain()  # the sender thread's broker message counts too
        name = "published" if published else "unpublished"
        found[f"{name}_sql"] = len(queries)
        found[f"{name}_broker"] = redis.count
    return found


def _breakdown(samples: int) -> dict[str, dict[str, float]]:
    """Where the async save's extra time goes: the service's SQL, then the hand-off."""
    from django.db import transaction

    from social_media.services import enqueue_posts, publish_to_social_media
    from tasks.models import SocialMediaPost, Task

    service, handoff = [], []
    for number in range(samples):
        with transaction.atomic():
            task = Task.objects.create(
                question=f"Breakdown {number}?", answers=["3", "6"], correct_answer="3"
            )
            started = time.perf_counter()
            publish_to_social_media(task, new_task=True)  # as the signal does on create
            service.append((time.perf_counter() - started) * 1000)
            transaction.set_rollback(True)  # nothing committed, nothing enqueued
        ids = list(SocialMediaPost.objects.values_list("pk", flat=True)[:6])
        started = time.perf_counter()
        enqueue_posts(ids)  # one UPDATE and one dispatch message for the six posts
        handoff.append((time.perf_counter() - started) * 1000)
    _common.purge_broker()
    return {
        "publish_service_in_transaction": _common.summarize_ms(service),
        "handoff_6_posts_after_commit": _common.summarize_ms(handoff),
    }


def _check_posts() -> dict[str, int]:
    from django.db.models import Count

    from tasks.models import SocialMediaPost

    rows = SocialMediaPost.objects.values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description="Admin save latency, async vs sync publishing.")
    parser.add_argument("--quick", action="store_true", help="fewer samples (smoke run)")
    args = parser.parse_args()

    port = _common.free_port()
    _common.setup_django(**_common.platform_settings(port), SOCIAL_MEDIA_HTTP_TIMEOUT="10")
    from django.contrib.auth import get_user_model
    from django.test import Client

    fast = 5 if args.quick else 40
    warmup = 3 if args.quick else 10
    rows: list[dict[str, Any]] = []
    counter = [0]
    for latency in LATENCIES_MS:
        emulator = _common.start_emulator(port, latency)
        try:
            _common.reset_data()
            _common.purge_broker()
            _common.configure_platforms(port)
            user = get_user_model().objects.filter(username="bench").first()
            if user is None:
                user = get_user_model().objects.create_superuser("bench", "", "bench")
            client = Client()
            client.force_login(user)
            _interleaved(client, warmup, counter)  # warm caches, connections, pools
            slow = {0: fast, 500: 3 if args.quick else 8, 2000: 2 if args.quick else 4}[latency]
            unpublished, published_async = _interleaved(client, fast, counter)
            _code_interleaved(warmup, counter)
            code_unpublished, code_published = _code_interleaved(fast, counter)
            result: dict[str, Any] = {
                "latency_ms": latency,
                "code_unpublished": _common.summarize_ms(code_unpublished),
                "code_published": _common.summarize_ms(code_published),
                "unpublished": _common.summarize_ms(unpublished),
                "published_async": _common.summarize_ms(published_async),
                "published_sync": _common.summarize_ms(
                    _measure(client, "published_sync", slow, counter)
                ),
            }
            result["async_over_unpublished"] = round(
                result["published_async"]["median_ms"] / result["unpublished"]["median_ms"], 2
            )
            result["code_published_over_unpublished"] = round(
                result["code_published"]["median_ms"] / result["code_unpublished"]["median_ms"], 2
            )
            result["sync_over_unpublished"] = round(
                result["published_sync"]["median_ms"] / result["unpublished"]["median_ms"], 1
            )
            result["posts_by_status"] = _check_posts()
            rows.append(result)
            print(
                f"latency {latency:>4} ms: unpublished {result['unpublished']['median_ms']:>8} ms, "
                f"async {result['published_async']['median_ms']:>8} ms "
                f"({result['async_over_unpublished']}×), "
                f"sync {result['published_sync']['median_ms']:>9} ms "
                f"({result['sync_over_unpublished']}×); from code: unpublished "
                f"{result['code_unpublished']['median_ms']} ms, published "
                f"{result['code_published']['median_ms']} ms "
                f"({result['code_published_over_unpublished']}×)",
                flush=True,
            )
        finally:
            emulator.stop()
            _common.purge_broker()
    round_trips = _code_round_trips(counter)
    print(f"round trips of one save from code: {round_trips}")
    _common.purge_broker()
    breakdown = _breakdown(5 if args.quick else 40)
    for part, numbers in breakdown.items():
        print(f"{part}: median {numbers['median_ms']} ms")
    met = all(
        row["async_over_unpublished"] <= GOAL_RATIO
        and row["code_published_over_unpublished"] <= GOAL_CODE_RATIO
        for row in rows
    )
    _common.record(
        "save_latency",
        {
            "command": "python bench/save_latency.py" + (" --quick" if args.quick else ""),
            "goal": f"published_async median <= {GOAL_RATIO} x unpublished median (admin) and "
            f"code_published <= {GOAL_CODE_RATIO} x code_unpublished, every latency",
            "goal_met": met,
            "results": rows,
            "async_breakdown": breakdown,
            "code_save_round_trips": round_trips,
        },
    )


if __name__ == "__main__":
    main()
