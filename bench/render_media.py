"""Benchmark 6: rendering media — one card, one 15 s 1080×1920 video, memory over 200 renders.

    .venv/bin/python bench/render_media.py            (--renders 200 by default; --quick: 20)

Three phases, each in a fresh Python process so that one's memory does not hide another's:

* ``card``: draw and encode a 1080×1350 PNG question card and answer card (a task with a code
  block, four options, an explanation), 40 times after 3 warm-up renders; time and peak RSS.
* ``video``: draw and encode a 15 s 1080×1920 MP4 (H.264 + AAC), 3 times after one small
  warm-up video; time and peak RSS.
* ``worker``: ``render(task, spec)`` as a worker calls it — database, cache key, storage —
  for N distinct tasks (so nothing is reused): question card, answer card, question card, video
  in turn; the process's RSS after every render.

Peak RSS is the kernel's high-water mark (VmHWM), reset before each measured operation
(``/proc/self/clear_refs``). Media go to a temporary MEDIA_ROOT, removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib

from bench import _common

CARD_GOAL_MS = 150.0
VIDEO_GOAL_S = 3.0
QUESTION = (
    "Что выведет этот код?\n\n```python\ndef f(x, acc=[]):\n    acc.append(x)\n"
    "    return acc\n\nprint(f(1), f(2))\n```"
)


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def rss_mib() -> float:
    return round(_status_kib("VmRSS") / 1024, 1)


def reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_mib() -> float:
    return round(_status_kib("VmHWM") / 1024, 1)


def _task(n: int) -> Any:
    from tasks.models import Task

    return Task.objects.create(
        question=f"{QUESTION}\n\n#{n}",
        answers=["[1] [2]", "[1, 2] [1, 2]", "[1] [1, 2]", "TypeError"],
        correct_answer="[1, 2] [1, 2]",
        explanation=(
            "Значение по умолчанию вычисляется один раз, при определении функции: "
            "список общий для всех вызовов."
        ),
        topic="Python",
        difficulty="hard",
        language="ru",
    )


def phase_card(repeats: int) -> dict[str, Any]:
    from quiz_media.services import content_for, current_brand, produce
    from quiz_media.specs import DEFAULT_SPECS

    task = _task(0)
    content, brand = content_for(task), current_brand()
    specs = [DEFAULT_SPECS["question_card"], DEFAULT_SPECS["answer_card"]]
    for spec in specs * 2:
        produce(content, brand, spec)
    before = rss_mib()
    reset_peak()
    samples: dict[str, list[float]] = {"question_card": [], "answer_card": []}
    sizes: dict[str, int] = {}
    for n in range(repeats):
        spec = specs[n % 2]
        started = time.perf_counter()
        data, *_ = produce(content, brand, spec)
        samples[spec.kind].append((time.perf_counter() - started) * 1000)
        sizes[spec.kind] = len(data)
    return {
        "size": "1080x1350 png",
        "question_card": _common.summarize_ms(samples["question_card"]),
        "answer_card": _common.summarize_ms(samples["answer_card"]),
        "bytes": sizes,
        "rss_before_mib": before,
        "peak_rss_mib": peak_mib(),
        "peak_over_baseline_mib": round(peak_mib() - before, 1),
    }


def phase_video(repeats: int) -> dict[str, Any]:
    from dataclasses import replace

    from quiz_media.services import content_for, current_brand, produce
    from quiz_media.specs import DEFAULT_SPECS

    task = _task(0)
    content, brand = content_for(task), current_brand()
    spec = DEFAULT_SPECS["video"]
    produce(content, brand, replace(spec, width=180, height=320))  # warm-up: codecs loaded
    before = rss_mib()
    reset_peak()
    seconds = []
    cpu_seconds = []
    size = 0
    for _ in range(repeats):
        started, cpu_started = time.perf_counter(), time.process_time()
        data, _w, _h, duration = produce(content, brand, spec)
        seconds.append(time.perf_counter() - started)
        cpu_seconds.append(time.process_time() - cpu_started)
        size = len(data)
    return {
        "size": "1080x1920 mp4, 15 s, 30 fps",
        "duration_s": duration,
        "runs_s": [round(s, 2) for s in seconds],
        "median_s": round(statistics.median(seconds), 2),
        "realtime_factor": round(15 / statistics.median(seconds), 1),
        # CPU time of all the process's threads (the encoder uses two): less sensitive to
        # other load on the machine than the wall clock.
        "cpu_s": [round(s, 2) for s in cpu_seconds],
        "bytes": size,
        "rss_before_mib": before,
        "peak_rss_mib": peak_mib(),
        "peak_over_baseline_mib": round(peak_mib() - before, 1),
    }


def phase_worker(renders: int) -> dict[str, Any]:
    from quiz_media.services import render
    from quiz_media.specs import DEFAULT_SPECS, MediaKind

    order: list[MediaKind] = ["question_card", "answer_card", "question_card", "video"]
    rss = [rss_mib()]
    times: dict[str, list[float]] = {kind: [] for kind in set(order)}
    for n in range(renders):
        kind = order[n % len(order)]
        task = _task(n + 1)
        started = time.perf_counter()
        render(task, DEFAULT_SPECS[kind])
        times[kind].append((time.perf_counter() - started) * 1000)
        rss.append(rss_mib())
    quarter = max(1, renders // 4)
    return {
        "renders": renders,
        "mix": "question card, answer card, question card, 15 s 1080x1920 video, in turn",
        "render_ms": {kind: _common.summarize_ms(values) for kind, values in times.items()},
        "rss_mib": {
            "start": rss[0],
            "after_1": rss[1],
            "after_25%": rss[quarter],
            "after_50%": rss[2 * quarter],
            "after_75%": rss[3 * quarter],
            "after_100%": rss[-1],
            "max": max(rss),
        },
        "growth_25_to_100_mib": round(rss[-1] - rss[quarter], 1),
    }


def run_phase(name: str, argument: int, media_root: str) -> dict[str, Any]:
    result = subprocess.run(  # noqa: S603 - this script, fixed arguments
        [sys.executable, __file__, "--phase", name, "--n", str(argument)],
        env={**os.environ, "MEDIA_ROOT": media_root},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--renders", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="20 renders, fewer repeats")
    parser.add_argument("--phase", choices=["card", "video", "worker"], help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase:
        _common.setup_django(MEDIA_ROOT=os.environ["MEDIA_ROOT"])
        _common.reset_data()
        phase = {"card": phase_card, "video": phase_video, "worker": phase_worker}[args.phase]
        print(json.dumps(phase(args.n)))
        return

    renders = 20 if args.quick else args.renders
    with tempfile.TemporaryDirectory(prefix="bench-media-") as media_root:
        print("card …", flush=True)
        card = run_phase("card", 10 if args.quick else 40, media_root)
        print(json.dumps(card, indent=2))
        print("video …", flush=True)
        video = run_phase("video", 1 if args.quick else 3, media_root)
        print(json.dumps(video, indent=2))
        print(f"worker, {renders} renders …", flush=True)
        worker = run_phase("worker", renders, media_root)
        print(json.dumps(worker, indent=2))
    card_ms = max(card["question_card"]["median_ms"], card["answer_card"]["median_ms"])
    goals = {
        "card_ms": card_ms,
        "card_met": card_ms <= CARD_GOAL_MS,
        "video_s": video["median_s"],
        "video_met": video["median_s"] <= VIDEO_GOAL_S,
        "memory_growth_25_to_100_mib": worker["growth_25_to_100_mib"],
    }
    print(json.dumps(goals, indent=2))
    if not args.quick:
        _common.setup_django()
        _common.record(
            "render_media",
            {
                "command": "python bench/render_media.py",
                "goal": "card <= 150 ms, 15 s 1080x1920 video <= 3 s, memory flat",
                "card": card,
                "video": video,
                "worker": worker,
                "goals": goals,
            },
        )


if __name__ == "__main__":
    main()
