"""Benchmark 3: the callback endpoint under gunicorn, signed, against a bare DRF endpoint.

    .venv/bin/python bench/callbacks.py                # 2 rounds x 10 s per endpoint
    .venv/bin/python bench/callbacks.py --seconds 5 --rounds 1

Starts gunicorn (2 sync workers, loopback only) on the product with one extra
URL, ``/bench/bare-callback/`` (bench/callback_urls.py): the same post update with
no signature, receipt or throttle. A small thread pool then posts callbacks, each
for a different (task, platform) in ``processing``, alternating rounds between
the two endpoints so that load from other processes hits both alike. Signed
requests are signed before the round (Standard Webhooks, HMAC-SHA256), so the
load generator spends its CPU on sending, not on signing. The throttle is kept on
(Redis cache, as in docker-compose.yml) with a rate high enough never to refuse.

Goal (issue 7): signed ≥ 70 % of the bare endpoint's requests/s, and p99 < 100 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _common

CALLBACK_PATH = "/api/webhooks/social-media-callback/"
BARE_PATH = "/bench/bare-callback/"
WEBHOOK_PLATFORMS = ["instagram", "tiktok", "youtube_shorts", "yandex_dzen"]
SERVER_ENV = {
    "REDIS_CACHE_URL": "redis://127.0.0.1:6379/12",
    "SOCIAL_MEDIA_CALLBACK_RATE": "1000000/s",
    "SECURE_SSL_REDIRECT": "false",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _prepare_posts(tasks_per_endpoint: int) -> tuple[str, list[tuple[int, str]], list]:
    """A signing webhook and two disjoint sets of (task, platform) posts in processing."""
    from tasks.models import PostStatus, SocialMediaPost, Task
    from webhooks.models import Webhook

    _common.reset_data()
    webhook = Webhook.objects.create(
        url="https://hook.eu1.make.com/bench",
        service_name="Make.com",
        webhook_type="social_media",
        target_platforms=WEBHOOK_PLATFORMS,
    )
    tasks = Task.objects.bulk_create(
        Task(question=f"Q{n}?", answers=["3", "6"], correct_answer="3", published=True)
        for n in range(2 * tasks_per_endpoint)
    )
    SocialMediaPost.objects.bulk_create(
        SocialMediaPost(task=task, platform=platform, status=PostStatus.PROCESSING, webhook=webhook)
        for task in tasks
        for platform in WEBHOOK_PLATFORMS
    )
    pairs = [(task.pk, platform) for task in tasks for platform in WEBHOOK_PLATFORMS]
    half = len(pairs) // 2
    return webhook.secret, pairs[:half], pairs[half:]


def _body(task_id: int, platform: str) -> str:
    return json.dumps(
        {
            "task_id": task_id,
            "platform": platform,
            "status": "published",
            "post_url": f"https://www.instagram.com/p/{task_id}{platform[:2]}/",
            "post_id": f"{task_id}-{platform}",
        }
    )


def _requests(path: str, pairs: list, secret: str | None) -> list[tuple[str, bytes, dict]]:
    from standardwebhooks import Webhook as StandardWebhook

    signer = StandardWebhook(secret) if secret else None
    prepared = []
    for task_id, platform in pairs:
        body = _body(task_id, platform)
        headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
        if signer:
            message_id = f"msg_{uuid.uuid4().hex}"
            now = datetime.now(UTC)
            headers.update(
                {
                    "webhook-id": message_id,
                    "webhook-timestamp": str(int(now.timestamp())),
                    "webhook-signature": signer.sign(message_id, now, body),
                }
            )
        prepared.append((path, body.encode(), headers))
    return prepared


def _load(port: int, work: list, *, threads: int, seconds: float) -> dict:
    """Send prepared requests from ``threads`` threads for ``seconds``; one connection each."""
    pending: queue.SimpleQueue = queue.SimpleQueue()
    for item in work:
        pending.put(item)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def run() -> None:
        mine: list[float] = []
        codes: dict[int, int] = {}
        while time.perf_counter() < deadline:
            try:
                path, body, headers = pending.get_nowait()
            except queue.Empty:
                break
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            started = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                code = response.status
            except OSError:
                code = 0
            finally:
                conn.close()
            mine.append((time.perf_counter() - started) * 1000)
            codes[code] = codes.get(code, 0) + 1
        with lock:
            latencies.extend(mine)
            for code, count in codes.items():
                statuses[code] = statuses.get(code, 0) + count

    started = time.perf_counter()
    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    return {"latencies": latencies, "statuses": statuses, "elapsed": elapsed}


def _summary(runs: list[dict]) -> dict:
    latencies = sorted(x for run in runs for x in run["latencies"])
    statuses: dict[str, int] = {}
    for run in runs:
        for code, count in run["statuses"].items():
            statuses[str(code)] = statuses.get(str(code), 0) + count
    elapsed = sum(run["elapsed"] for run in runs)
    ok = statuses.get("200", 0)
    return {
        "requests": len(latencies),
        "status_codes": statuses,
        "ok_per_second": round(ok / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))], 1),
        "seconds": round(elapsed, 1),
    }


def _start_gunicorn(port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        **_common.bench_environment(**SERVER_ENV),
        "DJANGO_SETTINGS_MODULE": "bench.callback_settings",
    }
    process = subprocess.Popen(  # noqa: S603 - our own venv's gunicorn, fixed arguments
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "quiz_backend.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=_common.ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not answer /healthz within 20 s")


def main() -> None:
    parser = argparse.ArgumentParser(description="Callback endpoint throughput under gunicorn.")
    parser.add_argument("--seconds", type=float, default=10.0, help="per round and endpoint")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="concurrent clients (max 16)")
    args = parser.parse_args()
    threads = max(1, min(args.threads, 16))
    seconds = max(1.0, min(args.seconds, 60.0))

    _common.setup_django(**SERVER_ENV)
    # Enough posts that no request repeats one: ~1,000 requests/s is far above this box.
    per_round = int(1000 * seconds)
    secret, signed_pairs, bare_pairs = _prepare_posts(per_round * args.rounds // 4 + 50)
    port = _free_port()
    server = _start_gunicorn(port)
    runs: dict[str, list[dict]] = {"signed": [], "bare": []}
    try:
        # Warm both endpoints (imports, connections) with a few requests each.
        _load(port, _requests(CALLBACK_PATH, signed_pairs[:20], secret), threads=2, seconds=5)
        _load(port, _requests(BARE_PATH, bare_pairs[:20], None), threads=2, seconds=5)
        signed_pairs, bare_pairs = signed_pairs[20:], bare_pairs[20:]
        for round_number in range(args.rounds):
            chunk = slice(round_number * per_round, (round_number + 1) * per_round)
            bare = _requests(BARE_PATH, bare_pairs[chunk], None)
            runs["bare"].append(_load(port, bare, threads=threads, seconds=seconds))
            signed = _requests(CALLBACK_PATH, signed_pairs[chunk], secret)
            runs["signed"].append(_load(port, signed, threads=threads, seconds=seconds))
    finally:
        server.terminate()
        server.wait(timeout=20)
    result = {name: _summary(value) for name, value in runs.items()}
    ratio = round(result["signed"]["ok_per_second"] / result["bare"]["ok_per_second"], 2)
    for name, numbers in result.items():
        print(
            f"{name:<7} {numbers['ok_per_second']:>7} req/s  p50 {numbers['p50_ms']:>6} ms  "
            f"p99 {numbers['p99_ms']:>6} ms  codes {numbers['status_codes']}"
        )
    print(f"signed / bare = {ratio}")
    _common.reset_data()
    _common.purge_broker()
    _common.record(
        "callbacks",
        {
            "command": "python bench/callbacks.py"
            + (f" --seconds {seconds:g} --rounds {args.rounds}" if seconds != 10 else ""),
            "server": "gunicorn, 2 sync workers, 127.0.0.1",
            "client_threads": threads,
            "goal": "signed >= 0.7 x bare requests/s, signed p99 < 100 ms",
            "goal_met": ratio >= 0.7 and result["signed"]["p99_ms"] < 100,
            "signed_over_bare": ratio,
            **result,
        },
    )


if __name__ == "__main__":
    main()
