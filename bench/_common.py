"""Shared set-up for the benchmarks: environment, database, machine facts, results file.

Every benchmark is one command run from the repository root, e.g.
``.venv/bin/python bench/queries.py``. They use PostgreSQL and Redis on
127.0.0.1 (``scripts/services.sh`` starts them), a dedicated database
(``BENCH_DATABASE_URL``, default ``quiz_backend_bench``) and Redis database 12
(``BENCH_BROKER_URL``). The platforms are the project's emulator, in a thread of the
benchmark process (``emulator.testing.InProcessEmulator``).
"""

from __future__ import annotations

import functools
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import warnings
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulator.testing import InProcessEmulator

ROOT = Path(__file__).resolve().parent.parent
RESULTS_JSON = ROOT / "docs" / "benchmarks.json"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/quiz_backend_bench"
BENCH_BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/12")
# Two fixed keys, for benchmark data only.
BENCH_FERNET_KEYS = (
    "Xq0u3kR8F5wq9rKj1V2d2gk2YkM0nN8o9pQrStUvWxY=,p1T3Hq7eR9u5i0O2a4S6d8F0g2H4j6K8l0Z2x4C6v8B="
)

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The admin's CSS is not what is measured; collectstatic is not needed to run these.
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)


def bench_environment(**overrides: str) -> dict[str, str]:
    """The settings every benchmark process runs with (production-like, DEBUG off)."""
    env = {
        "DJANGO_SETTINGS_MODULE": "quiz_backend.settings",
        "ENV_FILE": "",  # a developer's .env must not change what is measured
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        "CELERY_BROKER_URL": BENCH_BROKER_URL,
        "SECRET_KEY": "benchmark-only-secret-key",
        "FIELD_ENCRYPTION_KEYS": BENCH_FERNET_KEYS,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "ALLOW_PRIVATE_WEBHOOK_URLS": "true",
        "LOG_DIR": str(ROOT / "var" / "bench-logs"),
        "LOG_LEVEL": "WARNING",
        "SITE_URL": "https://quiz.example.com",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    env.update(overrides)
    return env


def setup_django(**overrides: str) -> None:
    """Apply the benchmark environment, create and migrate the database, start Django."""
    os.environ.update(bench_environment(**overrides))
    _ensure_database(os.environ["DATABASE_URL"])
    import django
    from django.core.management import call_command

    django.setup()
    from django.conf import settings

    # Pages render without running collectstatic first (static URLs are not measured).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("migrate", verbosity=0)


def _ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[-1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def fake_token(platform: str) -> str:
    """A made-up access token: the emulator accepts any bearer token."""
    return f"{platform}-benchmark-token"


def reset_data() -> None:
    """Empty the tables the benchmarks fill (one TRUNCATE, cascading to posts/attempts).

    The stored renders are kept (unlinked from their tasks): they are found by cache key,
    so the next run's identical tasks reuse them instead of rendering everything again.
    """
    from django.db import connection

    from quiz_media.models import RenderedFile
    from tasks.models import Task
    from webhooks.models import SocialMediaCredentials, Webhook

    tables = [m._meta.db_table for m in (Task, SocialMediaCredentials, Webhook)]
    renders = RenderedFile._meta.db_table
    task_column = RenderedFile._meta.get_field("task").column
    # Table and column names from the models; no value is interpolated.
    statements = [
        f"CREATE TEMP TABLE kept_renders AS SELECT * FROM {renders}",  # noqa: S608
        f"UPDATE kept_renders SET {task_column} = NULL",  # noqa: S608
        f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE",
        f"INSERT INTO {renders} SELECT * FROM kept_renders",  # noqa: S608
        "DROP TABLE kept_renders",
        # RESTART IDENTITY reset the renders' ids too: new ones continue after the kept.
        f"SELECT setval(pg_get_serial_sequence('{renders}', 'id'), "  # noqa: S608
        f"COALESCE((SELECT MAX(id) FROM {renders}), 0) + 1, false)",
    ]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def purge_broker() -> None:
    """Drop the messages no worker will consume (the benchmark broker database only)."""
    import redis

    redis.Redis.from_url(BENCH_BROKER_URL).flushdb()


def machine() -> dict[str, Any]:
    """The facts a reader needs to compare numbers: cores, CPU, memory, versions."""
    import django

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    mem_kib = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(mem_kib / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": _postgres_version(),
        "redis": _redis_version(),
        # Other processes share this machine: the 1/5/15-minute load when the run ended.
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _postgres_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


def _redis_version() -> str:
    import redis

    try:
        return str(redis.Redis.from_url(BENCH_BROKER_URL).info("server")["redis_version"])
    except Exception:
        return "unavailable"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def platform_settings(port: int) -> dict[str, str]:
    """The product's API base URLs for the emulator on ``127.0.0.1:port``, and where the
    renders are stored and served from (``media_settings``)."""
    return {
        "PINTEREST_API_BASE_URL": f"http://127.0.0.1:{port}/pinterest/v5",
        "FACEBOOK_GRAPH_API_BASE_URL": f"http://127.0.0.1:{port}/facebook/v26.0",
        **media_settings(),
    }


MEDIA_DIR = ROOT / "var" / "bench-media"
# Rendering is not what the publishing benchmarks measure (bench/render_media.py does):
# short videos keep the untimed pre-render phase short.
BENCH_VIDEO_SECONDS = "5"
_media_server: list[Any] = []


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def media_settings() -> dict[str, str]:
    """Renders go to ``var/bench-media``, served on 127.0.0.1 (started once, in a thread of
    this process) so the emulator can download them as a platform does."""
    if not _media_server:
        MEDIA_DIR.mkdir(parents=True, exist_ok=True)
        handler = functools.partial(_QuietFiles, directory=str(MEDIA_DIR))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        _media_server.append(server)
    port = _media_server[0].server_address[1]
    return {
        "MEDIA_ROOT": str(MEDIA_DIR),
        "MEDIA_PUBLIC_URL": f"http://127.0.0.1:{port}/",
        "QUIZ_MEDIA_VIDEO_SECONDS": BENCH_VIDEO_SECONDS,
    }


def prerender(task_ids: list[int]) -> float:
    """Render every medium the active platforms need for these tasks, before the timed
    phase: renders are cached per task, so the publishes then reuse them and the timed
    phase measures publishing, not rendering. Returns the seconds it took."""
    from social_media.media import tasks_render_media

    started = time.perf_counter()
    result = tasks_render_media(task_ids=task_ids)
    if result["failed"]:
        raise SystemExit(f"pre-rendering failed for {result['failed']} media")
    seconds = time.perf_counter() - started
    print(f"pre-rendered {result['rendered']} media for {len(task_ids)} tasks in {seconds:.1f} s")
    return seconds


def start_emulator(port: int, latency_ms: int) -> InProcessEmulator:
    """The platform emulator on ``127.0.0.1:port`` in a thread; every answer after
    ``latency_ms``. Its hooks have no callback URL: deliveries are accepted, never
    called back (webhook posts end *processing*, delivered). It does not download and
    probe the media (``check_media=False``): a platform does that on its own machines,
    not on the cores the publisher is measured on."""
    from emulator.testing import InProcessEmulator

    return InProcessEmulator(port=port, latency_ms=latency_ms, check_media=False).start()


def configure_platforms(port: int) -> None:
    from webhooks.models import SocialMediaCredentials, Webhook

    SocialMediaCredentials.objects.create(
        platform="pinterest",
        access_token=fake_token("pinterest"),
        extra_data={"board_id": "1"},
    )
    SocialMediaCredentials.objects.create(
        platform="facebook",
        access_token=fake_token("facebook"),
        extra_data={"page_id": "104512345678901"},
    )
    Webhook.objects.create(
        url=f"http://127.0.0.1:{port}/make/bench",
        service_name="Make.com",
        webhook_type="social_media",
        target_platforms=["instagram", "tiktok", "youtube_shorts", "yandex_dzen"],
    )


def summarize_ms(samples: list[float]) -> dict[str, float]:
    """Median, p90, mean, min, max of millisecond samples (rounded to 0.01 ms)."""
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {
        "n": len(ordered),
        "median_ms": round(statistics.median(ordered), 2),
        "p90_ms": round(p90, 2),
        "mean_ms": round(statistics.fmean(ordered), 2),
        "min_ms": round(ordered[0], 2),
        "max_ms": round(ordered[-1], 2),
    }


def git_revision() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH, fixed args
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def record(section: str, results: dict[str, Any]) -> None:
    """Write one benchmark's results into docs/benchmarks.json, keeping the others."""
    data: dict[str, Any] = {}
    if RESULTS_JSON.exists():
        data = json.loads(RESULTS_JSON.read_text())
    data[section] = {
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "revision": git_revision(),
        "machine": machine(),
        **results,
    }
    RESULTS_JSON.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_JSON.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"recorded {section!r} in {RESULTS_JSON.relative_to(ROOT)}")


def post_counts() -> dict[str, int]:
    """Posts in the benchmark database: all, published, delivered to a webhook, failed."""
    from django.db.models import Count, Q

    from tasks.models import PostStatus, SocialMediaPost

    return SocialMediaPost.objects.aggregate(
        total=Count("id"),
        published=Count("id", filter=Q(status=PostStatus.PUBLISHED)),
        delivered=Count("id", filter=Q(status=PostStatus.PROCESSING, delivered_at__isnull=False)),
        failed=Count("id", filter=Q(status=PostStatus.FAILED)),
    )


def start_worker(
    name: str, concurrency: int, settings: dict[str, str], pool: str = "prefork"
) -> subprocess.Popen[bytes]:
    """A Celery worker of this checkout (``-n <name>@%h``) with the benchmark settings plus
    ``settings``; its output goes to ``LOG_DIR/<name>.out``."""
    env = {**os.environ, **bench_environment(**settings)}
    log_path = Path(env["LOG_DIR"]) / f"{name}.out"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("w")
    return subprocess.Popen(  # noqa: S603 - our own venv's celery, fixed arguments
        [
            str(Path(sys.executable).with_name("celery")),
            "-A",
            "quiz_backend",
            "worker",
            f"--pool={pool}",
            f"--concurrency={concurrency}",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            f"--hostname={name}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_ready(worker: subprocess.Popen[bytes]) -> None:
    """Until the worker answers a ping (60 s at most); stop at once if it exited."""
    from quiz_backend.celery import app

    for _ in range(120):
        if worker.poll() is not None:
            raise SystemExit(f"the worker exited at start (code {worker.returncode}); see its log")
        if app.control.ping(timeout=0.5):
            return
    raise SystemExit("the worker did not answer a ping in 60 s")


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    """SIGTERM (a warm shutdown), then kill it if it has not ended within a minute."""
    if worker.poll() is not None:
        return
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=60)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
