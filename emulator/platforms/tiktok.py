"""TikTok Content Posting API v2 under ``/tiktok`` (for ``open.tiktokapis.com``).

Creator info, direct-post and inbox video init (``FILE_UPLOAD`` with chunked ``PUT`` on the
``upload_url``, or ``PULL_FROM_URL`` from a verified URL prefix), the publish status, the
OAuth token endpoint (rotating refresh tokens) and ``video/query`` metrics.
Facts: docs/platform-api-facts-native.md, section 3.

Emulator choices where TikTok documents nothing: a publish stays ``PROCESSING_UPLOAD`` /
``PROCESSING_DOWNLOAD`` for ``status_polls`` status reads, then answers its outcome; the
daily post cap (``daily_post_cap``, unpublished by TikTok) defaults to 15 (once reached,
creator info answers ``spam_risk_too_many_posts`` with HTTP 200, as TikTok documents, and
an init with 403); the chunk bounds
are 5 MiB–64 MiB (``min_chunk_size``/``max_chunk_size``; lower ``min_chunk_size`` in tests
so small videos can be chunked).
"""

from __future__ import annotations

import secrets
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from emulator.platforms.common import (
    FetchError,
    Store,
    VideoInfo,
    apply_settings,
    fetch,
    probe_video,
    token,
)
from emulator.state import EmulatorState, Fault
from emulator.wire import Request, Response, json_response

NAME = "tiktok"
PREFIX = "/tiktok"
PATHS = r"^/tiktok/(?:v2|upload)/"
UPLOAD_PATHS = r"^/tiktok/upload/"
USERNAME = "quiz_demo"
OPEN_ID = "-000quizdemoOpenId"
PRIVACY_LEVELS = ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"]
MAX_VIDEO_BYTES = 4 * 1024**3
FINAL_CHUNK_MAX = 128 * 1024 * 1024
CONTENT_TYPES = ("video/mp4", "video/quicktime", "video/webm")
VIDEO_FIELDS = (
    "id",
    "create_time",
    "cover_image_url",
    "share_url",
    "video_description",
    "duration",
    "height",
    "width",
    "title",
    "embed_link",
    "like_count",
    "comment_count",
    "share_count",
    "view_count",
)
STATUS_CODES = {
    "invalid_params": 400,
    "privacy_level_option_mismatch": 400,
    "access_token_invalid": 401,
    "scope_not_authorized": 401,
    "spam_risk_too_many_posts": 403,
    "unaudited_client_can_only_post_to_private_accounts": 403,
    "url_ownership_unverified": 403,
    "rate_limit_exceeded": 429,
    "internal_error": 500,
}


@dataclass
class Settings:
    audited: bool = True  # False: only SELF_ONLY posts (unaudited client)
    privacy_level_options: list[str] = field(default_factory=lambda: list(PRIVACY_LEVELS))
    max_video_post_duration_sec: int = 600
    comment_disabled: bool = False
    duet_disabled: bool = False
    stitch_disabled: bool = False
    verified_url_prefixes: list[str] = field(
        default_factory=lambda: ["http://127.0.0.1", "http://localhost"]
    )
    min_chunk_size: int = 5 * 1024 * 1024
    max_chunk_size: int = 64 * 1024 * 1024
    daily_post_cap: int = 15  # posts per 24 h (spam_risk_too_many_posts); 0 = none
    creator_info_per_minute: int = 20
    init_per_minute: int = 6
    status_per_minute: int = 30
    query_per_minute: int = 600
    status_polls: int = 1  # status reads answering PROCESSING_* after the media arrived
    access_token_seconds: int = 2 * 3600
    refresh_token_seconds: int = 180 * 24 * 3600
    upload_url_seconds: int = 3600


class TikTokStore(Store):
    def __init__(self, lock: Any) -> None:
        super().__init__(lock, Settings())
        self.publishes: dict[str, dict[str, Any]] = {}
        self.videos: dict[str, dict[str, Any]] = {}
        self.access: dict[str, float] = {}  # access token → expiry
        self.refresh: dict[str, float] = {}  # live refresh token → expiry
        self.retired: set[str] = set()  # refresh tokens replaced by a newer one
        self.calls: dict[str, deque[float]] = {}  # endpoint → recent call times

    def reset(self) -> None:
        with self.lock:
            for table in (self.publishes, self.videos, self.access, self.refresh, self.calls):
                table.clear()
            self.retired.clear()

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "publishes": [
                    {k: v for k, v in p.items() if k != "data"} | {"received": len(p["data"])}
                    for p in self.publishes.values()
                ],
                "videos": [dict(v) for v in self.videos.values()],
            }


def make_store(lock: Any) -> TikTokStore:
    return TikTokStore(lock)


def _store(state: EmulatorState) -> TikTokStore:
    from emulator.platforms import native

    store: TikTokStore = native.store(state, NAME)
    return store


def _log_id() -> str:
    return "2026120100" + secrets.token_hex(12).upper()


def ok(data: dict[str, Any]) -> Response:
    return json_response(
        {"data": data, "error": {"code": "ok", "message": "", "log_id": _log_id()}}
    )


def api_error(code: str, message: str, status: int | None = None, headers: Any = None) -> Response:
    body = {"data": {}, "error": {"code": code, "message": message, "log_id": _log_id()}}
    return json_response(body, status or STATUS_CODES.get(code, 400), headers)


def oauth_error(error: str, description: str, status: int = 400) -> Response:
    return json_response(
        {"error": error, "error_description": description, "log_id": _log_id()}, status
    )


def fault_response(fault: Fault, request: Request) -> Response:
    token_endpoint = request.path.endswith("/oauth/token/")
    if fault.fault == "expired_token":
        if token_endpoint:
            return oauth_error("invalid_grant", "Refresh token is invalid or expired.")
        return api_error(
            "access_token_invalid",
            "The access token is invalid or not found in the request.",
        )
    if fault.fault == "rate_limit":
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        return api_error(
            "rate_limit_exceeded",
            "API rate limit exceeded, please retry after some time.",
            fault.status,
            headers,
        )
    if fault.status >= 500:
        return api_error(
            "internal_error", "Something went wrong. Please try again later.", fault.status
        )
    return api_error("invalid_params", "The request is invalid (emulated fault).", fault.status)


def not_found(method: str, path: str) -> Response:
    return api_error("invalid_params", f"Not found: {method} {path}", 404)


def authenticate(request: Request) -> Response | None:
    if request.bearer_token():
        return None
    return api_error(
        "access_token_invalid", "The access token is invalid or not found in the request."
    )


def _checked(store: TikTokStore, request: Request, endpoint: str, limit: int) -> Response | None:
    """Refuse an expired emulator-issued token, or a call beyond the per-minute limit."""
    with store.lock:
        expiry = store.access.get(request.bearer_token())
        if expiry is not None and store.now() >= expiry:
            return api_error(
                "access_token_invalid", "The access token is invalid or not found in the request."
            )
        calls = store.calls.setdefault(endpoint, deque())
        while calls and calls[0] <= store.now() - 60:
            calls.popleft()
        if limit and len(calls) >= limit:
            return api_error(
                "rate_limit_exceeded", "API rate limit exceeded, please retry after some time."
            )
        calls.append(store.now())
    return None


def creator_info(state: EmulatorState, request: Request) -> Response:
    store = _store(state)
    refused = _checked(store, request, "creator_info", store.settings.creator_info_per_minute)
    if refused:
        return refused
    s = store.settings
    if _daily_cap_reached(store):
        # Creator info answers its spam codes with HTTP 200 (Query Creator Info reference).
        return api_error(
            "spam_risk_too_many_posts", "The user has reached the daily post cap.", 200
        )
    return ok(
        {
            "creator_avatar_url": f"{state.base_url}/images/{USERNAME}.svg",
            "creator_username": USERNAME,
            "creator_nickname": "Quiz demo",
            "privacy_level_options": list(s.privacy_level_options),
            "comment_disabled": s.comment_disabled,
            "duet_disabled": s.duet_disabled,
            "stitch_disabled": s.stitch_disabled,
            "max_video_post_duration_sec": s.max_video_post_duration_sec,
        }
    )


def _daily_cap_reached(store: TikTokStore) -> bool:
    with store.lock:
        cap = store.settings.daily_post_cap
        day_ago = store.now() - 24 * 3600
        return bool(cap) and sum(p["created"] > day_ago for p in store.publishes.values()) >= cap


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _chunk_problem(store: TikTokStore, source: dict[str, Any]) -> str:
    size, chunk, count = (
        _int(source.get(k)) for k in ("video_size", "chunk_size", "total_chunk_count")
    )
    if size is None or chunk is None or count is None or min(size, chunk, count) <= 0:
        return "video_size, chunk_size and total_chunk_count must be positive integers."
    if size > MAX_VIDEO_BYTES:
        return "video_size is larger than 4 GB."
    s = store.settings
    if size < s.min_chunk_size:
        if chunk != size or count != 1:
            return (
                f"A video under {s.min_chunk_size} bytes is uploaded as one chunk: "
                "chunk_size must equal video_size and total_chunk_count must be 1."
            )
        return ""
    if not s.min_chunk_size <= chunk <= s.max_chunk_size:
        return f"chunk_size must be between {s.min_chunk_size} and {s.max_chunk_size} bytes."
    if count != size // chunk:
        return f"total_chunk_count must be floor(video_size / chunk_size) = {size // chunk}."
    if size - (count - 1) * chunk > FINAL_CHUNK_MAX:
        return "The final chunk would be larger than 128 MB."
    if count > 1000:
        return "At most 1000 chunks."
    return ""


def _init(state: EmulatorState, request: Request, inbox: bool) -> Response:
    store = _store(state)
    refused = _checked(store, request, "init", store.settings.init_per_minute)
    if refused:
        return refused
    body = request.json()
    if not isinstance(body, dict):
        return api_error("invalid_params", "The request body must be a JSON object.")
    s = store.settings
    post_info = body.get("post_info") or {}
    if not isinstance(post_info, dict):
        return api_error("invalid_params", "post_info must be an object.")
    privacy = post_info.get("privacy_level")
    if not inbox:
        title = post_info.get("title", "")
        if not isinstance(title, str) or len(title.encode("utf-16-le")) // 2 > 2200:
            return api_error("invalid_params", "post_info.title must be at most 2200 characters.")
        if privacy not in s.privacy_level_options:
            return api_error(
                "privacy_level_option_mismatch",
                "post_info.privacy_level must be one of the creator's privacy_level_options.",
            )
        if not s.audited and privacy != "SELF_ONLY":
            return api_error(
                "unaudited_client_can_only_post_to_private_accounts",
                "Unaudited clients can only post to a private account (SELF_ONLY).",
            )
    source = body.get("source_info")
    if not isinstance(source, dict) or source.get("source") not in ("FILE_UPLOAD", "PULL_FROM_URL"):
        return api_error(
            "invalid_params", "source_info.source must be FILE_UPLOAD or PULL_FROM_URL."
        )
    if source["source"] == "FILE_UPLOAD":
        problem = _chunk_problem(store, source)
        if problem:
            return api_error("invalid_params", problem)
    else:
        url = source.get("video_url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            return api_error("invalid_params", "source_info.video_url must be a URL.")
        if not any(url.startswith(prefix) for prefix in s.verified_url_prefixes):
            return api_error(
                "url_ownership_unverified",
                "Please review our URL ownership verification rules.",
            )
    if state.take_faults(NAME, request.method, request.path, {"quota"}, True):
        return api_error("spam_risk_too_many_posts", "The user has reached the daily post cap.")
    with store.lock:
        day_ago = store.now() - 24 * 3600
        recent = [p for p in store.publishes.values() if p["created"] > day_ago]
        if s.daily_post_cap and len(recent) >= s.daily_post_cap:
            return api_error("spam_risk_too_many_posts", "The user has reached the daily post cap.")
        number = store.next_number()
        kind = f"{'inbox' if inbox else 'pub'}_{source['source'].lower()}"
        publish_id = f"v_{kind}~v2-1.{7300000000000000000 + number}"
        publish: dict[str, Any] = {
            "publish_id": publish_id,
            "mode": "inbox" if inbox else "direct",
            "source": source["source"],
            "post_info": post_info,
            "created": store.now(),
            "data": bytearray(),
            "video_size": source.get("video_size") or 0,
            "chunk_size": source.get("chunk_size") or 0,
            "total_chunk_count": source.get("total_chunk_count") or 0,
            "upload_id": "",
            "upload_token": "",
            "arrived": False,
            "polls": 0,
            "fail_reason": "",
            "post_id": "",
            "stuck": bool(state.take_faults(NAME, request.method, request.path, {"stuck"}, True)),
        }
        store.publishes[publish_id] = publish
    data: dict[str, Any] = {"publish_id": publish_id}
    if source["source"] == "FILE_UPLOAD":
        publish["upload_id"] = str(7300000000000000000 + number)
        publish["upload_token"] = secrets.token_hex(16)
        data["upload_url"] = (
            f"{state.base_url}/tiktok/upload/video/?upload_id={publish['upload_id']}"
            f"&upload_token={publish['upload_token']}"
        )
    else:
        try:
            content, reason = fetch(source["video_url"], MAX_VIDEO_BYTES), ""
        except FetchError:
            content, reason = b"", "video_pull_failed"
        reason = reason or _check_video(store, content)
        with store.lock:
            publish.update(data=bytearray(content), fail_reason=reason, arrived=True)
    return ok(data)


def init_direct(state: EmulatorState, request: Request) -> Response:
    return _init(state, request, inbox=False)


def init_inbox(state: EmulatorState, request: Request) -> Response:
    return _init(state, request, inbox=True)


def _check_video(store: TikTokStore, data: bytes) -> str:
    """TikTok's checks (docs/platform-api-facts-native.md §3.5): the ``fail_reason`` or ``""``."""
    info: VideoInfo | None = probe_video(data)
    if info is None:
        return "file_format_check_failed"
    containers = info.container.split(",")
    if not ({"mp4", "mov", "webm", "matroska"} & set(containers)):
        return "file_format_check_failed"
    if info.codec not in ("h264", "hevc", "vp8", "vp9"):
        return "file_format_check_failed"
    if not 23 <= round(info.fps) <= 60:
        return "frame_rate_check_failed"
    if not (360 <= info.width <= 4096 and 360 <= info.height <= 4096):
        return "picture_size_check_failed"
    if info.duration > store.settings.max_video_post_duration_sec:
        return "duration_check_failed"
    return ""


def upload(state: EmulatorState, request: Request) -> Response:
    """``PUT upload_url``: one chunk with ``Content-Range: bytes FIRST-LAST/TOTAL``."""
    store = _store(state)
    upload_id = request.query.get("upload_id", "")
    with store.lock:
        publish = next(
            (p for p in store.publishes.values() if p["upload_id"] and p["upload_id"] == upload_id),
            None,
        )
        if publish is None or publish["upload_token"] != request.query.get("upload_token"):
            return api_error("invalid_params", "Unknown upload URL.", 404)
        if store.now() - publish["created"] > store.settings.upload_url_seconds:
            return api_error("invalid_params", "The upload URL has expired.", 403)
        if request.header("content-type").split(";")[0].strip() not in CONTENT_TYPES:
            return api_error(
                "invalid_params", "Content-Type must be video/mp4, video/quicktime or video/webm."
            )
        spec = request.header("content-range").strip()
        try:
            unit, _sep, rest = spec.partition(" ")
            span, _slash, total_text = rest.partition("/")
            first_text, _dash, last_text = span.partition("-")
            first, last, total = int(first_text), int(last_text), int(total_text)
        except ValueError:
            return api_error("invalid_params", "Content-Range must be bytes FIRST-LAST/TOTAL.")
        received = len(publish["data"])
        if unit != "bytes" or total != publish["video_size"] or first != received:
            return api_error(
                "invalid_params",
                f"Content-Range does not match the upload: {received} bytes received so far.",
                416,
            )
        length = last - first + 1
        chunk_number = first // publish["chunk_size"] if publish["chunk_size"] else 0
        final = chunk_number == publish["total_chunk_count"] - 1
        expected = publish["video_size"] - first if final else publish["chunk_size"]
        if length != len(request.body) or length != expected:
            return api_error(
                "invalid_params", f"Chunk {chunk_number + 1} must hold {expected} bytes.", 400
            )
        if state.take_faults(NAME, request.method, request.path, {"cut_upload"}):
            return Response(status=0, drop=True)  # the chunk is lost: upload it again
        publish["data"] += request.body
        if not final:
            return Response(status=206, body=b"", content_type="text/plain; charset=utf-8")
        publish["arrived"] = True
        publish["fail_reason"] = _check_video(store, bytes(publish["data"]))
    return Response(status=201, body=b"", content_type="text/plain; charset=utf-8")


def _post_id(store: TikTokStore) -> str:
    return str(7400000000000000000 + store.next_number())


def status_fetch(state: EmulatorState, request: Request) -> Response:
    store = _store(state)
    refused = _checked(store, request, "status", store.settings.status_per_minute)
    if refused:
        return refused
    body = request.json()
    publish_id = body.get("publish_id") if isinstance(body, dict) else None
    with store.lock:
        publish = store.publishes.get(str(publish_id))
        if publish is None:
            return api_error("invalid_params", "publish_id is not a publish of this user.")
        data: dict[str, Any] = {}
        processing = (
            "PROCESSING_UPLOAD" if publish["source"] == "FILE_UPLOAD" else "PROCESSING_DOWNLOAD"
        )
        if publish["arrived"]:
            publish["polls"] += 1
        if (
            not publish["arrived"]
            or publish["stuck"]
            or publish["polls"] <= store.settings.status_polls
        ):
            data["status"] = processing
        elif publish["fail_reason"]:
            data.update(status="FAILED", fail_reason=publish["fail_reason"])
        elif publish["mode"] == "inbox":
            data["status"] = "SEND_TO_USER_INBOX"
        else:
            data["status"] = "PUBLISH_COMPLETE"
            if not publish["post_id"]:
                publish["post_id"] = _post_id(store)
                _store_video(state, store, publish)
            public = publish["post_info"].get("privacy_level") != "SELF_ONLY"
            data["publicaly_available_post_id"] = [int(publish["post_id"])] if public else []
        key = "uploaded_bytes" if publish["source"] == "FILE_UPLOAD" else "downloaded_bytes"
        data[key] = len(publish["data"])
    return ok(data)


def _store_video(state: EmulatorState, store: TikTokStore, publish: dict[str, Any]) -> None:
    info = probe_video(bytes(publish["data"]))
    post_id = publish["post_id"]
    title = str(publish["post_info"].get("title") or "")
    store.videos[post_id] = {
        "id": post_id,
        "publish_id": publish["publish_id"],
        "create_time": int(store.now()),
        "cover_image_url": f"{state.base_url}/images/tiktok-{post_id}.svg",
        "share_url": f"{state.base_url}/tiktok/@{USERNAME}/video/{post_id}",
        "embed_link": f"{state.base_url}/tiktok/@{USERNAME}/video/{post_id}",
        "video_description": title,
        "title": title,
        "duration": round(info.duration) if info else 0,
        "width": info.width if info else 0,
        "height": info.height if info else 0,
        "privacy_level": publish["post_info"].get("privacy_level"),
        "like_count": 0,
        "comment_count": 0,
        "share_count": 0,
        "view_count": 0,
        "reads": 0,
    }


def video_query(state: EmulatorState, request: Request) -> Response:
    store = _store(state)
    refused = _checked(store, request, "query", store.settings.query_per_minute)
    if refused:
        return refused
    fields = [f.strip() for f in request.query.get("fields", "").split(",") if f.strip()]
    if not fields or any(f not in VIDEO_FIELDS for f in fields):
        return api_error("invalid_params", f"fields must be a list of {', '.join(VIDEO_FIELDS)}.")
    body = request.json()
    filters = body.get("filters") if isinstance(body, dict) else None
    ids = filters.get("video_ids") if isinstance(filters, dict) else None
    if not isinstance(ids, list) or not 1 <= len(ids) <= 20:
        return api_error("invalid_params", "filters.video_ids must hold 1 to 20 ids.")
    videos = []
    with store.lock:
        for video_id in ids:
            video = store.videos.get(str(video_id))
            if video is None:
                continue
            video["reads"] += 1
            reads = video["reads"]
            video.update(
                view_count=11 * reads,
                like_count=2 * reads,
                comment_count=reads // 2,
                share_count=reads // 3,
            )
            videos.append({name: video[name] for name in ["id", *fields] if name in video})
    return ok({"videos": videos, "cursor": 0, "has_more": False})


def oauth_token(state: EmulatorState, request: Request) -> Response:
    """``POST /v2/oauth/token/``: each refresh hands out a new refresh token and retires
    the one sent (docs/platform-api-facts-native.md §3.6)."""
    store = _store(state)
    form = request.form()
    if not form.get("client_key") or not form.get("client_secret"):
        return oauth_error("invalid_client", "Client key or secret is incorrect.", 401)
    grant = form.get("grant_type", "")
    with store.lock:
        if grant == "refresh_token":
            refresh = form.get("refresh_token", "")
            expiry = store.refresh.get(refresh)
            if (
                not refresh
                or refresh in store.retired
                or (expiry is not None and store.now() >= expiry)
            ):
                return oauth_error("invalid_grant", "Refresh token is invalid or expired.")
            store.refresh.pop(refresh, None)
            store.retired.add(refresh)
        elif grant == "authorization_code":
            if not form.get("code") or not form.get("redirect_uri"):
                return oauth_error("invalid_request", "code and redirect_uri are required.")
        else:
            return oauth_error("unsupported_grant_type", "grant_type is not supported.")
        s = store.settings
        access, new_refresh = token("act.", 36), token("rft.", 36)
        store.access[access] = store.now() + s.access_token_seconds
        store.refresh[new_refresh] = store.now() + s.refresh_token_seconds
    return json_response(
        {
            "open_id": OPEN_ID,
            "scope": "user.info.basic,video.publish,video.upload,video.list",
            "access_token": access,
            "expires_in": s.access_token_seconds,
            "refresh_token": new_refresh,
            "refresh_expires_in": s.refresh_token_seconds,
            "token_type": "Bearer",
        }
    )


def configure(store: TikTokStore, data: dict[str, Any]) -> str:
    return apply_settings(store.settings, data)


CREATE_HANDLERS = {init_direct, init_inbox}
ROUTES = [
    ("POST", r"/v2/post/publish/creator_info/query/", creator_info, True),
    ("POST", r"/v2/post/publish/video/init/", init_direct, True),
    ("POST", r"/v2/post/publish/inbox/video/init/", init_inbox, True),
    ("POST", r"/v2/post/publish/status/fetch/", status_fetch, True),
    ("PUT", r"/upload/video/?", upload, False),  # the upload URL carries its token
    ("POST", r"/v2/video/query/", video_query, True),
    ("POST", r"/v2/oauth/token/", oauth_token, False),
]
