"""The platform emulator in-process, for tests and benchmarks.

    with InProcessEmulator(latency_ms=100) as emu:
        settings.PINTEREST_API_BASE_URL = emu.pinterest_url
        emu.fault("pinterest", "status", status=500, count=2, on="create")
        ...
        assert emu.create_count("pinterest") == 3

It is the same server ``manage.py run_platform_emulator`` runs (``EmulatorServer``), on a
free port of 127.0.0.1 in a daemon thread; this class adds a Python API over its state:
arming faults (validated like the control API's ``POST /_control/faults``), ending stalls,
reading what was received and counting create requests per platform.

Faults are consumed in the order they are armed, so arming several one-request faults
scripts a sequence of answers: ``fault(…, status=500)``, ``fault(…, status=500)``, then
the platform answers normally.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from emulator.platforms import telegram, vk
from emulator.server import EmulatorServer
from emulator.state import PLATFORMS, EmulatorState, Fault, FaultError, HookConfig

PINTEREST_PATH = "/pinterest/v5"
FACEBOOK_PATH = "/facebook/v26.0"
TELEGRAM_PATH = telegram.PREFIX  # + /bot<token>/<method>
VK_PATH = f"{vk.PREFIX}{vk.API_PATH}"  # + /<method>
INSTAGRAM_PATH = "/instagram/v26.0"
TIKTOK_PATH = "/tiktok"
GOOGLE_TOKEN_PATH = "/google/oauth2/token"  # noqa: S105 (a path)


class InProcessEmulator:
    """Pinterest v5, the Facebook Graph API, Make.com hooks, the Instagram, YouTube and
    TikTok stand-ins, the Telegram Bot API and the VK API (emulator/platforms/) on
    ``127.0.0.1:<free port>``."""

    def __init__(
        self,
        *,
        latency_ms: int = 0,
        check_media: bool = True,
        callback_url: str = "",
        callback_delay: float = 1.0,
        port: int = 0,
    ) -> None:
        self.server = EmulatorServer(port=port)
        self.state: EmulatorState = self.server.state
        self.state.latency_ms = latency_ms
        self.state.check_media = check_media
        self.state.callback_url = callback_url
        self.state.callback_delay = callback_delay
        self.url = self.server.url
        self.pinterest_url = f"{self.url}{PINTEREST_PATH}"
        self.facebook_url = f"{self.url}{FACEBOOK_PATH}"
        self.telegram_url = f"{self.url}{TELEGRAM_PATH}"  # TELEGRAM_BOT_API_BASE_URL
        self.vk_url = f"{self.url}{VK_PATH}"  # VK_API_BASE_URL
        # Their state and set-up: bots, channels, voters; tokens, communities, metrics.
        self.telegram: telegram.TelegramState = telegram.state_of(self.state)
        self.vk: vk.VkState = vk.state_of(self.state)
        self.instagram_url = f"{self.url}{INSTAGRAM_PATH}"  # INSTAGRAM_GRAPH_API_BASE_URL
        self.youtube_url = self.url  # stands for https://www.googleapis.com
        self.google_token_url = f"{self.url}{GOOGLE_TOKEN_PATH}"  # GOOGLE_OAUTH_TOKEN_URL
        self.tiktok_url = f"{self.url}{TIKTOK_PATH}"  # stands for https://open.tiktokapis.com
        self._running = False

    # --- life cycle -----------------------------------------------------------
    def start(self) -> InProcessEmulator:
        self.server.start()
        self._running = True
        return self

    def stop(self) -> None:
        """Stop serving; requests sitting in a stall are answered first."""
        if self._running:
            self._running = False
            self.server.stop()

    def __enter__(self) -> InProcessEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget faults, requests, counts and created objects; end stalls (hooks stay)."""
        self.state.reset()

    # --- set-up ---------------------------------------------------------------
    def hook_url(self, name: str) -> str:
        """The URL of Make.com hook ``name`` (a webhook's URL in the product)."""
        return f"{self.url}/make/{name}"

    def set_hook(
        self, name: str, *, secret: str = "", callback_url: str = "", auth: str = "signature"
    ) -> None:
        """How hook ``name`` calls back: its signing secret and where (default: ours)."""
        self.state.set_hook(name, HookConfig(secret=secret, callback_url=callback_url, auth=auth))

    def set_latency(self, latency_ms: int) -> None:
        """Milliseconds added before every platform answer."""
        with self.state.lock:
            self.state.latency_ms = latency_ms

    def fault(self, platform: str, fault: str, **options: Any) -> Fault:
        """Arm a fault, exactly as ``POST /_control/faults`` does (same names, same checks).

        ``count`` (default 1, ``None`` = until reset), ``method``, ``path``,
        ``on="create"`` (only requests that create a pin, a post or a delivery),
        ``status``, ``code``, ``retry_after``, ``latency_ms``, ``seconds`` and, for
        ``timeout``, ``process`` ("after", "before" or "never"). Raises ``FaultError``.
        """
        return self.state.add_fault(
            Fault.from_json({"platform": platform, "fault": fault, **options})
        )

    def configure(
        self,
        platform: str,
        *,
        advance_seconds: float = 0,
        defaults: bool = False,
        **settings: Any,
    ) -> None:
        """Change a native platform's settings (``instagram``, ``youtube``, ``tiktok``) as
        ``POST /_control/platforms/<platform>`` does; ``advance_seconds`` moves its clock,
        ``defaults=True`` first restores the default settings and clock."""
        from emulator.platforms import native

        store = native.store(self.state, platform)
        with self.state.lock:
            if defaults:
                store.settings, store.offset = type(store.settings)(), 0.0
            problem = native.BY_NAME[platform].configure(store, settings)
            if problem:
                raise FaultError(problem)
            store.offset += advance_seconds

    def native(self, platform: str) -> Any:
        """A native platform's store: its objects (``containers``, ``media``, ``videos``,
        ``sessions``, ``publishes``…) and ``settings``; read them under ``state.lock``."""
        from emulator.platforms import native

        return native.store(self.state, platform)

    def host_file(self, name: str, data: bytes, content_type: str = "") -> str:
        """Serve ``data`` at ``/files/<name>`` (media the platforms fetch); its URL."""
        from emulator.platforms import native

        with self.state.lock:
            files = self.state.native.setdefault(native.FILES_KEY, {})
            files[name] = (content_type or "application/octet-stream", data)
        return f"{self.url}/files/{name}"

    def release(self) -> None:
        """End every stall now (``timeout`` faults); the stalled requests then answer."""
        self.state.release_stalls()

    # --- what it received -----------------------------------------------------
    def requests(self, platform: str = "", *, method: str = "", path: str = "") -> list[dict]:
        """Recorded requests (the last 2,000), oldest first; ``path``: a text it contains."""
        return [
            record
            for record in self.state.find_records(platform)
            if (not method or record["method"] == method) and path in record["path"]
        ]

    def creates(self, platform: str) -> list[dict]:
        """Recorded create requests of ``platform`` (pins, photo/feed posts, deliveries)."""
        return [record for record in self.state.find_records(platform) if record["creates"]]

    def create_count(self, platform: str) -> int:
        """Create requests ``platform`` received since the last reset (never trimmed)."""
        with self.state.lock:
            return self.state.counts.get(platform, {}).get("creates", 0)

    def create_counts(self) -> dict[str, int]:
        """Create requests received per platform (``pinterest``, ``facebook``, ``make``,
        ``instagram``, ``youtube``, ``tiktok``)."""
        return {platform: self.create_count(platform) for platform in PLATFORMS}

    def wait_for_creates(self, platform: str, count: int = 1, timeout: float = 10.0) -> bool:
        """Wait until ``platform`` received ``count`` create requests; False on timeout."""

        def arrived() -> bool:
            return self.state.counts.get(platform, {}).get("creates", 0) >= count

        return self.state.wait_for(arrived, timeout)

    # --- what exists on the "platforms" -----------------------------------------
    @property
    def pins(self) -> list[dict]:
        """Pins created, oldest first."""
        with self.state.lock:
            return [dict(pin) for pin in self.state.pins.values()]

    @property
    def facebook_posts(self) -> list[dict]:
        with self.state.lock:
            return [dict(post) for post in self.state.fb_posts.values()]

    @property
    def make_posts(self) -> list[dict]:
        """What the Make.com scenarios "published" (one per new ``webhook-id``)."""
        with self.state.lock:
            return [dict(post) for post in self.state.make_posts.values()]

    @property
    def callbacks(self) -> list[dict]:
        with self.state.lock:
            return [dict(entry) for entry in self.state.callbacks]
