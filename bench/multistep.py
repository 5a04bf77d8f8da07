"""Benchmark 7: waiting on a platform never occupies a worker slot (issue 15, point 5).

    .venv/bin/python bench/multistep.py                      # 20 tasks, C = 2, 20 s processing
    .venv/bin/python bench/multistep.py --tasks 6 --processing-seconds 8 --no-record

Instagram Reels publish in steps: the product creates a media container, reads its
status until it is FINISHED, then calls ``media_publish``. Between two status reads the
post stays *pending* with ``platform_step`` set and a Celery countdown (or the relay)
hands it to a worker again when it is due: no worker sits waiting. This benchmark shows
it with a real Celery worker (prefork pool, concurrency C, Redis broker) and the
platform emulator in a thread of this process, answering every request after 100 ms;
its Instagram video containers stay ``IN_PROGRESS`` for ``--processing-seconds``.

Phases:

1. **baseline**: M tasks published to Pinterest only (one request per post).
2. **mixed**: M tasks published to Instagram (Reels, slow) and Pinterest at once, with
   the same C slots. If a waiting Instagram post held a slot, the Pinterest posts would
   queue behind them for about ``processing_seconds`` each (M / C of them in turn).

Reported: (a) the Pinterest posts' finish time and throughput in both phases against the
ideal ``C / 0.1 s``; (b) every Instagram post published, each at least
``processing_seconds`` after its container was made, and how long the whole took;
(c) sampled from the database every 0.2 s, how many posts a worker held (status
*processing*, a live claim) and how many were waiting on the platform (*pending* with a
``platform_step``), and, from the attempts, the seconds a worker spent on each Instagram
post against the seconds it waited; (d) no duplicates: one Pinterest create per post,
one Instagram container and exactly one ``media_publish`` per post (the emulator's
create counter counts both). Results go to the ``multistep`` section of
docs/benchmarks.json unless ``--no-record``.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _common

if TYPE_CHECKING:
    from emulator.testing import InProcessEmulator

LATENCY_MS = 100
SAMPLE_SECONDS = 0.2
IG_USER_ID = "17841400000000001"  # the emulator's account (emulator/platforms/instagram.py)


def _worker_settings(port: int) -> dict[str, str]:
    """``_common.platform_settings`` plus Instagram's Graph API on the emulator."""
    return {
        **_common.platform_settings(port),
        "INSTAGRAM_GRAPH_API_BASE_URL": f"http://127.0.0.1:{port}/instagram/v26.0",
    }


def _configure(with_instagram: bool) -> None:
    from webhooks.models import SocialMediaCredentials

    SocialMediaCredentials.objects.create(
        platform="pinterest",
        access_token=_common.fake_token("pinterest"),
        extra_data={"board_id": "1"},
    )
    if with_instagram:
        SocialMediaCredentials.objects.create(
            platform="instagram",
            access_token=_common.fake_token("instagram"),
            extra_data={"ig_user_id": IG_USER_ID, "publish_as": "reels"},
        )


def _sample(now: datetime) -> dict[str, dict[str, int]]:
    """Per platform: posts held by a worker, waiting on the platform, queued, final."""
    from django.db.models import Count, Q

    from tasks.models import PostStatus, SocialMediaPost

    rows = SocialMediaPost.objects.values("platform").annotate(
        held=Count(
            "id",
            filter=Q(
                status=PostStatus.PROCESSING,
                claim_token__isnull=False,
                locked_until__gt=now,
            ),
        ),
        waiting=Count("id", filter=Q(status=PostStatus.PENDING) & ~Q(platform_step="")),
        queued=Count("id", filter=Q(status=PostStatus.PENDING, platform_step="")),
        final=Count("id", filter=Q(status__in=[PostStatus.PUBLISHED, PostStatus.FAILED])),
        total=Count("id"),
    )
    return {
        row["platform"]: {k: row[k] for k in ("held", "waiting", "queued", "final", "total")}
        for row in rows
    }


def _stats(values: list[int]) -> dict[str, float]:
    if not values:
        return {"samples": 0, "max": 0, "mean": 0.0}
    return {
        "samples": len(values),
        "max": max(values),
        "mean": round(statistics.fmean(values), 2),
    }


def _posts(platform: str, started: datetime) -> list[dict[str, Any]]:
    """Each post of ``platform``: status, seconds from the hand-off to published, and
    from its attempts: the first start, the worker seconds spent, how many attempts."""
    from tasks.models import SocialMediaPost

    rows = []
    for post in SocialMediaPost.objects.filter(platform=platform).prefetch_related("attempts"):
        attempts = list(post.attempts.all())
        attempts.sort(key=lambda a: (a.number, a.pk))
        first = attempts[0].started_at if attempts else None
        rows.append(
            {
                "status": post.status,
                "published_after": (post.published_at - started).total_seconds()
                if post.published_at
                else None,
                # From the first attempt (the container made) to published: the wait.
                "waited": (post.published_at - first).total_seconds()
                if post.published_at and first
                else None,
                "worker_seconds": sum((a.duration_ms or 0) for a in attempts) / 1000,
                # Instagram: the quota read and the container create (the video fetched).
                "first_attempt_seconds": (attempts[0].duration_ms or 0) / 1000 if attempts else 0.0,
                "attempts": len(attempts),
                "waiting_attempts": sum(1 for a in attempts if a.outcome == "waiting"),
            }
        )
    return rows


def _pinterest_summary(posts: list[dict[str, Any]], concurrency: int) -> dict[str, Any]:
    done = [p["published_after"] for p in posts if p["published_after"] is not None]
    last = max(done, default=0.0)
    ideal_rate = concurrency / (LATENCY_MS / 1000)
    rate = len(done) / last if last else 0.0
    return {
        "posts": len(posts),
        "published": sum(1 for p in posts if p["status"] == "published"),
        "last_published_seconds": round(last, 2),
        "median_published_seconds": round(statistics.median(done), 2) if done else None,
        "posts_per_second": round(rate, 1),
        "ideal_posts_per_second": round(ideal_rate, 1),
        "ideal_seconds": round(len(posts) / ideal_rate, 2),
        "share_of_ideal": round(rate / ideal_rate, 2),
    }


def _instagram_summary(
    posts: list[dict[str, Any]], emulator: InProcessEmulator, processing_seconds: float
) -> dict[str, Any]:
    waited = [p["waited"] for p in posts if p["waited"] is not None]
    worker = [p["worker_seconds"] for p in posts]
    done = [p["published_after"] for p in posts if p["published_after"] is not None]
    store = emulator.native("instagram")
    with emulator.state.lock:
        containers = len(store.containers)
        media = list(store.media.values())
    creates = emulator.create_count("instagram")  # containers + media_publish calls
    publish_calls = creates - containers
    return {
        "posts": len(posts),
        "published": sum(1 for p in posts if p["status"] == "published"),
        "processing_seconds": processing_seconds,
        "waited_seconds": {
            "min": round(min(waited), 2) if waited else None,
            "median": round(statistics.median(waited), 2) if waited else None,
            "max": round(max(waited), 2) if waited else None,
        },
        "each_waited_at_least_processing": bool(waited)
        and len(waited) == len(posts)
        and min(waited) >= processing_seconds,
        "last_published_seconds": round(max(done, default=0.0), 2),
        # The seconds a worker spent on each post (its attempts), against the wait.
        "worker_seconds_per_post": {
            "median": round(statistics.median(worker), 3) if worker else None,
            "max": round(max(worker), 3) if worker else None,
        },
        "worker_share_of_wait": round(sum(worker) / sum(waited), 4) if waited else None,
        # The first attempt is most of it; it shares the C slots with the Pinterest posts.
        "first_attempt_seconds_total": round(sum(p["first_attempt_seconds"] for p in posts), 2),
        "attempts_per_post": round(statistics.fmean(p["attempts"] for p in posts), 1)
        if posts
        else None,
        "containers": containers,
        "media_publish_calls": publish_calls,
        "media": len(media),
        "media_from_distinct_containers": len({m.get("container_id") for m in media}),
    }


def _occupancy(
    samples: list[tuple[float, dict[str, dict[str, int]]]], pinterest_done: float | None
) -> dict[str, Any]:
    """Held / waiting counts over the waiting window (some Instagram post waiting), and
    over the part of it after the last Pinterest post was final."""

    def count(sample: dict[str, dict[str, int]], platform: str, key: str) -> int:
        return sample.get(platform, {}).get(key, 0)

    window = [(t, s) for t, s in samples if count(s, "instagram", "waiting")]
    after = [(t, s) for t, s in window if pinterest_done is not None and t > pinterest_done]

    def held(rows: list[tuple[float, dict[str, dict[str, int]]]], platform: str = "") -> list[int]:
        return [
            sum(v["held"] for k, v in s.items() if not platform or k == platform) for _, s in rows
        ]

    return {
        "window_seconds": round(window[-1][0] - window[0][0], 1) if window else 0.0,
        "held_by_worker": _stats(held(window)),
        "held_by_worker_instagram": _stats(held(window, "instagram")),
        "waiting_on_platform": _stats([count(s, "instagram", "waiting") for _, s in window]),
        "after_pinterest_done": {
            "held_by_worker": _stats(held(after)),
            "waiting_on_platform": _stats([count(s, "instagram", "waiting") for _, s in after]),
        },
    }


def _run(
    *,
    phase: str,
    tasks_count: int,
    concurrency: int,
    port: int,
    processing_seconds: float,
    timeout: float,
) -> dict[str, Any]:
    from django.db import transaction
    from django.utils import timezone

    from social_media.services import publish_tasks
    from tasks.models import Task

    mixed = phase == "mixed"
    _common.reset_data()
    _common.purge_broker()
    _configure(with_instagram=mixed)
    emulator = _common.start_emulator(port, LATENCY_MS)
    worker: subprocess.Popen | None = None
    samples: list[tuple[float, dict[str, dict[str, int]]]] = []
    try:
        # Reels stay IN_PROGRESS this long; the daily quota is not what is measured.
        emulator.configure(
            "instagram",
            processing_seconds=processing_seconds,
            quota_total=max(50, 2 * tasks_count),
        )
        worker = _common.start_worker(
            f"bench-multistep-{concurrency}", concurrency, _worker_settings(port)
        )
        _common.wait_ready(worker)
        time.sleep(1)
        tasks = Task.objects.bulk_create(
            Task(question=f"Q{n}?", answers=["3", "6"], correct_answer="3", published=True)
            for n in range(tasks_count)
        )
        # Untimed: every post then reuses its task's renders (publishing is measured).
        prerender_seconds = _common.prerender([task.pk for task in tasks])
        started_at = timezone.now()
        started = time.perf_counter()
        with transaction.atomic():
            publish_tasks(tasks)  # hands the posts to Redis when this block commits
        pinterest_done: float | None = None
        while True:
            sample = _sample(timezone.now())
            elapsed = time.perf_counter() - started
            samples.append((elapsed, sample))
            pinterest = sample.get("pinterest", {})
            if pinterest_done is None and pinterest and pinterest["final"] >= pinterest["total"]:
                pinterest_done = elapsed
            final = sum(v["final"] for v in sample.values())
            total = sum(v["total"] for v in sample.values())
            if (total and final >= total) or elapsed > timeout:
                break
            time.sleep(SAMPLE_SECONDS)
        elapsed = time.perf_counter() - started
        received = emulator.create_counts()
        row: dict[str, Any] = {
            "phase": phase,
            "tasks": tasks_count,
            "concurrency": concurrency,
            "pool": "prefork",
            "posts": sum(v["total"] for v in samples[-1][1].values()),
            "final": sum(v["final"] for v in samples[-1][1].values()),
            "seconds": round(elapsed, 1),
            "timed_out": elapsed > timeout,
            "prerender_seconds": round(prerender_seconds, 1),  # untimed, before "seconds"
            "pinterest": _pinterest_summary(_posts("pinterest", started_at), concurrency),
            "pinterest_creates": received["pinterest"],
        }
        if mixed:
            row["instagram"] = _instagram_summary(
                _posts("instagram", started_at), emulator, processing_seconds
            )
            row["occupancy"] = _occupancy(samples, pinterest_done)
            # If waiting held a slot: M Instagram posts, C at a time, each for the wait.
            row["pinterest_if_waiting_held_a_slot_seconds"] = round(
                tasks_count * processing_seconds / concurrency, 1
            )
    finally:
        if worker is not None:
            _common.stop_worker(worker)
        emulator.stop()
        _common.purge_broker()
    return row


def _ok(baseline: dict[str, Any], mixed: dict[str, Any]) -> dict[str, bool]:
    ig = mixed["instagram"]
    occupancy = mixed["occupancy"]
    posts = ig["posts"]
    concurrency = mixed["concurrency"]
    return {
        "every_post_published": all(
            r["pinterest"]["published"] == r["pinterest"]["posts"] == r["tasks"]
            for r in (baseline, mixed)
        )
        and ig["published"] == posts == mixed["tasks"],
        # Pinterest did not queue behind the waits: done before one wait was over.
        "pinterest_not_behind_waits": mixed["pinterest"]["last_published_seconds"]
        < ig["processing_seconds"],
        "instagram_waited_processing": ig["each_waited_at_least_processing"],
        "held_at_most_c": occupancy["held_by_worker"]["max"] <= concurrency,
        "no_duplicates": all(r["pinterest_creates"] == r["tasks"] for r in (baseline, mixed))
        and ig["containers"] == ig["media_publish_calls"] == ig["media"] == posts
        and ig["media_from_distinct_containers"] == posts,
    }


def _print(row: dict[str, Any]) -> None:
    p = row["pinterest"]
    print(
        f"{row['phase']:>8}: {row['final']}/{row['posts']} posts final in {row['seconds']} s "
        f"(C={row['concurrency']}); Pinterest {p['published']}/{p['posts']} published, "
        f"last at {p['last_published_seconds']} s (ideal {p['ideal_seconds']} s), "
        f"{p['posts_per_second']} posts/s = {p['share_of_ideal']:.0%} of "
        f"{p['ideal_posts_per_second']}; Pinterest creates {row['pinterest_creates']}",
        flush=True,
    )
    if "instagram" not in row:
        return
    ig, occ = row["instagram"], row["occupancy"]
    waited = ig["waited_seconds"]
    print(
        f"          Instagram Reels: {ig['published']}/{ig['posts']} published, last at "
        f"{ig['last_published_seconds']} s; each waited {waited['min']}..{waited['max']} s "
        f"(processing {ig['processing_seconds']} s; at least that: "
        f"{ig['each_waited_at_least_processing']}); {ig['attempts_per_post']} attempts per "
        f"post, worker busy {ig['worker_seconds_per_post']['median']} s per post "
        f"= {ig['worker_share_of_wait']:.2%} of the wait (first attempts, beside "
        f"Pinterest: {ig['first_attempt_seconds_total']} s in all)",
        flush=True,
    )
    after = occ["after_pinterest_done"]
    print(
        f"          waiting window {occ['window_seconds']} s: held by a worker max "
        f"{occ['held_by_worker']['max']} mean {occ['held_by_worker']['mean']} (C = "
        f"{row['concurrency']}; Instagram posts max "
        f"{occ['held_by_worker_instagram']['max']} mean "
        f"{occ['held_by_worker_instagram']['mean']}), waiting on the platform max "
        f"{occ['waiting_on_platform']['max']} mean {occ['waiting_on_platform']['mean']}; "
        f"after Pinterest was done: held max {after['held_by_worker']['max']} mean "
        f"{after['held_by_worker']['mean']}, waiting mean {after['waiting_on_platform']['mean']}",
        flush=True,
    )
    print(
        f"          containers {ig['containers']}, media_publish calls "
        f"{ig['media_publish_calls']}, media {ig['media']} "
        f"(from {ig['media_from_distinct_containers']} containers); if waiting held a slot, "
        f"Pinterest would end after about {row['pinterest_if_waiting_held_a_slot_seconds']} s",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Waiting on a platform holds no worker slot.")
    parser.add_argument("--tasks", type=int, default=20, help="tasks per phase (M)")
    parser.add_argument("--concurrency", type=int, default=2, help="worker slots (C)")
    parser.add_argument(
        "--processing-seconds",
        type=float,
        default=20.0,
        help="seconds an Instagram Reel container stays IN_PROGRESS",
    )
    parser.add_argument("--timeout", type=float, default=0.0, help="seconds per phase, at most")
    parser.add_argument("--no-record", action="store_true", help="print only")
    args = parser.parse_args()
    # A SIGTERM to this script still stops the worker it started (``finally`` runs).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    tasks_count = max(1, args.tasks)
    timeout = args.timeout or 3 * args.processing_seconds + 120 + tasks_count
    port = _common.free_port()
    _common.setup_django(**_worker_settings(port))
    rows = []
    for phase in ("baseline", "mixed"):
        row = _run(
            phase=phase,
            tasks_count=tasks_count,
            concurrency=args.concurrency,
            port=port,
            processing_seconds=args.processing_seconds,
            timeout=timeout,
        )
        rows.append(row)
        _print(row)
    _common.reset_data()
    baseline, mixed = rows
    checks = _ok(baseline, mixed)
    print(
        f"Pinterest last published: baseline {baseline['pinterest']['last_published_seconds']} s,"
        f" mixed {mixed['pinterest']['last_published_seconds']} s; checks: {checks}",
        flush=True,
    )
    if args.no_record:
        return
    _common.record(
        "multistep",
        {
            "command": " ".join(["python bench/multistep.py", *sys.argv[1:]]),
            "latency_ms": LATENCY_MS,
            "goal": "waiting on a platform occupies no worker slot: Pinterest posts published "
            "beside slow Instagram Reels finish before one Reel is processed, at most C posts "
            "are held at once, every post published once",
            "goal_met": all(checks.values()),
            "checks": checks,
            "results": rows,
        },
    )


if __name__ == "__main__":
    main()
