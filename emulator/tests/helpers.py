"""What the Telegram and VK stand-in tests share: pictures made in memory and a small
loopback HTTP server that serves them and records the webhook POSTs it receives."""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from PIL import Image


def picture(width: int = 64, height: int = 48, kind: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, kind)
    return buffer.getvalue()


class Receiver:
    """A loopback server: ``GET /<name>`` serves ``files[name]``; every POST is kept in
    ``posts`` and answered ``status``."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[str, bytes]] = {}
        self.posts: list[dict[str, Any]] = []
        self.status = 200
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                content_type, body = receiver.files.get(self.path.lstrip("/"), ("", b""))
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", content_type or "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                receiver.posts.append(
                    {
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": self.rfile.read(length),
                    }
                )
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                receiver.arrived.set()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def fresh(emulator: Any) -> Any:
    """The emulator as new: nothing received or created, the default bots, channels,
    tokens, communities and configuration (one server serves a whole test module)."""
    from emulator.platforms import telegram, vk

    emulator.reset()
    with emulator.state.lock:
        emulator.state.extensions.clear()
    emulator.telegram = telegram.state_of(emulator.state)
    emulator.vk = vk.state_of(emulator.state)
    return emulator
