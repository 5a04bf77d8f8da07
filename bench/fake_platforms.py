"""A tiny threaded fake of Pinterest, Facebook Graph and a Make.com hook, on loopback.

Every request waits ``--delay-ms`` and then answers like the real API does on
success (shapes from PLATFORM_API_FACTS.md), so a benchmark can show how the
platforms' latency reaches (or does not reach) the admin save.

    .venv/bin/python bench/fake_platforms.py --port 8790 --delay-ms 500
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_ids = itertools.count(1_000_000)
_ids_lock = threading.Lock()
# POSTs received per kind ("pins", "photos", "feed", "hook"), for duplicate checks.
_received: Counter = Counter()


def _next_id(kind: str) -> int:
    with _ids_lock:
        _received[kind] += 1
        return next(_ids)


class FakePlatformHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    delay_seconds = 0.0

    def log_message(self, format: str, *args: Any) -> None:  # quiet: benchmarks print results
        pass

    def _answer(self, status: int, body: dict) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        time.sleep(self.delay_seconds)
        path = self.path.split("?", 1)[0].rstrip("/")
        if path.endswith("/pins"):
            self._answer(201, {"id": str(_next_id("pins")), "board_id": "1"})
        elif path.endswith("/photos"):
            post_id = _next_id("photos")
            self._answer(200, {"id": str(post_id), "post_id": f"104512345678901_{post_id}"})
        elif path.endswith("/feed"):
            self._answer(200, {"id": f"104512345678901_{_next_id('feed')}"})
        elif "/hook/" in path:
            _next_id("hook")
            self._answer(200, {"accepted": True})
        else:
            self._answer(404, {"message": f"no fake for POST {path}"})

    def do_GET(self) -> None:
        if self.path == "/_stats":  # the counters, at once (no simulated latency)
            with _ids_lock:
                self._answer(200, dict(_received))
            return
        time.sleep(self.delay_seconds)
        post_id = self.path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        self._answer(200, {"id": post_id, "permalink_url": f"https://www.facebook.com/{post_id}"})


def serve(port: int, delay_ms: float) -> ThreadingHTTPServer:
    handler = type("Handler", (FakePlatformHandler,), {"delay_seconds": delay_ms / 1000})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    args = parser.parse_args()
    server = serve(args.port, args.delay_ms)
    print(f"fake platforms on http://127.0.0.1:{args.port} (delay {args.delay_ms} ms)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
