"""Helpers of the reliability tests: a private Redis server, Celery worker / beat
subprocesses, polling, threads released at once. The platforms are the emulator
(``emulator.testing``)."""

from __future__ import annotations

import functools
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from django.conf import settings as django_settings
from django.db import connection

from quiz_backend.hermetic import database_url, subprocess_environ
from tasks.models import SocialMediaPost

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, *, timeout: float, interval: float = 0.1, message: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s: {message}")


def run_at_once(action: Callable[[int], object], threads: int) -> list[BaseException]:
    """Run ``action(i)`` in ``threads`` threads (each with its own database connection)
    released together; return their errors."""
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def body(i: int) -> None:
        try:
            barrier.wait()
            action(i)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    started = [threading.Thread(target=body, args=(i,)) for i in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(60)
    return errors


def wait_for_posts(status: str, *, count: int, timeout: float) -> list[SocialMediaPost]:
    """Poll the database until ``count`` posts have ``status``; return every post."""

    def done() -> bool:
        return SocialMediaPost.objects.filter(status=status).count() >= count

    try:
        wait_until(done, timeout=timeout, interval=0.2, message=f"{count} posts {status}")
    except AssertionError:
        rows = list(
            SocialMediaPost.objects.values(
                "pk", "platform", "status", "retry_count", "error_message", "next_attempt_at"
            )
        )
        raise AssertionError(f"posts did not reach {status!r} in {timeout} s: {rows}") from None
    return list(SocialMediaPost.objects.order_by("pk"))


class RedisServer:
    """A private ``redis-server`` on a free port: stopping it touches nobody else."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        executable = shutil.which("redis-server")
        if executable is None:
            raise RuntimeError("redis-server is not installed (scripts/services.sh installs it).")
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [
                executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._answers, timeout=10, message="redis-server did not start")
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


class CeleryProcess:
    """``celery -A quiz_backend worker|beat`` as a subprocess with its own environment."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self.log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [str(VENV_BIN / "celery"), "-A", "quiz_backend", *args],
            cwd=REPO,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float = 30) -> None:
        wait_until(
            lambda: text in self.output() or self.process.poll() is not None,
            timeout=timeout,
            message=f"{text!r} not in the log:\n{self.output()[-3000:]}",
        )
        assert self.process.poll() is None, f"celery exited:\n{self.output()[-3000:]}"

    def children(self) -> list[int]:
        """Pool processes of this worker (read from /proc, no extra dependency)."""
        pid = self.process.pid
        found: list[int] = []
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            found.extend(int(child) for child in text)
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.send_signal(signal.SIGQUIT)
                self.process.wait(timeout=10)
        self.log.close()


class MediaServer:
    """Serves a folder on 127.0.0.1, so the emulator can download the worker's renders
    the way a platform downloads them from ``MEDIA_PUBLIC_URL``."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        handler = functools.partial(_QuietFiles, directory=str(root))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> MediaServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def celery_env(*, broker_url: str, **extra: str) -> dict[str, str]:
    """The hermetic test environment on the pytest database, with ``extra`` settings.

    The worker renders into this process's ``MEDIA_ROOT`` and links its files at this
    process's ``MEDIA_PUBLIC_URL`` (a ``MediaServer`` in the fixtures).
    """
    return subprocess_environ(
        {
            "DATABASE_URL": database_url(django_settings.DATABASES["default"]),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_BROKER_URL": broker_url,
            "MEDIA_ROOT": str(django_settings.MEDIA_ROOT),
            "MEDIA_PUBLIC_URL": django_settings.MEDIA_PUBLIC_URL,
            **extra,
        },
        PYTHONUNBUFFERED="1",
    )
