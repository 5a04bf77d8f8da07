"""A Make.com-style custom webhook at ``/make/{hook}``.

It answers ``200 Accepted`` (text/plain) like a scenario without a response module,
records the delivery, and, like a scenario that published the post, calls our
callback endpoint after a short delay, signed with the hook's Standard Webhooks
secret (or with ``Authorization: Bearer <secret>`` when the hook says so).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

import requests
from standardwebhooks import Webhook as StandardWebhook
from standardwebhooks import WebhookVerificationError

from emulator.state import CALLBACK_FAULTS, EmulatorState, HookConfig
from emulator.wire import Request, Response, json_response, text_response

logger = logging.getLogger("emulator")
CALLBACK_TIMEOUT = 10


class MalformedSignature(ValueError):
    """Signature headers that cannot even be checked (answered 400, never a 500)."""


def _check_signature_headers(headers: dict[str, str]) -> None:
    if not headers["webhook-id"] or not headers["webhook-timestamp"]:
        raise MalformedSignature("A signed delivery needs webhook-id and webhook-timestamp.")
    if "." in headers["webhook-id"]:
        raise MalformedSignature("webhook-id must not contain a period (Standard Webhooks).")
    if not re.fullmatch(r"[0-9]{1,12}", headers["webhook-timestamp"]):
        raise MalformedSignature("webhook-timestamp must be whole Unix seconds (digits 0-9).")
    for entry in headers["webhook-signature"].split(" "):
        version, comma, value = entry.partition(",")
        if not comma or not version or not value or "," in value:
            raise MalformedSignature(
                "webhook-signature must be space-separated 'v1,<base64>' entries."
            )
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedSignature(
                f"webhook-signature: the {version} value is not base64."
            ) from None


def signature_valid(hook: HookConfig, request: Request) -> bool | None:
    """Whether the delivery's Standard Webhooks signature matches the hook's secret.

    Raises ``MalformedSignature`` for headers that cannot be checked at all.
    """
    if not hook.secret or not request.header("webhook-signature"):
        return None
    headers = {
        name: request.header(name)
        for name in ("webhook-id", "webhook-timestamp", "webhook-signature")
    }
    _check_signature_headers(headers)
    try:
        StandardWebhook(hook.secret).verify(request.body, headers, json_parse=False)
    except WebhookVerificationError:
        return False
    except (ValueError, UnicodeDecodeError) as error:  # what the library does not classify
        raise MalformedSignature(
            f"The signature cannot be checked ({type(error).__name__})."
        ) from None
    return True


def _content(data: dict[str, Any]) -> dict[str, str]:
    """Title, text and image of a nested or flat payload."""
    content = data.get("content") if isinstance(data.get("content"), dict) else None
    if content is not None:
        return {
            "title": str(content.get("title") or ""),
            "description": str(content.get("description") or ""),
            "image_url": str(content.get("image_url") or ""),
            "link": str(content.get("link") or ""),
        }
    return {
        "title": str(data.get("question") or ""),
        "description": str(data.get("explanation") or ""),
        "image_url": str(data.get("image_url") or ""),
        "link": str(data.get("external_link") or ""),
    }


def receive(state: EmulatorState, request: Request) -> Response:
    hook_name = request.params["hook"]
    hook = state.hook(hook_name)
    try:
        valid = signature_valid(hook, request)
    except MalformedSignature as problem:
        return json_response({"error": "malformed_signature", "message": str(problem)}, 400)
    message_id = request.header("webhook-id")
    if request.record is not None:
        request.record["signature_valid"] = valid
    data = request.json()
    if not isinstance(data, dict) or "task_id" not in data or "platform" not in data:
        logger.info("Make %s: a delivery without task_id/platform; no callback", hook_name)
        return text_response("Accepted")
    with state.lock:
        duplicate = bool(message_id) and any(
            post["message_id"] == message_id for post in state.make_posts.values()
        )
        if duplicate:
            return text_response("Accepted")  # the scenario de-duplicates on webhook-id
        platform = str(data["platform"])
        post_id = f"{platform}_{300000 + state.next_id()}"
        post = {
            "id": post_id,
            "hook": hook_name,
            "platform": platform,
            "task_id": data["task_id"],
            "message_id": message_id,
            "created_time": datetime.now(UTC).isoformat(),
            **_content(data),
        }
        state.make_posts[post_id] = post
    faults = state.take_faults("make", request.method, request.path, CALLBACK_FAULTS, True)
    kinds = {fault.fault for fault in faults}
    if "no_callback" in kinds:
        logger.info("Make %s: no callback for %s (fault)", hook_name, post_id)
        return text_response("Accepted")
    if "callback_failed" in kinds:
        result = {"status": "failed", "error_message": "The scenario could not publish (fault)."}
    else:
        result = {
            "status": "published",
            "post_url": state.page_url("post", post_id),
            "post_id": post_id,
        }
    body = {"task_id": data["task_id"], "platform": platform, **result}
    if not (hook.callback_url or state.callback_url):
        send_callback(state, hook_name, body)  # records "no callback URL" at once
        return text_response("Accepted")
    timer = threading.Timer(state.callback_delay, send_callback, (state, hook_name, body))
    timer.daemon = True
    timer.start()
    return text_response("Accepted")


def callback_headers(hook: HookConfig, body: str) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "User-Agent": "platform-emulator/1.0"}
    message_id = f"msg_{uuid.uuid4().hex}"
    if hook.secret and hook.auth == "bearer":
        headers["Authorization"] = f"Bearer {hook.secret}"
        headers["webhook-id"] = message_id
    elif hook.secret:
        now = datetime.now(UTC)
        headers.update(
            {
                "webhook-id": message_id,
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": StandardWebhook(hook.secret).sign(message_id, now, body),
            }
        )
    return headers


def send_callback(state: EmulatorState, hook_name: str, payload: dict[str, Any]) -> None:
    """POST the scenario's result to the callback URL; record what came back."""
    hook = state.hook(hook_name)
    url = hook.callback_url or state.callback_url
    entry: dict[str, Any] = {"hook": hook_name, "url": url, "payload": payload}
    if not url:
        entry["error"] = "no callback URL configured (--callback-url or /_control/hooks)"
    else:
        body = json.dumps(payload, separators=(",", ":"))
        try:
            response = requests.post(
                url,
                data=body.encode(),
                headers=callback_headers(hook, body),
                timeout=CALLBACK_TIMEOUT,
            )
        except requests.RequestException as exc:
            entry["error"] = f"{type(exc).__name__}"
        else:
            entry["status_code"] = response.status_code
            entry["response"] = response.text[:500]
    with state.lock:
        state.callbacks.append(entry)
    logger.info(
        "Make %s: callback for task %s on %s -> %s",
        hook_name,
        payload.get("task_id"),
        payload.get("platform"),
        entry.get("status_code", entry.get("error")),
    )


ROUTES = [("POST", r"/(?P<hook>[\w-]+)", receive, False)]
