"""Local stand-ins for the outside world: a fake Pinterest/webhook HTTP server,
a private Redis server, and Celery worker / beat subprocesses."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from django.conf import settings as django_settings

from quiz_backend.hermetic import database_url, subprocess_environ

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


@dataclass
class Answer:
    """One scripted answer to ``POST /pins``."""

    status: int = 201
    headers: dict[str, str] = field(default_factory=dict)
    creates_pin: bool | None = None  # default: a 2xx answer creates the pin
    hold: float = 0.0  # seconds to sit on the request after recording it


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


class FakePlatform:
    """Pinterest v5 (``POST /pins``, ``GET /boards/{id}/pins``) and webhook receivers."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.script: list[Answer] = []
        self.pins: list[dict[str, Any]] = []
        self.requests: list[Request] = []
        self.request_arrived = threading.Event()
        self.release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        assert isinstance(host, str)  # an AF_INET server
        return f"http://{host}:{port}"

    def start(self) -> FakePlatform:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def calls(self, method: str, prefix: str) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

    def pin_calls(self) -> list[Request]:
        return self.calls("POST", "/pins")

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _reply(self, status: int, body: Any, headers: dict[str, str] | None = None):
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (timeout, killed worker)

            def _record(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with fake.lock:
                    fake.requests.append(
                        Request(self.command, self.path, dict(self.headers), body, time.time())
                    )
                return body

            def do_GET(self) -> None:
                self._record()
                parts = self.path.split("?")[0].strip("/").split("/")
                if len(parts) == 3 and parts[0] == "boards" and parts[2] == "pins":
                    with fake.lock:
                        items = [p for p in fake.pins if p["board_id"] == parts[1]]
                    self._reply(200, {"items": list(reversed(items)), "bookmark": None})
                else:
                    self._reply(404, {"code": 404, "message": "Not found"})

            def do_POST(self) -> None:
                body = self._record()
                if self.path.startswith("/hook"):
                    self._reply(200, {"accepted": True})
                    fake.request_arrived.set()
                    return
                if self.path != "/pins":
                    self._reply(404, {"code": 404, "message": "Not found"})
                    return
                with fake.lock:
                    answer = fake.script.pop(0) if fake.script else Answer()
                    creates = answer.creates_pin
                    if creates is None:
                        creates = 200 <= answer.status < 300
                    pin = None
                    if creates:
                        data = json.loads(body)
                        pin = {
                            "id": str(813744000 + len(fake.pins)),
                            "board_id": data["board_id"],
                            "link": data["link"],
                        }
                        fake.pins.append(pin)
                fake.request_arrived.set()
                if answer.hold:
                    fake.release.wait(answer.hold)
                if 200 <= answer.status < 300:
                    self._reply(answer.status, pin, answer.headers)
                elif answer.status == 401:
                    self._reply(401, {"code": 2, "message": "Authentication failed."})
                else:
                    self._reply(answer.status, {"code": 8, "message": "Try later."}, answer.headers)

        return Handler


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


def celery_env(*, broker_url: str, **extra: str) -> dict[str, str]:
    """The hermetic test environment on the pytest database, with ``extra`` settings."""
    return subprocess_environ(
        {
            "DATABASE_URL": database_url(django_settings.DATABASES["default"]),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_BROKER_URL": broker_url,
            **extra,
        },
        PYTHONUNBUFFERED="1",
    )
