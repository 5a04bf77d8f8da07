"""Everything the emulator remembers: requests, faults, created objects, hook set-up.

One ``EmulatorState`` per server; every method takes the lock, so handler threads
and the control API never see a half-made change.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from emulator.platforms import KEYS as STAND_IN_KEYS
from emulator.platforms import NATIVE_NAMES

NATIVE_PLATFORMS = NATIVE_NAMES  # emulator/platforms/native.py
# The product's API platforms' stand-ins (by product key), Make.com, then the stand-ins
# of platforms the product does not call yet.
PLATFORMS = (*STAND_IN_KEYS, "make", *NATIVE_PLATFORMS, "telegram", "vk")
# Faults only one platform has: its own answer for the situation (emulator/platforms/).
PLATFORM_FAULTS = {
    "flood_wait": "telegram",
    "kicked": "telegram",
    "not_member": "telegram",
    "captcha": "vk",
    "flood_control": "vk",
}
RESPONSE_FAULTS = {
    "status",
    "latency",
    "rate_limit",
    "expired_token",
    "timeout",
    "malformed",
    *PLATFORM_FAULTS,
}
CALLBACK_FAULTS = {"no_callback", "callback_failed"}
# Taken by the native platforms' handlers: "stuck" (the next container, video or publish
# never finishes processing), "cut_upload" (the next upload chunk is cut off: the
# connection drops), "quota" (the next publish/upload is refused as over the quota).
NATIVE_FAULTS = {"stuck", "cut_upload", "quota"}
FAULT_KINDS = RESPONSE_FAULTS | CALLBACK_FAULTS | NATIVE_FAULTS
MAX_RECORDS = 2000
# What a "timeout" fault does with the request around its stall.
PROCESS_CHOICES = ("after", "before", "never")
# Which requests a fault hits: any of the platform's, or only those that create something
# (a pin, a Facebook photo or feed post, a Make.com delivery).
ON_CHOICES = ("any", "create")


class FaultError(ValueError):
    """A fault description the control API cannot accept."""


@dataclass
class Fault:
    platform: str
    fault: str
    count: int | None = 1  # how many requests it hits; None = until reset
    status: int = 500
    latency_ms: int = 0
    retry_after: int | None = None
    seconds: float = 30.0  # "timeout": how long to stall before answering
    # "timeout": "after" = stall, then process (the post exists); "before" = process, then
    # stall (the post exists before the client gives up); "never" = stall, answer 504.
    process: str = "after"
    code: int | None = None  # Facebook error code override
    method: str = ""  # only requests with this method ("" = any)
    path: str = ""  # only paths containing this text ("" = any)
    on: str = "any"  # "create": only requests that create a pin, post or delivery
    id: int = 0

    @classmethod
    def from_json(cls, data: Any) -> Fault:
        if not isinstance(data, dict):
            raise FaultError('Send a JSON object such as {"platform": "pinterest", ...}.')
        platform = data.get("platform")
        if platform not in PLATFORMS:
            raise FaultError(f"platform must be one of {', '.join(PLATFORMS)}.")
        kind = data.get("fault") or ("latency" if "latency_ms" in data else None)
        if kind not in FAULT_KINDS:
            raise FaultError(f"fault must be one of {', '.join(sorted(FAULT_KINDS))}.")
        if kind in CALLBACK_FAULTS and platform != "make":
            raise FaultError(f"{kind} only applies to the make platform.")
        if kind in PLATFORM_FAULTS and platform != PLATFORM_FAULTS[kind]:
            raise FaultError(f"{kind} only applies to the {PLATFORM_FAULTS[kind]} platform.")
        if kind in NATIVE_FAULTS and (
            platform not in NATIVE_PLATFORMS or (kind == "cut_upload" and platform == "instagram")
        ):
            raise FaultError(f"{kind} does not apply to the {platform} platform.")
        fault = cls(platform=platform, fault=kind)
        for name, caster in (
            ("status", int),
            ("latency_ms", int),
            ("retry_after", int),
            ("seconds", float),
            ("code", int),
        ):
            if data.get(name) is not None:
                try:
                    setattr(fault, name, caster(data[name]))
                except (TypeError, ValueError):
                    raise FaultError(f"{name} must be a number.") from None
        if "count" in data:
            count = data["count"]
            if count is not None and (not isinstance(count, int) or count < 1):
                raise FaultError("count must be a positive whole number or null (until reset).")
            fault.count = count
        fault.method = str(data.get("method") or "").upper()
        fault.path = str(data.get("path") or "")
        for name, choices in (("process", PROCESS_CHOICES), ("on", ON_CHOICES)):
            if data.get(name) is not None:
                if data[name] not in choices:
                    raise FaultError(f"{name} must be one of {', '.join(choices)}.")
                setattr(fault, name, data[name])
        if kind == "status" and not 400 <= fault.status <= 599:
            raise FaultError("status must be an HTTP error status (400-599).")
        if kind == "rate_limit" and "status" not in data:
            # Graph throttling (codes 4/17/613) comes with HTTP 400; the others use 429.
            fault.status = 400 if platform in ("facebook", "instagram") else 429
        return fault

    def matches(self, method: str, path: str, creates: bool = False) -> bool:
        return (
            (not self.method or self.method == method)
            and (not self.path or self.path in path)
            and (self.on == "any" or creates)
        )


@dataclass
class HookConfig:
    """What the emulator needs to answer as a scenario: where and how to call back."""

    secret: str = ""
    callback_url: str = ""
    auth: str = "signature"  # or "bearer"


@dataclass
class EmulatorState:
    callback_url: str = ""
    callback_delay: float = 1.0
    latency_ms: int = 0  # added before every platform answer (benchmarks)
    # Download and probe the media a post names, as the platforms do. The throughput
    # benchmarks turn it off: a real platform does that on its own machines, not on the
    # cores the publisher is measured on (an unchecked medium is taken as valid).
    check_media: bool = True
    # Pinterest and Facebook engagement (emulator/engagement.py): views per second of a
    # post's age, and seconds added to every age (the tests' clock).
    engagement_rate: float = 1.0
    engagement_offset: float = 0.0
    # Make.com: after a "published" callback, report the post's growing numbers in a
    # callback every this many seconds (0 = never; scripts/run sets 60), this many times.
    metrics_interval: float = 0.0
    metrics_callbacks: int = 30
    base_url: str = ""
    hooks: dict[str, HookConfig] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    pins: dict[str, dict[str, Any]] = field(default_factory=dict)
    fb_posts: dict[str, dict[str, Any]] = field(default_factory=dict)
    make_posts: dict[str, dict[str, Any]] = field(default_factory=dict)
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    # The native platforms' stores (emulator/platforms/), by platform name.
    native: dict[str, Any] = field(default_factory=dict)
    # Requests received per platform: {"pinterest": {"requests": n, "creates": n}, ...};
    # never trimmed, unlike ``records``, so duplicate checks hold for any number of posts.
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    # What was downloaded for each created object: image or video probe (format, size…).
    fetched_media: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Per-platform state of emulator/platforms/ modules (``reset()``/``snapshot()`` each).
    extensions: dict[str, Any] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1), repr=False)
    _changed: threading.Condition = field(init=False, repr=False)
    _released: int = field(default=0, repr=False)

    def __post_init__(self) -> None:
        self._changed = threading.Condition(self.lock)

    def next_id(self) -> int:
        with self.lock:
            return next(self._ids)

    # --- faults ---------------------------------------------------------------
    def add_fault(self, fault: Fault) -> Fault:
        with self.lock:
            fault.id = self.next_id()
            self.faults.append(fault)
            return fault

    def take_faults(
        self, platform: str, method: str, path: str, kinds: set[str], creates: bool = False
    ) -> list[Fault]:
        """The faults that hit this request: any latency ones plus at most one other.

        Faults are taken in the order they were armed, so arming several, each for one
        request, scripts a sequence of answers.
        """
        taken: list[Fault] = []
        with self.lock:
            for fault in list(self.faults):
                if fault.platform != platform or fault.fault not in kinds:
                    continue
                if not fault.matches(method, path, creates):
                    continue
                if fault.fault != "latency" and any(f.fault != "latency" for f in taken):
                    continue
                taken.append(fault)
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
        return taken

    # --- stalls ---------------------------------------------------------------
    def release_generation(self) -> int:
        """How many times stalls were released: a request notes it when it arrives."""
        with self.lock:
            return self._released

    def stall(self, seconds: float, arrived: int) -> None:
        """Sit on a request for ``seconds``, or until stalls are released after it arrived
        (``arrived``: ``release_generation()`` then), even if its stall began later."""
        with self.lock:
            self._changed.wait_for(lambda: self._released > arrived, seconds)

    def release_stalls(self) -> None:
        """End the stalls of every request received so far; later requests stall again."""
        with self.lock:
            self._released += 1
            self._changed.notify_all()

    # --- records --------------------------------------------------------------
    def record(self, entry: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            entry = {"id": self.next_id(), "received_at": time.time(), **entry}
            self.records.append(entry)
            del self.records[:-MAX_RECORDS]
            counts = self.counts.setdefault(entry["platform"], {"requests": 0, "creates": 0})
            counts["requests"] += 1
            counts["creates"] += bool(entry.get("creates"))
            self._changed.notify_all()
            return entry

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``predicate()`` (called under the lock) holds after a request arrives."""
        with self.lock:
            return self._changed.wait_for(predicate, timeout)

    def find_records(self, platform: str = "") -> list[dict[str, Any]]:
        with self.lock:
            return [dict(r) for r in self.records if not platform or r["platform"] == platform]

    def hook(self, name: str) -> HookConfig:
        with self.lock:
            return self.hooks.get(name) or HookConfig()

    def set_hook(self, name: str, config: HookConfig) -> None:
        with self.lock:
            self.hooks[name] = config

    def reset(self) -> None:
        """Forget faults, requests and created objects (and the engagement clock's
        advance); keep the hook set-up."""
        with self.lock:
            self.faults.clear()
            self.records.clear()
            self.pins.clear()
            self.fb_posts.clear()
            self.make_posts.clear()
            self.callbacks.clear()
            self.counts.clear()
            self.fetched_media.clear()
            self.engagement_offset = 0.0
            for extension in self.extensions.values():
                extension.reset()
            from emulator.platforms import native

            native.reset(self)
        self.release_stalls()

    def snapshot(self) -> dict[str, Any]:
        from emulator.platforms import native

        with self.lock:
            return {
                "faults": [asdict(f) for f in self.faults],
                "pins": list(self.pins.values()),
                "facebook_posts": list(self.fb_posts.values()),
                "make_posts": list(self.make_posts.values()),
                "callbacks": [dict(c) for c in self.callbacks],
                **native.snapshot(self),
                "counts": {name: dict(c) for name, c in self.counts.items()},
                "fetched_media": {key: dict(value) for key, value in self.fetched_media.items()},
                **{name: ext.snapshot() for name, ext in self.extensions.items()},
                "hooks": {
                    name: {
                        "callback_url": h.callback_url or self.callback_url,
                        "auth": h.auth,
                        "has_secret": bool(h.secret),
                    }
                    for name, h in self.hooks.items()
                },
            }

    def page_url(self, kind: str, object_id: str) -> str:
        suffix = "/" if kind == "pin" else ""
        return f"{self.base_url}/{kind}/{object_id}{suffix}"
