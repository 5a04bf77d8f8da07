"""Turning a fault set through the control API into the answer each platform would give."""

from __future__ import annotations

import time
from dataclasses import dataclass
from http import HTTPStatus

from emulator import facebook, pinterest
from emulator.platforms import native, telegram, vk
from emulator.state import RESPONSE_FAULTS, EmulatorState, Fault
from emulator.wire import Request, Response, text_response

# Platforms that answer every fault in their own envelope (status, rate_limit,
# expired_token and their own kinds, state.PLATFORM_FAULTS).
PLATFORM_ANSWERS = {"telegram": telegram.fault_answer, "vk": vk.fault_answer}
MALFORMED_BODY = "<html><body><h1>502 Bad Gateway</h1>upstream hiccup</body></html>"


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _status(platform: str, fault: Fault, request: Request | None = None) -> Response:
    if platform in PLATFORM_ANSWERS:
        return PLATFORM_ANSWERS[platform](fault)
    if platform in native.BY_NAME:
        return native.BY_NAME[platform].fault_response(fault, request)
    if platform == "pinterest":
        code = fault.code if fault.code is not None else (1 if fault.status < 500 else 0)
        return pinterest.error(fault.status, code, f"{_phrase(fault.status)} (emulated fault).")
    if platform == "facebook":
        return facebook.server_error(fault.status, fault.code)
    if fault.status == 410:
        return text_response("", 410)
    if fault.status == 400:
        return text_response("There is no scenario listening for this webhook.", 400)
    return text_response(_phrase(fault.status), fault.status)


def _rate_limit(platform: str, fault: Fault, request: Request) -> Response:
    if platform in native.BY_NAME:
        return native.BY_NAME[platform].fault_response(fault, request)
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
    if platform == "facebook":
        return facebook.throttled(fault.code or 4, fault.status, fault.retry_after)
    if platform == "pinterest":
        message = "You have exceeded your rate limit. Try again later."
        return pinterest.error(fault.status, fault.code or 8, message, headers)
    response = text_response("Too many requests", fault.status)
    response.headers.update(headers)
    return response


def _expired_token(platform: str, fault: Fault, request: Request) -> Response:
    if platform in native.BY_NAME:
        return native.BY_NAME[platform].fault_response(fault, request)
    if platform == "facebook":
        return facebook.expired_token()
    if platform == "pinterest":
        return pinterest.auth_failed()
    return text_response("Unauthorized", 401)


@dataclass
class FaultPlan:
    """What the faults make of one request: an answer instead of the handler's, and how
    long to sit on the handler's answer once the request was processed."""

    answer: Response | None = None
    stall_after: float = 0.0


def _never_processed(platform: str, request: Request) -> Response:
    """The answer to a request the platform lost: a gateway timeout, nothing created."""
    return _status(platform, Fault(platform=platform, fault="status", status=504), request)


def apply_response_faults(
    state: EmulatorState, platform: str, request: Request, creates: bool = False
) -> FaultPlan:
    """Sleep for latency faults and stalls; return what the faults make of the request.

    ``timeout`` stalls longer than the client waits. By default (``process: "after"``) it
    then processes the request, as a slow platform does: the post may exist although the
    client gave up. ``"before"`` processes first and then sits on the answer (the post
    exists before the client gives up); ``"never"`` answers 504 and creates nothing.
    A stall ends early on ``EmulatorState.release_stalls``.
    """
    plan = FaultPlan()
    faults = state.take_faults(platform, request.method, request.path, RESPONSE_FAULTS, creates)
    for fault in faults:
        if fault.fault == "latency":
            time.sleep(fault.latency_ms / 1000)
        elif fault.fault == "timeout":
            if fault.process == "before":
                plan.stall_after = fault.seconds
            else:
                state.stall(fault.seconds, request.arrived)
                if fault.process == "never":
                    plan.answer = _never_processed(platform, request)
        elif fault.fault == "malformed":
            plan.answer = text_response(MALFORMED_BODY, 200, "text/html")
        elif platform in PLATFORM_ANSWERS:
            plan.answer = PLATFORM_ANSWERS[platform](fault)
        elif fault.fault == "status":
            plan.answer = _status(platform, fault, request)
        elif fault.fault == "rate_limit":
            plan.answer = _rate_limit(platform, fault, request)
        elif fault.fault == "expired_token":
            plan.answer = _expired_token(platform, fault, request)
    return plan
