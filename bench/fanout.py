"""Benchmark 2 (and 5): fan-out throughput of real Celery workers, and their memory.

    .venv/bin/python bench/fanout.py                       # 200 tasks, C = 4 and 16
    .venv/bin/python bench/fanout.py --tasks 1000          # the issue's full size
    .venv/bin/python bench/fanout.py --tasks 1667 --concurrency 16 --record-as memory
                                                           # 10,002 posts: memory over time

Publishes N tasks to six platforms (the platform emulator answers every request after
100 ms) and lets a real Celery worker (``--pool``: prefork, threads or gevent;
concurrency C; Redis broker) deliver them. Reports posts/s from the first hand-off
until every post is final
(API platforms ``published``, webhook platforms delivered and awaiting their
callback) against the ideal ``C / 0.1 s``; checks that the emulator received exactly
one create request per post (no duplicates); samples the worker's memory
(PSS of the parent + pool processes) every half second: start, peak, end; and the
worker's CPU time per post (user + system of all its processes, from /proc).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _common

LATENCY_MS = 100


def _pss_kib(pid: int) -> int:
    """Proportional memory of ``pid`` and its children (the prefork pool), in KiB.

    PSS splits pages shared after fork between the processes, so the sum is what
    the worker really costs (RSS would count the shared Django code C + 1 times).
    """
    total = 0
    pids = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                pids.append(int(entry.name))
    for each in pids:
        try:
            for line in Path(f"/proc/{each}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of ``pid`` and its children (the pool), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def _run(concurrency: int, tasks_count: int, port: int, timeout: float, pool: str) -> dict:
    from django.db import transaction

    from social_media.services import publish_tasks
    from tasks.models import Task

    _common.reset_data()
    _common.purge_broker()
    _common.configure_platforms(port)
    emulator = _common.start_emulator(port, LATENCY_MS)
    worker = _common.start_worker(
        f"bench-{pool}-{concurrency}", concurrency, _common.platform_settings(port), pool
    )
    memory: list[int] = []
    try:
        _common.wait_ready(worker)
        time.sleep(1)
        memory.append(_pss_kib(worker.pid))
        cpu_before = _cpu_seconds(worker.pid)
        tasks = Task.objects.bulk_create(
            Task(
                question=f"Q{n}?",
                answers=["3", "6"],
                correct_answer="3",
                published=True,
            )
            for n in range(tasks_count)
        )
        # Untimed: every post then reuses its task's renders (publishing is measured).
        prerender_seconds = _common.prerender([task.pk for task in tasks])
        started = time.perf_counter()
        with transaction.atomic():
            publish_tasks(tasks)  # hands the posts to Redis when this block commits
        handed_off = time.perf_counter() - started
        counts = _common.post_counts()
        progress: list[tuple[int, int]] = []  # (posts final, PSS KiB) along the run
        next_sample = 0.0
        while True:
            counts = _common.post_counts()
            done = counts["published"] + counts["delivered"] + counts["failed"]
            elapsed = time.perf_counter() - started
            if elapsed >= next_sample:
                memory.append(_pss_kib(worker.pid))
                progress.append((done, memory[-1]))
                next_sample = elapsed + 0.5
            if done >= counts["total"] or elapsed > timeout:
                break
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        worker_cpu = _cpu_seconds(worker.pid) - cpu_before
        memory.append(_pss_kib(worker.pid))
        received = emulator.create_counts()  # create requests per platform
    finally:
        _common.stop_worker(worker)
        emulator.stop()
        _common.purge_broker()
    posts = counts["total"]
    per_platform = posts // 6 if posts else 0
    duplicates = {
        "pinterest": received["pinterest"] - per_platform,
        "facebook": received["facebook"] - per_platform,
        "webhooks": received["make"] - 4 * per_platform,
    }
    ideal = concurrency / (LATENCY_MS / 1000)
    achieved = (counts["published"] + counts["delivered"]) / elapsed
    return {
        "concurrency": concurrency,
        "pool": pool,
        "tasks": tasks_count,
        "posts": posts,
        "final": counts["published"] + counts["delivered"] + counts["failed"],
        "failed": counts["failed"],
        "seconds": round(elapsed, 1),
        "handoff_seconds": round(handed_off, 1),
        "prerender_seconds": round(prerender_seconds, 1),  # untimed, before "seconds"
        "posts_per_second": round(achieved, 1),
        "ideal_posts_per_second": round(ideal, 1),
        "share_of_ideal": round(achieved / ideal, 2),
        # CPU the worker (all its processes) spent per post: what bounds throughput
        # on a machine whose cores are busy, whatever the latency.
        "worker_cpu_ms_per_post": round(worker_cpu * 1000 / max(posts, 1), 2),
        "requests_received": received,
        "extra_requests": duplicates,
        "worker_pss_mib": {
            "start": round(memory[0] / 1024, 1),
            "peak": round(max(memory) / 1024, 1),
            "end": round(memory[-1] / 1024, 1),
            # PSS when 10 %, 25 %, 50 %, 75 % and all of the posts were final: flat
            # memory shows as the same number from the first quarter on.
            "by_progress": {
                f"{share}%": round(_pss_at(progress, posts * share / 100) / 1024, 1)
                for share in (10, 25, 50, 75, 100)
            },
        },
    }


def _pss_at(progress: list[tuple[int, int]], done: float) -> int:
    """The first PSS sample taken once ``done`` posts were final (the last one if never)."""
    for final, pss in progress:
        if final >= done:
            return pss
    return progress[-1][1] if progress else 0


def main() -> None:
    parser = argparse.ArgumentParser(description="Fan-out throughput of Celery workers.")
    parser.add_argument("--tasks", type=int, default=200, help="tasks to publish (x6 posts)")
    parser.add_argument(
        "--concurrency", type=int, action="append", help="worker concurrency (repeatable)"
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per run, at most")
    parser.add_argument(
        "--pool",
        action="append",
        choices=["prefork", "threads", "gevent"],
        help="Celery worker pool (repeatable; default prefork)",
    )
    parser.add_argument(
        "--record-as",
        default="fanout",
        choices=["fanout", "memory"],
        help="section of docs/benchmarks.json (memory: the long 10,000-post run)",
    )
    args = parser.parse_args()
    levels = args.concurrency or [4, 16]
    port = _common.free_port()
    _common.setup_django(**_common.platform_settings(port))
    rows = []
    runs = [(pool, c) for pool in (args.pool or ["prefork"]) for c in levels]
    for pool, concurrency in runs:
        row = _run(concurrency, max(1, args.tasks), port, args.timeout, pool)
        rows.append(row)
        print(
            f"{pool:>7} C={concurrency:>2}: {row['final']}/{row['posts']} final "
            f"in {row['seconds']} s "
            f"(hand-off {row['handoff_seconds']} s), {row['posts_per_second']} posts/s = "
            f"{row['share_of_ideal']:.0%} of ideal {row['ideal_posts_per_second']}; "
            f"worker CPU {row['worker_cpu_ms_per_post']} ms/post; "
            f"extra requests {row['extra_requests']}; PSS MiB {row['worker_pss_mib']}",
            flush=True,
        )
    _common.reset_data()
    command = " ".join(["python bench/fanout.py", *sys.argv[1:]])
    _common.record(
        args.record_as,
        {
            "command": command,
            "latency_ms": LATENCY_MS,
            "goal": ">= 80% of C / latency, every post final, no duplicates",
            "goal_met": all(
                r["share_of_ideal"] >= 0.8
                and r["final"] == r["posts"]
                and not any(r["extra_requests"].values())
                for r in rows
            ),
            "results": rows,
        },
    )


if __name__ == "__main__":
    main()
