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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from standardwebhooks import Webhook as StandardWebhook
from standardwebhooks import WebhookVerificationError

from emulator import engagement, media
from emulator.state import CALLBACK_FAULTS, EmulatorState, HookConfig
from emulator.wire import Request, Response, json_response, text_response

logger = logging.getLogger("emulator")
CALLBACK_TIMEOUT = 10
MB = 1024 * 1024


@dataclass(frozen=True)
class VideoRule:
    """What a platform's upload accepts, and the error codes it answers with."""

    label: str
    containers: frozenset[str]  # PyAV/FFmpeg demuxer names
    codecs: frozenset[str]
    max_bytes: int
    max_duration: float
    min_duration: float = 0.0
    min_fps: float = 0.0
    max_fps: float = 1000.0
    min_side: int = 1
    max_side: int = 100_000
    vertical: bool = False  # height >= width (a YouTube Short)
    fetch_error: str = "the video could not be downloaded"
    format_error: str = "unsupported video format"
    size_error: str = "unsupported resolution"
    duration_error: str = "unsupported duration"
    rate_error: str = "unsupported frame rate"


MP4 = frozenset({"mov", "mp4", "m4a", "3gp", "3g2", "mj2"})  # FFmpeg's "mov,mp4,…" demuxer
VIDEO_RULES = {
    # TikTok Content Posting API: MP4/WebM/MOV; H.264, H.265, VP8, VP9; 23-60 fps;
    # 360-4096 px; at most 4 GB and 10 minutes.
    "tiktok": VideoRule(
        "TikTok",
        containers=MP4 | {"webm", "matroska"},
        codecs=frozenset({"h264", "hevc", "vp8", "vp9"}),
        max_bytes=4 * 1024 * MB,
        max_duration=600,
        min_fps=23,
        max_fps=60,
        min_side=360,
        max_side=4096,
        fetch_error="video_pull_failed",
        format_error="file_format_check_failed",
        size_error="picture_size_check_failed",
        duration_error="duration_check_failed",
        rate_error="frame_rate_check_failed",
    ),
    # Instagram Reels: MP4/MOV, H.264 or HEVC, 23-60 fps, 3 s to 15 min, at most 300 MB.
    "instagram": VideoRule(
        "Instagram",
        containers=MP4,
        codecs=frozenset({"h264", "hevc"}),
        max_bytes=300 * MB,
        min_duration=3,
        max_duration=900,
        min_fps=23,
        max_fps=60,
        fetch_error="code 9004, subcode 2207052: media could not be fetched from the URI",
        format_error="code 352, subcode 2207026: the video format is not supported",
        size_error="code 352, subcode 2207026: the video format is not supported",
        duration_error="code 352, subcode 2207026: the video format is not supported",
        rate_error="code 352, subcode 2207026: the video format is not supported",
    ),
    # YouTube Shorts: square or vertical, at most 3 minutes.
    "youtube_shorts": VideoRule(
        "YouTube Shorts",
        containers=MP4 | {"webm", "matroska"},
        codecs=frozenset({"h264", "hevc", "vp9", "av1", "mpeg4"}),
        max_bytes=256 * 1024 * MB,
        max_duration=180,
        vertical=True,
        fetch_error="mediaBodyRequired: the video could not be downloaded",
        format_error="invalidVideoFormat: the video format is not supported",
        size_error="not a Short: the video must be square or vertical",
        duration_error="not a Short: the video must be at most 3 minutes long",
    ),
}


def video_url_of(data: dict[str, Any]) -> str:
    """The video of a nested (``content.media``) or flat (``media``) payload."""
    nested = data.get("content")
    content: dict[str, Any] = nested if isinstance(nested, dict) else {}
    holder = content.get("media") if isinstance(content.get("media"), dict) else data.get("media")
    video = holder.get("video") if isinstance(holder, dict) else None
    return str(video.get("url") or "") if isinstance(video, dict) else ""


def video_problem(rule: VideoRule, probe: dict[str, Any]) -> str:
    """Why ``rule``'s platform refuses a probed video; ``""`` when it takes it."""
    containers = set(probe["container"].split(","))
    if not containers & rule.containers or probe["codec"] not in rule.codecs:
        return f"{rule.format_error} ({probe['codec']} in {probe['container']})"
    width, height = probe["width"], probe["height"]
    if not (rule.min_side <= min(width, height) and max(width, height) <= rule.max_side):
        return f"{rule.size_error} ({width}×{height})"
    if rule.vertical and height < width:
        return f"{rule.size_error} ({width}×{height})"
    if not rule.min_duration <= probe["duration"] <= rule.max_duration:
        return f"{rule.duration_error} ({probe['duration']:g} s)"
    if probe["fps"] and not rule.min_fps <= probe["fps"] <= rule.max_fps:
        return f"{rule.rate_error} ({probe['fps']:g} fps)"
    return ""


def check_video(state: EmulatorState, post_id: str, platform: str, data: dict[str, Any]) -> str:
    """Download and probe the payload's video as ``platform`` would; the refusal or ``""``."""
    rule = VIDEO_RULES.get(platform)
    if rule is None or not state.check_media:
        return ""
    url = video_url_of(data)
    if not url:
        return f"{rule.label}: {rule.fetch_error} (the payload has no media.video)"
    fetched = media.fetch(url, min(rule.max_bytes, media.MAX_FETCH_BYTES))
    if fetched.too_large:
        return f"{rule.label}: {rule.format_error} (the file is too large)"
    if fetched.error:
        return f"{rule.label}: {rule.fetch_error} ({fetched.error})"
    probe = media.probe_video(fetched.body)
    if probe is None:
        return f"{rule.label}: {rule.format_error} (not a readable video)"
    with state.lock:
        state.fetched_media[post_id] = probe
    problem = video_problem(rule, probe)
    return f"{rule.label}: {problem}" if problem else ""


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
            "video_url": video_url_of(data),
        }
        state.make_posts[post_id] = post
    faults = state.take_faults("make", request.method, request.path, CALLBACK_FAULTS, True)
    kinds = {fault.fault for fault in faults}
    if "no_callback" in kinds:
        logger.info("Make %s: no callback for %s (fault)", hook_name, post_id)
        return text_response("Accepted")
    args = (state, hook_name, data, post_id, "callback_failed" in kinds)
    if not (state.hook(hook_name).callback_url or state.callback_url):
        finish(*args)  # records "no callback URL" at once: no timer thread per delivery
        return text_response("Accepted")
    timer = threading.Timer(state.callback_delay, finish, args)
    timer.daemon = True
    timer.start()
    return text_response("Accepted")


def finish(
    state: EmulatorState, hook_name: str, data: dict[str, Any], post_id: str, fail: bool
) -> None:
    """What the scenario does after accepting: fetch the media, publish, call back."""
    platform = str(data["platform"])
    problem = "The scenario could not publish (fault)." if fail else ""
    if not problem:
        try:
            problem = check_video(state, post_id, platform, data)
        except Exception:  # the emulator's own bug must still call back
            logger.exception("Make %s: the media check failed", hook_name)
            problem = "The scenario's media check failed; see the emulator log."
    if problem:
        logger.info("Make %s: %s refused: %s", hook_name, post_id, problem)
        result: dict[str, Any] = {"status": "failed", "error_message": problem}
    else:
        result = {
            "status": "published",
            "post_url": state.page_url("post", post_id),
            "post_id": post_id,
        }
    body = {"task_id": data["task_id"], "platform": platform, **result}
    send_callback(state, hook_name, body)
    if not problem and state.metrics_interval > 0:
        _report_metrics_later(state, hook_name, body, post_id, state.metrics_callbacks)


def metrics_of(state: EmulatorState, post_id: str) -> dict[str, int]:
    """A Make post's numbers now, grown with its age like the pins' (emulator/engagement.py)."""
    with state.lock:
        created = str(state.make_posts.get(post_id, {}).get("created_time", ""))
    grown = engagement.counts(
        state, engagement.age_seconds(state, created[:19], "%Y-%m-%dT%H:%M:%S")
    )
    return {
        "views": grown["views"],
        "engagements": grown["reactions"],
        "comments": grown["comments"],
        "shares": grown["shares"],
        "saves": grown["saves"],
    }


def _report_metrics_later(
    state: EmulatorState, hook_name: str, body: dict[str, Any], post_id: str, left: int
) -> None:
    """The scenario's later runs: a "published" callback with the post's numbers."""
    if left <= 0:
        return

    def report() -> None:
        send_callback(state, hook_name, {**body, "metrics": metrics_of(state, post_id)})
        _report_metrics_later(state, hook_name, body, post_id, left - 1)

    timer = threading.Timer(state.metrics_interval, report)
    timer.daemon = True
    timer.start()


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
