"""The emulator's HTTP server: a threaded stdlib server on loopback and its router."""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from emulator import control, make, oauth, pages
from emulator.faults import FaultPlan, apply_response_faults
from emulator.platforms import native, stand_ins, telegram, vk
from emulator.state import EmulatorState, Fault
from emulator.wire import Request, Response, json_response, text_response

logger = logging.getLogger("emulator")

HOST = "127.0.0.1"  # loopback only: the emulator is never reachable from the network
MAX_BODY = 5 * 1024 * 1024  # Make.com's payload limit
# An upload chunk (TikTok: up to 128 MB), a hosted file, or a photo (Telegram 10 MB, VK 50 MB).
MAX_UPLOAD_BODY = 200 * 1024 * 1024
UPLOAD_PATHS = re.compile(
    f"{native.UPLOAD_PATHS}|^/_control/files/|^{telegram.PREFIX}/|^{vk.PREFIX}/"
)
BOT_TOKEN_IN_PATH = re.compile(f"^({telegram.PREFIX}/bot)[^/]*")
Handler = Callable[[EmulatorState, Request], Response]


@dataclass(frozen=True)
class Route:
    platform: str  # "" for the control API and pages: not recorded, no faults
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    needs_auth: bool
    authenticate: Callable[[Request], Response | None] | None
    creates: bool  # creates a pin, a post or a delivery: counted, ``on: "create"`` faults


# One stand-in per API platform of the product (emulator/platforms/<key>.py, by product
# key); Make.com, the native stand-ins (native.py), Telegram and VK are mounted below.
STAND_INS = stand_ins()
# The handlers that create something on the platform: what duplicate checks count.
CREATE_HANDLERS: set[Handler] = {
    *(handler for module in STAND_INS.values() for handler in module.CREATE_HANDLERS),
    make.receive,
    *telegram.CREATES,
    *vk.CREATES,
    *native.CREATE_HANDLERS,
}


def _mount(
    platform: str,
    prefix: str,
    routes: Iterable[tuple[str, str, Handler, bool]],
    authenticate: Callable[[Request], Response | None] | None = None,
) -> list[Route]:
    return [
        Route(
            platform,
            method,
            re.compile(f"^{prefix}{pattern}$"),
            handler,
            auth,
            authenticate,
            handler in CREATE_HANDLERS,
        )
        for method, pattern, handler, auth in routes
    ]


ROUTES: list[Route] = [
    # OAuth (emulator/oauth.py) first: it checks the code grants of the stand-ins' token
    # endpoints and adds list endpoints (boards, pages, communities) before their catch-alls.
    *_mount("", "", oauth.API_ROUTES),
    *_mount("", "", oauth.PAGE_ROUTES),
    *(
        route
        for key, module in STAND_INS.items()
        for route in _mount(key, module.PREFIX, module.ROUTES, module.authenticate)
    ),
    *_mount("make", "/make", make.ROUTES),
    *(r for m in native.NATIVE for r in _mount(m.NAME, m.PREFIX, m.ROUTES, m.authenticate)),
    *_mount("telegram", telegram.PREFIX, telegram.ROUTES, telegram.authenticate),
    *_mount("vk", vk.PREFIX, vk.ROUTES, vk.authenticate),
    *_mount("", telegram.CONTROL_PREFIX, telegram.CONTROL_ROUTES),
    *_mount("", vk.CONTROL_PREFIX, vk.CONTROL_ROUTES),
    *_mount("", telegram.PAGES_PREFIX, telegram.PAGE_ROUTES),
    *_mount("", vk.PREFIX, vk.PAGE_ROUTES),
    *_mount("", "/_control", [*control.ROUTES, *native.CONTROL_ROUTES]),
    *_mount("", "", [*pages.ROUTES, *native.PAGE_ROUTES]),
]
PLATFORM_PREFIXES = {
    **{key: re.compile(f"^{module.PREFIX}/") for key, module in STAND_INS.items()},
    "make": re.compile("^/make/"),
    "telegram": re.compile(f"^{telegram.PREFIX}/"),
    "vk": re.compile(vk.RECORDED_PATHS),
    **{m.NAME: re.compile(m.PATHS) for m in native.NATIVE},
}


def _not_found(platform: str, method: str, path: str) -> Response:
    if platform in STAND_INS:
        return STAND_INS[platform].not_found(method, path)
    if platform in native.BY_NAME:
        return native.BY_NAME[platform].not_found(method, path)
    if platform == "telegram":
        return telegram.error(404, "Not Found")
    if platform == "vk":
        return vk.fault_answer(Fault(platform="vk", fault="status", status=404, code=3))
    return text_response("Not found", 404)


def _resolve(request: Request) -> tuple[Route | None, dict[str, str], list[str]]:
    """The route for the request, its path parameters, and the methods the path allows."""
    allowed: list[str] = []
    for route in ROUTES:
        match = route.pattern.match(request.path)
        if not match:
            continue
        if route.method != request.method:
            allowed.append(route.method)
            continue
        return route, match.groupdict(), allowed
    return None, {}, allowed


def _recorded_body(request: Request) -> str:
    """The body as the request log keeps it: uploaded media only by its size."""
    if UPLOAD_PATHS.match(request.path) and len(request.body) > 4096:
        return f"<{len(request.body)} bytes>"
    return request.body.decode("utf-8", "replace")


def dispatch(state: EmulatorState, request: Request) -> Response:
    """Route one request: record it, apply latency and faults, check auth, call the handler."""
    platform = next((p for p, rx in PLATFORM_PREFIXES.items() if rx.match(request.path)), "")
    route, params, allowed = _resolve(request)
    plan = FaultPlan()
    if platform:
        request.arrived = state.release_generation()
        creates = route is not None and route.creates
        request.record = state.record(
            {
                "platform": platform,
                "method": request.method,
                "path": request.path,
                "query": request.query,
                "headers": request.headers,
                "body": _recorded_body(request),
                "json": request.json(),
                "creates": creates,
            }
        )
        if state.latency_ms:
            time.sleep(state.latency_ms / 1000)
        plan = apply_response_faults(state, platform, request, creates)
        if plan.answer is not None:
            return plan.answer
    if route is None:
        if allowed:
            response = json_response({"error": "Method not allowed"}, 405)
            response.headers["Allow"] = ", ".join(sorted(set(allowed)))
            return response
        return _not_found(platform, request.method, request.path)
    request.params = params
    if route.needs_auth and route.authenticate is not None:
        refused = route.authenticate(request)
        if refused is not None:
            return refused
    response = route.handler(state, request)
    if plan.stall_after:
        state.stall(plan.stall_after, request.arrived)  # processed; the answer comes too late
    return response


class EmulatorRequestHandler(BaseHTTPRequestHandler):
    server_version = "PlatformEmulator/1.0"
    state: EmulatorState  # set on the per-server subclass

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length > (MAX_UPLOAD_BODY if UPLOAD_PATHS.match(parts.path) else MAX_BODY):
            self._send(text_response("Payload too large", 413))
            return
        request = Request(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        try:
            response = dispatch(self.state, request)
        except Exception:
            logger.exception("Emulator error on %s %s", request.method, request.path)
            response = json_response({"error": "The emulator failed; see its log."}, 500)
        self._send(response)

    def _send(self, response: Response) -> None:
        if response.drop:  # cut off: the client sees its connection reset, no answer
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout fault did its job)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        # The path only: a query string may carry an access_token; a Bot API path
        # carries the bot token (/telegram/bot<token>/<method>), which is masked.
        path = BOT_TOKEN_IN_PATH.sub(r"\1<token>", urlsplit(self.path).path)
        logger.info("%s %s -> %s", self.command, path, code)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("emulator: " + format, *args)


class EmulatorServer:
    """The emulator on ``127.0.0.1:port`` (0 picks a free port); run in a thread or forever."""

    def __init__(self, port: int = 0, state: EmulatorState | None = None) -> None:
        self.state = state or EmulatorState()
        handler = type("BoundHandler", (EmulatorRequestHandler,), {"state": self.state})
        self.httpd = ThreadingHTTPServer((HOST, port), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://{HOST}:{self.port}"
        self.state.base_url = self.url
        self._thread: threading.Thread | None = None

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, name="platform-emulator", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.state.release_stalls()  # requests sitting in a stall answer now
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
