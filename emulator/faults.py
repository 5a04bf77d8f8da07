"""Turning a fault set through the control API into the answer each platform would give."""

from __future__ import annotations

import time
from dataclasses import dataclass

from emulator.platforms import native, stand_ins, telegram, vk
from emulator.state import RESPONSE_FAULTS, EmulatorState, Fault
from emulator.wire import Request, Response, phrase, text_response

# Platforms that answer every fault in their own envelope (status, rate_limit,
# expired_token and their own kinds, state.PLATFORM_FAULTS).
PLATFORM_ANSWERS = {"telegram": telegram.fault_answer, "vk": vk.fault_answer}
MALFORMED_BODY = "<html><body><h1>502 Bad Gateway</h1>upstream hiccup</body></html>"


# The product's API platforms' stand-ins (by product key), the native stand-ins
# (native.BY_NAME), Telegram and VK answer faults in their own shapes; the rest is Make.com.
STAND_INS = stand_ins()


def _status(platform: str, fault: Fault, request: Request | None = None) -> Response:
    if platform in PLATFORM_ANSWERS:
        return PLATFORM_ANSWERS[platform](fault)
    if platform in native.BY_NAME:
        return native.BY_NAME[platform].fault_response(fault, request)
    if platform in STAND_INS:
        return STAND_INS[platform].status_fault(fault)
    if fault.status == 410:
        return text_response("", 410)
    if fault.status == 400:
        return text_response("There is no scenario listening for this webhook.", 400)
    return text_response(phrase(fault.status), fault.status)


def _rate_limit(platform: str, fault: Fault, request: Request) -> Response:
    if platform in native.BY_NAME:
        return native.BY_NAME[platform].fault_response(fault, request)
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
    if platform in STAND_INS:
        return STAND_INS[platform].rate_limit_fault(fault, headers)
    response = text_response("Too many requests", fault.status)
    response.headers.update(headers)
    return response


def _expired_token(platform: str, fault: Fault, request: Request) -> Response:
    if platform in native.BY_NAME:
        return native.BY_NAME[platform].fault_response(fault, request)
    if platform in STAND_INS:
        return STAND_INS[platform].expired_token()
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
