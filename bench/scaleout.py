"""Benchmark 6: the scale-out drill — independent workers sharing only PostgreSQL and Redis.

    .venv/bin/python bench/scaleout.py                      # 1000 tasks x 6, 1/2/3 workers
    .venv/bin/python bench/scaleout.py --tasks 20 --concurrency 2   # a quick check

Each worker is its own ``celery -A quiz_backend worker`` process started the way it
would be on its own machine: its own settings file (``ENV_FILE``, written to
``var/scaleout/<name>.env``), its own log folder and node name (``-n w1@%h``), and
nothing inherited from this process's environment; they share only the PostgreSQL
database and the Redis broker. One ``celery beat`` (the relay) runs beside them, as
in production. The platforms are the emulator, in a thread of this process, answering
every request after 100 ms.

Phases:

1. **scale**: the same fan-out (N tasks x 6 platforms) with one, two and three
   workers. Throughput is counted from the hand-off until every post is final and
   compared with the platform latency bound ``workers x C / 0.1 s``.
2. **kill**: three workers; once about a third of the posts are final, one worker's
   whole process group gets ``SIGKILL`` (a machine lost mid-publish). Its posts come
   back through their lease (``SOCIAL_MEDIA_LEASE_SECONDS``, short in this phase) and
   the relay; posts it may have sent are looked up on the platform before sending.
   This phase's duration is dominated by that lease: it checks that nothing is lost
   or doubled, not throughput.

Every phase checks that every post is final and that nothing was published twice:
the emulator's create requests per API platform equal the posts, and every webhook
delivery id reached the scenario once per (task, platform). Results go to the
``scaleout`` section of docs/benchmarks.json, and a markdown table is printed.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _common

LATENCY_MS = 100
WORK_DIR = _common.ROOT / "var" / "scaleout"
# The kill phase: a short lease so the lost worker's posts come back within the run.
KILL_LEASE_SECONDS = 40
KILL_RELAY_INTERVAL = 5


class Node:
    """One worker (or the beat) as if on its own machine: own settings file and logs."""

    def __init__(self, name: str, argv: list[str], settings: dict[str, str]) -> None:
        self.name = name
        home = WORK_DIR / name
        shutil.rmtree(home, ignore_errors=True)
        (home / "logs").mkdir(parents=True)
        self.env_file = WORK_DIR / f"{name}.env"
        values = {**settings, "LOG_DIR": str(home / "logs")}
        self.env_file.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
        log = (home / "stdout.log").open("w")
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "DJANGO_SETTINGS_MODULE": "quiz_backend.settings",
            "ENV_FILE": str(self.env_file),
        }
        self.process = subprocess.Popen(  # noqa: S603 - our own venv's celery, fixed arguments
            [str(Path(sys.executable).with_name("celery")), "-A", "quiz_backend", *argv],
            cwd=_common.ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed as one machine
        )

    def kill(self) -> None:
        """``SIGKILL`` to the worker and its pool processes at once."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=60)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            self.kill()


def _node_settings(port: int, **overrides: str) -> dict[str, str]:
    """What each machine's settings file holds: only the shared PostgreSQL and Redis
    addresses, the platforms' URLs and its own secrets/options."""
    settings = _common.bench_environment(**_common.platform_settings(port))
    for name in ("DJANGO_SETTINGS_MODULE", "ENV_FILE", "LOG_DIR"):
        settings.pop(name)
    settings.update(overrides)
    return settings


def _start_worker(name: str, port: int, pool: str, concurrency: int, **overrides: str) -> Node:
    return Node(
        name,
        [
            "worker",
            f"--pool={pool}",
            f"--concurrency={concurrency}",
            "--loglevel=WARNING",
            f"--hostname={name}@%h",
        ],
        _node_settings(port, **overrides),
    )


def _start_beat(port: int, **overrides: str) -> Node:
    schedule = WORK_DIR / "beat-schedule"
    return Node(
        "beat",
        ["beat", "--loglevel=WARNING", f"--schedule={schedule}"],
        _node_settings(port, **overrides),
    )


def _wait_ready(names: list[str]) -> None:
    from quiz_backend.celery import app

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1.0) or []
        answered = {node.split("@", 1)[0] for reply in replies for node in reply}
        if set(names) <= answered:
            return
    raise SystemExit(f"workers {names} did not all answer a ping in 120 s")


def _taken_over() -> int:
    from tasks.models import SocialMediaPost

    return SocialMediaPost.objects.filter(attempt_count__gt=1).count()


def _duplicates(emulator: Any, posts: int) -> dict[str, int]:
    """Posts published more than once, per platform (0 everywhere is the goal)."""
    per_platform = posts // 6
    received = emulator.create_counts()
    with emulator.state.lock:
        deliveries = Counter(
            (post["task_id"], post["platform"]) for post in emulator.state.make_posts.values()
        )
    return {
        "pinterest": received["pinterest"] - per_platform,
        "facebook": received["facebook"] - per_platform,
        # A webhook delivery resent with the same id is one post for the scenario.
        "webhooks": sum(n - 1 for n in deliveries.values()) + (4 * per_platform - len(deliveries)),
    }


def _run(
    *,
    workers: int,
    tasks_count: int,
    port: int,
    pool: str,
    concurrency: int,
    timeout: float,
    kill_one: bool = False,
) -> dict[str, Any]:
    from django.db import transaction

    from social_media.services import publish_tasks
    from tasks.models import Task

    _common.reset_data()
    _common.purge_broker()
    _common.configure_platforms(port)
    overrides: dict[str, str] = {}
    if kill_one:
        overrides = {
            "SOCIAL_MEDIA_LEASE_SECONDS": str(KILL_LEASE_SECONDS),
            "SOCIAL_MEDIA_RELAY_INTERVAL": str(KILL_RELAY_INTERVAL),
            "SOCIAL_MEDIA_HTTP_TIMEOUT": "10",
            "CELERY_VISIBILITY_TIMEOUT": "120",
        }
    emulator = _common.start_emulator(port, LATENCY_MS)
    names = [f"w{n + 1}" for n in range(workers)]
    nodes = [_start_worker(name, port, pool, concurrency, **overrides) for name in names]
    nodes.append(_start_beat(port, **overrides))
    killed_at: float | None = None
    killed_when_final = 0
    try:
        _wait_ready(names)
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
        while True:
            counts = _common.post_counts()
            done = counts["published"] + counts["delivered"] + counts["failed"]
            elapsed = time.perf_counter() - started
            if kill_one and killed_at is None and done >= counts["total"] / 3:
                nodes[-2].kill()  # the last worker, mid-run
                killed_at, killed_when_final = elapsed, done
            if done >= counts["total"] or elapsed > timeout:
                break
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        duplicates = _duplicates(emulator, counts["total"])
        taken_over = _taken_over()
        received = emulator.create_counts()
    finally:
        for node in nodes:
            node.stop()
        emulator.stop()
        _common.purge_broker()
    ideal = workers * concurrency / (LATENCY_MS / 1000)
    achieved = (counts["published"] + counts["delivered"]) / elapsed
    row: dict[str, Any] = {
        "phase": "kill" if kill_one else "scale",
        "prerender_seconds": round(prerender_seconds, 1),  # untimed, before "seconds"
        "workers": workers,
        "pool": pool,
        "concurrency": concurrency,
        "tasks": tasks_count,
        "posts": counts["total"],
        "final": counts["published"] + counts["delivered"] + counts["failed"],
        "failed": counts["failed"],
        "seconds": round(elapsed, 1),
        "posts_per_second": round(achieved, 1),
        "latency_bound_posts_per_second": round(ideal, 1),
        "share_of_bound": round(achieved / ideal, 2),
        "requests_received": received,
        "published_twice": duplicates,
        # Posts claimed more than once: the killed worker's, taken over after their lease
        # (also any retried after a platform error).
        "claimed_again": taken_over,
    }
    if kill_one:
        row.update(
            killed_worker=names[-1],
            killed_at_seconds=round(killed_at or 0.0, 1),
            final_when_killed=killed_when_final,
            lease_seconds=KILL_LEASE_SECONDS,
        )
    return row


def _ok(row: dict[str, Any]) -> bool:
    return (
        row["final"] == row["posts"]
        and not row["failed"]
        and not any(row["published_twice"].values())
    )


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| phase | workers | pool x C | posts | final | seconds | posts/s | bound | share "
        "| published twice | claimed again |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        phase = r["phase"] + (
            f" ({r['killed_worker']} at {r['killed_at_seconds']} s)" if r["phase"] == "kill" else ""
        )
        twice = sum(r["published_twice"].values())
        lines.append(
            f"| {phase} | {r['workers']} | {r['pool']} x {r['concurrency']} | {r['posts']} "
            f"| {r['final']} | {r['seconds']} | {r['posts_per_second']} "
            f"| {r['latency_bound_posts_per_second']} | {r['share_of_bound']:.0%} | {twice} "
            f"| {r['claimed_again']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Scale-out drill: 1, 2, 3 separate workers.")
    parser.add_argument("--tasks", type=int, default=1000, help="tasks to publish (x6 posts)")
    parser.add_argument("--concurrency", type=int, default=4, help="concurrency of each worker")
    parser.add_argument(
        "--pool", default="threads", choices=["prefork", "threads", "gevent"], help="worker pool"
    )
    parser.add_argument(
        "--workers", type=int, action="append", help="workers in a scale run (repeatable)"
    )
    parser.add_argument("--no-kill", action="store_true", help="skip the kill phase")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per run, at most")
    parser.add_argument("--no-record", action="store_true", help="print only")
    args = parser.parse_args()
    # A SIGTERM to this script still stops the workers it started (``finally`` runs).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    port = _common.free_port()
    _common.setup_django(**_common.platform_settings(port))
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    rows = []
    runs = [(n, False) for n in (args.workers or [1, 2, 3])]
    if not args.no_kill:
        runs.append((3, True))
    for workers, kill_one in runs:
        row = _run(
            workers=workers,
            tasks_count=max(1, args.tasks),
            port=port,
            pool=args.pool,
            concurrency=args.concurrency,
            timeout=args.timeout,
            kill_one=kill_one,
        )
        rows.append(row)
        print(
            f"{row['phase']:>5} {workers} worker(s) {row['pool']} x {row['concurrency']}: "
            f"{row['final']}/{row['posts']} final in {row['seconds']} s, "
            f"{row['posts_per_second']} posts/s = {row['share_of_bound']:.0%} of the bound "
            f"{row['latency_bound_posts_per_second']}; published twice {row['published_twice']}",
            flush=True,
        )
    _common.reset_data()
    table = markdown(rows)
    print(table)
    scale = [r for r in rows if r["phase"] == "scale"]
    pairs = itertools.pairwise(scale)
    grows = all(b["posts_per_second"] > a["posts_per_second"] for a, b in pairs)
    if args.no_record:
        return
    _common.record(
        "scaleout",
        {
            "command": " ".join(["python bench/scaleout.py", *sys.argv[1:]]),
            "latency_ms": LATENCY_MS,
            "goal": "throughput grows with the workers up to the latency bound; every post "
            "final, none published twice, also when one worker is killed mid-run",
            "goal_met": grows and all(_ok(r) for r in rows),
            "throughput_grows": grows,
            "results": rows,
            "markdown": table,
        },
    )


if __name__ == "__main__":
    main()
