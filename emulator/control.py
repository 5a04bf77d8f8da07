"""The control API tests and developers use: faults, what was received, reset.

- ``POST /_control/faults``   {"platform": "pinterest", "fault": "status", "status": 500,
  "count": 2}
- ``GET  /_control/faults``   the faults still armed; ``DELETE`` disarms them all
- ``GET  /_control/requests`` what the emulator received (``?platform=make``)
- ``GET  /_control/counts``   requests and create requests received per platform
- ``POST /_control/release``  end every stall (``timeout`` faults) now
- ``GET  /_control/state``    created pins and posts, callbacks sent, hooks
- ``POST /_control/hooks``    {"hook": "demo", "secret": "whsec_…", "callback_url": "…",
  "auth": "signature" | "bearer"}
- ``POST /_control/config``   {"callback_url": "…", "callback_delay": 1.0, "latency_ms": 0,
  "engagement_rate": 1.0, "advance_engagement_seconds": 0}
- ``POST /_control/reset``    forget faults, requests and created objects (hooks stay)
"""

from __future__ import annotations

from dataclasses import asdict

from emulator.state import EmulatorState, Fault, FaultError, HookConfig
from emulator.wire import Request, Response, json_response


def _bad(message: str) -> Response:
    return json_response({"error": message}, 400)


def health(state: EmulatorState, request: Request) -> Response:
    return json_response({"status": "ok"})


def add_fault(state: EmulatorState, request: Request) -> Response:
    try:
        fault = Fault.from_json(request.json())
    except FaultError as error:
        return _bad(str(error))
    return json_response({"fault": asdict(state.add_fault(fault))}, 201)


def list_faults(state: EmulatorState, request: Request) -> Response:
    return json_response({"faults": state.snapshot()["faults"]})


def clear_faults(state: EmulatorState, request: Request) -> Response:
    with state.lock:
        state.faults.clear()
    return json_response({"faults": []})


def list_requests(state: EmulatorState, request: Request) -> Response:
    return json_response({"requests": state.find_records(request.query.get("platform", ""))})


def show_counts(state: EmulatorState, request: Request) -> Response:
    return json_response({"counts": state.snapshot()["counts"]})


def release(state: EmulatorState, request: Request) -> Response:
    state.release_stalls()
    return json_response({"status": "released"})


def show_state(state: EmulatorState, request: Request) -> Response:
    return json_response(state.snapshot())


def set_hook(state: EmulatorState, request: Request) -> Response:
    data = request.json()
    if not isinstance(data, dict) or not str(data.get("hook") or "").strip():
        return _bad('Send {"hook": "<name>", "secret": "whsec_…", "callback_url": "…"}.')
    auth = data.get("auth") or "signature"
    if auth not in ("signature", "bearer"):
        return _bad("auth must be signature or bearer.")
    config = HookConfig(
        secret=str(data.get("secret") or ""),
        callback_url=str(data.get("callback_url") or ""),
        auth=auth,
    )
    state.set_hook(str(data["hook"]).strip(), config)
    return json_response({"hook": data["hook"], "auth": auth, "has_secret": bool(config.secret)})


def set_config(state: EmulatorState, request: Request) -> Response:
    data = request.json()
    if not isinstance(data, dict):
        return _bad("Send a JSON object.")
    with state.lock:
        if "callback_url" in data:
            state.callback_url = str(data["callback_url"] or "")
        if "callback_delay" in data:
            try:
                state.callback_delay = max(float(data["callback_delay"]), 0.0)
            except (TypeError, ValueError):
                return _bad("callback_delay must be a number of seconds.")
        if "latency_ms" in data:
            latency = data["latency_ms"]
            if not isinstance(latency, int) or isinstance(latency, bool) or latency < 0:
                return _bad("latency_ms must be a whole number of milliseconds, 0 or more.")
            state.latency_ms = latency
        for name in (
            "engagement_rate",
            "advance_engagement_seconds",
            "metrics_interval",
            "metrics_callbacks",
        ):
            value = data.get(name)
            if name in data and (
                not isinstance(value, int | float) or isinstance(value, bool) or value < 0
            ):
                return _bad(f"{name} must be a number, 0 or more.")
        if "metrics_interval" in data:
            state.metrics_interval = float(data["metrics_interval"])
        if "metrics_callbacks" in data:
            state.metrics_callbacks = int(data["metrics_callbacks"])
        if "engagement_rate" in data:
            state.engagement_rate = float(data["engagement_rate"])
        if "advance_engagement_seconds" in data:
            state.engagement_offset += float(data["advance_engagement_seconds"])
        return json_response(
            {
                "callback_url": state.callback_url,
                "callback_delay": state.callback_delay,
                "latency_ms": state.latency_ms,
                "engagement_rate": state.engagement_rate,
                "engagement_offset": state.engagement_offset,
                "metrics_interval": state.metrics_interval,
                "metrics_callbacks": state.metrics_callbacks,
            }
        )


def reset(state: EmulatorState, request: Request) -> Response:
    state.reset()
    return json_response({"status": "reset"})


ROUTES = [
    ("GET", r"/health", health, False),
    ("POST", r"/faults", add_fault, False),
    ("GET", r"/faults", list_faults, False),
    ("DELETE", r"/faults", clear_faults, False),
    ("GET", r"/requests", list_requests, False),
    ("GET", r"/counts", show_counts, False),
    ("POST", r"/release", release, False),
    ("GET", r"/state", show_state, False),
    ("POST", r"/hooks", set_hook, False),
    ("POST", r"/config", set_config, False),
    ("POST", r"/reset", reset, False),
]
