"""YouTube Data API v3 (uploading Shorts) and Google's OAuth token endpoint.

The emulator's root stands for ``www.googleapis.com``: ``POST /upload/youtube/v3/videos``
(resumable uploads only), ``PUT`` on the session URI it returns, ``GET /youtube/v3/videos``,
``GET /youtube/v3/channels`` and ``GET /youtube/v3/playlistItems`` (the uploads playlist);
``POST /google/oauth2/token`` stands for ``oauth2.googleapis.com/token``.
Facts: docs/platform-api-facts-native.md, section 2.

Emulator choices where Google documents nothing: a non-final chunk whose size is not a
multiple of 256 KiB is kept only up to the last 256 KiB boundary (the 308's ``Range`` says
so); an upload from an unverified project is made private and the answer carries
``X-Emulator-Forced-Private: true``; more than 50 ids in ``videos.list`` answer 400
``invalidFilters``; whether a video is a Short is only in ``/_control/state`` and its page.
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from emulator.platforms.common import Store, VideoInfo, apply_settings, probe_video, token
from emulator.state import EmulatorState, Fault
from emulator.wire import Request, Response, json_response

NAME = "youtube"
PREFIX = ""
PATHS = r"^/(?:youtube/v3|upload/youtube/v3|google/oauth2)/"
UPLOAD_PATHS = r"^/upload/youtube/v3/"
CHANNEL_ID = "UCquizDemoChannel0000001"
CHANNEL_TITLE = "Quiz demo channel"
CATEGORIES = {"1", "2", "10", "15", "17", "19", "20", "22", "23", "24", "25", "26", "27", "28"}
PRIVACY = ("public", "unlisted", "private")
RANGE = re.compile(r"^bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)$")
try:
    from zoneinfo import ZoneInfo

    PACIFIC: Any = ZoneInfo("America/Los_Angeles")
except Exception:  # no tz database: Pacific standard time
    PACIFIC = timezone(timedelta(hours=-8))


@dataclass
class Settings:
    upload_quota: int = 100  # videos.insert calls per day (their own bucket)
    units_quota: int = 10000  # units per day for every other call
    channel_upload_limit: int = 0  # uploads per 24 h before uploadLimitExceeded; 0 = none
    verified: bool = True  # False: every project is unverified (uploads forced private)
    unverified_clients: list[str] = field(default_factory=list)  # OAuth client ids
    session_ttl_seconds: int = 7 * 24 * 3600  # then the session URI answers 404
    processing_polls: int = 1  # videos.list reads answering uploadStatus "uploaded"
    chunk_granularity: int = 256 * 1024
    access_token_seconds: int = 3599
    revoked_refresh_tokens: list[str] = field(default_factory=list)  # → invalid_grant
    short_max_seconds: float = 180.0


class YouTubeStore(Store):
    def __init__(self, lock: Any) -> None:
        super().__init__(lock, Settings())
        self.sessions: dict[str, dict[str, Any]] = {}
        self.videos: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, tuple[str, float]] = {}  # access token → (client id, expiry)
        self.inserts: dict[str, int] = {}  # Pacific date → videos.insert calls
        self.units: dict[str, int] = {}  # Pacific date → units used
        self.uploads: list[float] = []  # when each upload completed (channel cap)

    def reset(self) -> None:
        with self.lock:
            for table in (self.sessions, self.videos, self.tokens, self.inserts, self.units):
                table.clear()
            self.uploads.clear()

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "videos": [dict(v) for v in self.videos.values()],
                "sessions": [
                    {k: v for k, v in s.items() if k != "data"} | {"received": len(s["data"])}
                    for s in self.sessions.values()
                ],
                "quota": {"inserts": dict(self.inserts), "units": dict(self.units)},
            }

    def day(self) -> str:
        return datetime.fromtimestamp(self.now(), PACIFIC).strftime("%Y-%m-%d")


def make_store(lock: Any) -> YouTubeStore:
    return YouTubeStore(lock)


def _store(state: EmulatorState) -> YouTubeStore:
    from emulator.platforms import native

    store: YouTubeStore = native.store(state, NAME)
    return store


# --- errors -------------------------------------------------------------------------
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def google_error(
    status: int,
    reason: str,
    message: str,
    *,
    domain: str = "youtube.video",
    headers: dict[str, str] | None = None,
    location: str = "",
) -> Response:
    item: dict[str, Any] = {"message": message, "domain": domain, "reason": reason}
    if location:
        item.update(location=location, locationType="header")
    body = {
        "error": {
            "code": status,
            "message": message,
            "errors": [item],
            "status": STATUS_NAMES.get(status, "UNKNOWN"),
        }
    }
    return json_response(body, status, headers)


def auth_error() -> Response:
    return google_error(
        401,
        "authError",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, "
        "login cookie or other valid authentication credential.",
        domain="global",
        location="Authorization",
    )


def quota_exceeded() -> Response:
    return google_error(
        403,
        "quotaExceeded",
        "The request cannot be completed because you have exceeded your "
        '<a href="/youtube/v3/getting-started#quota">quota</a>.',
        domain="youtube.quota",
    )


def oauth_error(error: str, description: str, status: int = 400) -> Response:
    return json_response({"error": error, "error_description": description}, status)


def fault_response(fault: Fault, request: Request) -> Response:
    token_endpoint = request.path.startswith("/google/")
    if fault.fault == "expired_token":
        if token_endpoint:
            return oauth_error("invalid_grant", "Token has been expired or revoked.")
        return auth_error()
    if fault.fault == "rate_limit":
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        return google_error(
            fault.status,
            "rateLimitExceeded",
            "The request cannot be completed because you have exceeded your quota.",
            domain="usageLimits",
            headers=headers,
        )
    if token_endpoint:
        return oauth_error(
            "internal_failure" if fault.status >= 500 else "invalid_request",
            "Emulated fault.",
            fault.status,
        )
    if fault.status >= 500:
        return google_error(fault.status, "backendError", "Backend Error", domain="global")
    return google_error(
        fault.status, "badRequest", "Bad Request (emulated fault).", domain="global"
    )


def not_found(method: str, path: str) -> Response:
    return google_error(404, "notFound", f"Not Found: {method} {path}", domain="global")


def authenticate(request: Request) -> Response | None:
    if request.bearer_token() or request.query.get("access_token"):
        return None
    return google_error(
        401,
        "required",
        "Request is missing required authentication credential. Expected OAuth 2 access "
        "token, login cookie or other valid authentication credential.",
        domain="global",
        location="Authorization",
    )


def _client_of(store: YouTubeStore, request: Request) -> tuple[str, Response | None]:
    """The OAuth client the token was issued to ("" if not issued here), or a refusal."""
    access = request.bearer_token() or request.query.get("access_token", "")
    with store.lock:
        known = store.tokens.get(access)
    if known is None:
        return "", None
    client_id, expires = known
    return client_id, (auth_error() if store.now() >= expires else None)


def _charge_units(store: YouTubeStore, units: int = 1) -> Response | None:
    with store.lock:
        day = store.day()
        if store.units.get(day, 0) + units > store.settings.units_quota:
            return quota_exceeded()
        store.units[day] = store.units.get(day, 0) + units
    return None


# --- metadata -----------------------------------------------------------------------
def _tags_length(tags: list[str]) -> int:
    quoted = [len(tag) + 2 if " " in tag else len(tag) for tag in tags]
    return sum(quoted) + max(len(tags) - 1, 0)


def _metadata_problem(body: Any, parts: set[str]) -> Response | None:
    def bad(reason: str, message: str) -> Response:
        return google_error(400, reason, message)

    if not isinstance(body, dict):
        return bad("invalidVideoMetadata", "The request metadata is invalid.")
    if "snippet" not in parts:
        return google_error(
            400,
            "missingRequiredParameter",
            "No filter selected. Expected one of: snippet",
            domain="youtube.parameter",
        )
    snippet = body.get("snippet")
    if not isinstance(snippet, dict):
        return bad("invalidTitle", "The request metadata does not specify a valid video title.")
    title = snippet.get("title")
    if (
        not isinstance(title, str)
        or not title.strip()
        or len(title) > 100
        or re.search("[<>]", title)
    ):
        return bad("invalidTitle", "The request metadata specifies an invalid video title.")
    description = snippet.get("description", "")
    if (
        not isinstance(description, str)
        or len(description.encode()) > 5000
        or re.search("[<>]", description)
    ):
        return bad("invalidDescription", "The request metadata specifies an invalid description.")
    tags = snippet.get("tags", [])
    if (
        not isinstance(tags, list)
        or not all(isinstance(t, str) for t in tags)
        or (_tags_length(tags) > 500)
    ):
        return bad("invalidTags", "The request metadata specifies invalid video keywords.")
    category = snippet.get("categoryId")
    if category is not None and str(category) not in CATEGORIES:
        return bad(
            "invalidCategoryId", "The snippet.categoryId property specifies an invalid category ID."
        )
    status = body.get("status", {})
    if not isinstance(status, dict):
        return bad("invalidVideoMetadata", "The request metadata is invalid.")
    privacy = status.get("privacyStatus", "public")
    if privacy not in PRIVACY:
        return bad("invalidVideoMetadata", f"Invalid privacyStatus {privacy!r}.")
    if status.get("publishAt") is not None and privacy != "private":
        return bad("invalidPublishAt", "publishAt needs privacyStatus private.")
    kids = status.get("selfDeclaredMadeForKids")
    if kids is not None and not isinstance(kids, bool):
        return bad("invalidVideoMetadata", "selfDeclaredMadeForKids must be a boolean.")
    return None


def _unverified(store: YouTubeStore, client_id: str) -> bool:
    return not store.settings.verified or client_id in store.settings.unverified_clients


def start_upload(state: EmulatorState, request: Request) -> Response:
    """``videos.insert`` with ``uploadType=resumable``: a session URI in ``Location``."""
    store = _store(state)
    client_id, refused = _client_of(store, request)
    if refused:
        return refused
    if request.query.get("uploadType") != "resumable":
        return google_error(
            400,
            "invalidParameter",
            "The emulator supports uploadType=resumable only.",
            domain="global",
        )
    parts = {p.strip() for p in request.query.get("part", "").split(",") if p.strip()}
    body = request.json()
    problem = _metadata_problem(body, parts)
    if problem:
        return problem
    total_header = request.header("x-upload-content-length")
    if total_header and not total_header.isdigit():
        return google_error(400, "badRequest", "Invalid X-Upload-Content-Length.", domain="global")
    content_type = request.header("x-upload-content-type") or "video/*"
    if not content_type.startswith(("video/", "application/octet-stream")):
        return google_error(400, "invalidVideoMetadata", "The upload must be a video.")
    if state.take_faults(NAME, request.method, request.path, {"quota"}, True):
        return quota_exceeded()
    with store.lock:
        day = store.day()
        if store.inserts.get(day, 0) >= store.settings.upload_quota:
            return quota_exceeded()
        store.inserts[day] = store.inserts.get(day, 0) + 1
        cap = store.settings.channel_upload_limit
        recent = [t for t in store.uploads if t > store.now() - 24 * 3600]
        if cap and len(recent) >= cap:
            return google_error(
                400,
                "uploadLimitExceeded",
                "The user has exceeded the number of videos they may upload. "
                "Try again in 24 hours.",
            )
        upload_id = "AEnB2U" + secrets.token_urlsafe(24)
        store.sessions[upload_id] = {
            "upload_id": upload_id,
            "created": store.now(),
            "total": int(total_header) if total_header else None,
            "data": bytearray(),
            "metadata": body,
            "parts": sorted(parts),
            "client_id": client_id,
            "video_id": "",
            "stuck": bool(state.take_faults(NAME, request.method, request.path, {"stuck"}, True)),
        }
    location = (
        f"{state.base_url}/upload/youtube/v3/videos?uploadType=resumable"
        f"&part={quote(','.join(sorted(parts)))}&upload_id={upload_id}"
    )
    return Response(
        status=200,
        body=b"",
        content_type="text/plain; charset=utf-8",
        headers={"Location": location, "X-GUploader-UploadID": upload_id},
    )


def _incomplete(received: int) -> Response:
    headers = {"Range": f"bytes=0-{received - 1}"} if received else {}
    headers["X-GUploader-UploadID"] = "resumable"
    return Response(status=308, body=b"", content_type="text/plain; charset=utf-8", headers=headers)


def upload(state: EmulatorState, request: Request) -> Response:
    """``PUT`` on a session URI: a chunk, the whole file, or a status query (``bytes */N``)."""
    store = _store(state)
    upload_id = request.query.get("upload_id", "")
    with store.lock:
        session = store.sessions.get(upload_id)
        alive = session is not None and (
            store.now() - session["created"] < store.settings.session_ttl_seconds
        )
    if session is None or not alive:
        return google_error(
            404, "notFound", "The upload session was not found or has expired.", domain="global"
        )
    spec = request.header("content-range") or f"bytes 0-{len(request.body) - 1}/{len(request.body)}"
    if not request.header("content-range") and not request.body:
        spec = "bytes */0"
    match = RANGE.match(spec.strip())
    if not match:
        return google_error(400, "badRequest", f"Invalid Content-Range: {spec}", domain="global")
    first, last, total_text = match.groups()
    with store.lock:
        received = len(session["data"])
        if session["video_id"]:
            return _final(store, session, replay=True)
        if first is None:  # a status query
            return _incomplete(received)
        total = int(total_text) if total_text != "*" else None
        if session["total"] is not None and total is not None and total != session["total"]:
            return google_error(
                400, "badRequest", "The total size does not match the session.", domain="global"
            )
        if total is not None:
            session["total"] = total
        start, end = int(first), int(last)
        if end < start or end - start + 1 != len(request.body):
            return google_error(
                400, "badRequest", "Content-Range does not match the body.", domain="global"
            )
        if start != received:  # not where the upload stands: say where it does
            return _incomplete(received)
        chunk = request.body
        final = session["total"] is not None and end + 1 == session["total"]
        granularity = store.settings.chunk_granularity
        if state.take_faults(NAME, request.method, request.path, {"cut_upload"}):
            kept = (len(chunk) // 2) // granularity * granularity
            session["data"] += chunk[:kept]
            return Response(status=0, drop=True)
        if not final:
            chunk = chunk[: len(chunk) // granularity * granularity]
        session["data"] += chunk
        if not final:
            return _incomplete(len(session["data"]))
        return _final(store, session, replay=False)


def _duration(seconds: float) -> str:
    whole = round(seconds)
    minutes, secs = divmod(whole, 60)
    return f"PT{minutes}M{secs}S" if minutes else f"PT{secs}S"


def _video_id() -> str:
    alphabet = string.ascii_letters + string.digits + "-_"
    return "".join(secrets.choice(alphabet) for _ in range(11))


def _classify(data: bytes, settings: Settings) -> tuple[VideoInfo | None, str, str]:
    """(probe, failure reason or "", why it is not a Short or "")."""
    if not data:
        return None, "emptyFile", ""
    info = probe_video(data)
    if info is None:
        return None, "invalidFile", ""
    reasons = []
    if info.width > info.height:
        reasons.append("landscape")
    if info.duration > settings.short_max_seconds:
        reasons.append(f"longer than {settings.short_max_seconds:g} s")
    return info, "", ", ".join(reasons)


def _final(store: YouTubeStore, session: dict[str, Any], *, replay: bool) -> Response:
    if not replay:
        data = bytes(session["data"])
        info, failure, not_short = _classify(data, store.settings)
        metadata = session["metadata"]
        snippet, status = metadata.get("snippet", {}), dict(metadata.get("status") or {})
        forced = _unverified(store, session["client_id"])
        privacy = "private" if forced else status.get("privacyStatus", "public")
        video_id = _video_id()
        published = datetime.fromtimestamp(store.now(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        video: dict[str, Any] = {
            "id": video_id,
            "snippet": {
                "publishedAt": published,
                "channelId": CHANNEL_ID,
                "title": snippet["title"],
                "description": snippet.get("description", ""),
                "thumbnails": {
                    "default": {"url": f"https://i.ytimg.com/vi/{video_id}/default.jpg"}
                },
                "channelTitle": CHANNEL_TITLE,
                "tags": snippet.get("tags", []),
                "categoryId": str(snippet.get("categoryId") or "22"),
                "liveBroadcastContent": "none",
                "localized": {
                    "title": snippet["title"],
                    "description": snippet.get("description", ""),
                },
            },
            "status": {
                "uploadStatus": "uploaded",
                "privacyStatus": privacy,
                "license": "youtube",
                "embeddable": True,
                "publicStatsViewable": True,
                "madeForKids": bool(status.get("selfDeclaredMadeForKids", False)),
                "selfDeclaredMadeForKids": bool(status.get("selfDeclaredMadeForKids", False)),
            },
            "contentDetails": {
                "duration": _duration(info.duration if info else 0),
                "dimension": "2d",
                "definition": "hd" if info and min(info.width, info.height) >= 720 else "sd",
                "caption": "false",
                "licensedContent": False,
            },
            "statistics": {"viewCount": 0, "likeCount": 0, "favoriteCount": 0, "commentCount": 0},
            "emulator": {
                "failure": failure,
                "short": bool(info) and not failure and not not_short,
                "not_short_because": not_short,
                "forced_private": forced,
                "requested_privacy": status.get("privacyStatus", "public"),
                "stuck": session["stuck"],
                "reads": 0,
                "size": len(data),
                "codec": info.codec if info else "",
                "url": f"{store.base_url}/youtube/shorts/{video_id}",
            },
        }
        if "publishAt" in status:
            video["status"]["publishAt"] = status["publishAt"]
        store.videos[video_id] = video
        store.uploads.append(store.now())
        session["video_id"] = video_id
    video = store.videos[session["video_id"]]
    headers = {"X-Emulator-Forced-Private": "true"} if video["emulator"]["forced_private"] else {}
    resource = _resource(video, set(session["parts"]) | {"snippet", "status"}, advance=False)
    return json_response(resource, 201, headers)


def _processing(video: dict[str, Any], polls: int) -> tuple[str, str]:
    """(uploadStatus, processingStatus) after ``reads`` reads."""
    emulator = video["emulator"]
    if emulator["stuck"] or emulator["reads"] <= polls:
        return "uploaded", "processing"
    if emulator["failure"]:
        return "failed", "failed"
    return "processed", "succeeded"


def _resource(video: dict[str, Any], parts: set[str], *, advance: bool, polls: int = 0) -> dict:
    if advance:
        video["emulator"]["reads"] += 1
    upload_status, processing = _processing(video, polls) if advance else ("uploaded", "processing")
    video["status"]["uploadStatus"] = upload_status
    if upload_status == "failed":
        video["status"]["failureReason"] = video["emulator"]["failure"]
    if advance and upload_status == "processed" and "statistics" in parts:
        reads = video["emulator"]["reads"]
        video["statistics"] = {
            "viewCount": 7 * reads,
            "likeCount": reads,
            "favoriteCount": 0,
            "commentCount": reads // 3,
        }
    resource: dict[str, Any] = {
        "kind": "youtube#video",
        "etag": secrets.token_urlsafe(20),
        "id": video["id"],
    }
    for part in ("snippet", "status", "contentDetails"):
        if part in parts:
            resource[part] = dict(video[part])
    if "statistics" in parts:
        resource["statistics"] = {k: str(v) for k, v in video["statistics"].items()}
    if "processingDetails" in parts:
        details: dict[str, Any] = {"processingStatus": processing}
        if processing == "failed":
            details["processingFailureReason"] = (
                "uploadFailed" if video["emulator"]["failure"] == "emptyFile" else "transcodeFailed"
            )
        resource["processingDetails"] = details
    return resource


def list_videos(state: EmulatorState, request: Request) -> Response:
    store = _store(state)
    _client, refused = _client_of(store, request)
    if refused:
        return refused
    parts = {p.strip() for p in request.query.get("part", "").split(",") if p.strip()}
    if not parts:
        return google_error(
            400,
            "missingRequiredParameter",
            "No filter selected. Expected one of: part",
            domain="youtube.parameter",
        )
    ids = [i.strip() for i in request.query.get("id", "").split(",") if i.strip()]
    if not ids:
        return google_error(
            400,
            "missingRequiredParameter",
            "No filter selected. Expected one of: id",
            domain="youtube.parameter",
        )
    if len(ids) > 50:
        return google_error(
            400, "invalidFilters", "At most 50 video ids per request.", domain="youtube.parameter"
        )
    over = _charge_units(store)
    if over:
        return over
    with store.lock:
        items = [
            _resource(store.videos[i], parts, advance=True, polls=store.settings.processing_polls)
            for i in ids
            if i in store.videos
        ]
    return json_response(
        {
            "kind": "youtube#videoListResponse",
            "etag": secrets.token_urlsafe(20),
            "items": items,
            "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
        }
    )


def list_playlist_items(state: EmulatorState, request: Request) -> Response:
    """``playlistItems.list`` of the channel's uploads playlist (``UU…``): newest first,
    ``maxResults`` 0–50 (default 5), ``pageToken`` from ``nextPageToken``."""
    store = _store(state)
    _client, refused = _client_of(store, request)
    if refused:
        return refused
    playlist = request.query.get("playlistId", "")
    if not playlist:
        return google_error(
            400,
            "missingRequiredParameter",
            "No filter selected. Expected one of: id, playlistId",
            domain="youtube.parameter",
        )
    if playlist != "UU" + CHANNEL_ID[2:]:
        return google_error(
            404,
            "playlistNotFound",
            "The playlist identified with the request's playlistId parameter cannot be found.",
            domain="youtube.playlistItem",
        )
    size_text = request.query.get("maxResults", "5")
    if not size_text.isdigit() or int(size_text) > 50:
        return google_error(
            400, "invalidParameter", "Invalid value for maxResults.", domain="youtube.parameter"
        )
    token_text = request.query.get("pageToken", "") or "0"
    if not token_text.isdigit():
        return google_error(
            400, "invalidPageToken", "The request specifies an invalid page token.",
            domain="youtube.parameter",
        )  # fmt: skip
    over = _charge_units(store)
    if over:
        return over
    size, offset = int(size_text), int(token_text)
    with store.lock:
        videos = list(reversed(list(store.videos.values())))
    page = videos[offset : offset + size]
    items = [
        {
            "kind": "youtube#playlistItem",
            "etag": secrets.token_urlsafe(20),
            "id": secrets.token_urlsafe(16),
            "snippet": {
                "publishedAt": video["snippet"]["publishedAt"],
                "channelId": CHANNEL_ID,
                "title": video["snippet"]["title"],
                "description": video["snippet"]["description"],
                "channelTitle": CHANNEL_TITLE,
                "playlistId": playlist,
                "position": offset + position,
                "resourceId": {"kind": "youtube#video", "videoId": video["id"]},
            },
        }
        for position, video in enumerate(page)
    ]
    body: dict[str, Any] = {
        "kind": "youtube#playlistItemListResponse",
        "etag": secrets.token_urlsafe(20),
        "items": items,
        "pageInfo": {"totalResults": len(videos), "resultsPerPage": size},
    }
    if offset + size < len(videos):
        body["nextPageToken"] = str(offset + size)
    return json_response(body)


def list_channels(state: EmulatorState, request: Request) -> Response:
    store = _store(state)
    _client, refused = _client_of(store, request)
    if refused:
        return refused
    if request.query.get("mine") != "true" and not request.query.get("id"):
        return google_error(
            400,
            "missingRequiredParameter",
            "No filter selected. Expected one of: mine, id, forHandle",
            domain="youtube.parameter",
        )
    over = _charge_units(store)
    if over:
        return over
    parts = {p.strip() for p in request.query.get("part", "snippet").split(",")}
    with store.lock:
        count = len(store.videos)
    channel: dict[str, Any] = {
        "kind": "youtube#channel",
        "etag": secrets.token_urlsafe(20),
        "id": CHANNEL_ID,
    }
    if "snippet" in parts:
        channel["snippet"] = {
            "title": CHANNEL_TITLE,
            "customUrl": "@quizdemo",
            "description": "Videos uploaded to the platform emulator.",
        }
    if "contentDetails" in parts:
        channel["contentDetails"] = {"relatedPlaylists": {"uploads": "UU" + CHANNEL_ID[2:]}}
    if "statistics" in parts:
        channel["statistics"] = {
            "viewCount": "0",
            "subscriberCount": "0",
            "hiddenSubscriberCount": False,
            "videoCount": str(count),
        }
    if "status" in parts:
        channel["status"] = {
            "privacyStatus": "public",
            "isLinked": True,
            "longUploadsStatus": "allowed",
            "madeForKids": False,
        }
    return json_response(
        {
            "kind": "youtube#channelListResponse",
            "etag": secrets.token_urlsafe(20),
            "pageInfo": {"totalResults": 1, "resultsPerPage": 5},
            "items": [channel],
        }
    )


SCOPES = "https://www.googleapis.com/auth/youtube.upload https://www.googleapis.com/auth/youtube.readonly"


def oauth_token(state: EmulatorState, request: Request) -> Response:
    """``POST oauth2.googleapis.com/token``: the refresh and authorization-code grants."""
    store = _store(state)
    form = request.form()
    client_id = form.get("client_id", "")
    if not client_id:
        return oauth_error("invalid_request", "Could not determine client ID from request.")
    if not form.get("client_secret"):
        return oauth_error("invalid_client", "The OAuth client was not found.", 401)
    grant = form.get("grant_type", "")
    answer: dict[str, Any] = {}
    if grant == "refresh_token":
        refresh = form.get("refresh_token", "")
        if not refresh:
            return oauth_error("invalid_request", "Missing required parameter: refresh_token")
        if refresh in store.settings.revoked_refresh_tokens:
            return oauth_error("invalid_grant", "Token has been expired or revoked.")
    elif grant == "authorization_code":
        if not form.get("code") or not form.get("redirect_uri"):
            return oauth_error("invalid_request", "Missing required parameter: code")
        answer["refresh_token"] = token("1//", 40)
    else:
        return oauth_error("unsupported_grant_type", "Invalid grant_type: " + grant)
    access = token("ya29.", 60)
    with store.lock:
        store.tokens[access] = (client_id, store.now() + store.settings.access_token_seconds)
    answer.update(
        access_token=access,
        expires_in=store.settings.access_token_seconds,
        scope=form.get("scope") or SCOPES,
        token_type="Bearer",  # noqa: S106
    )
    return json_response(answer)


def configure(store: YouTubeStore, data: dict[str, Any]) -> str:
    return apply_settings(store.settings, data)


CREATE_HANDLERS = {start_upload}
ROUTES = [
    ("POST", r"/upload/youtube/v3/videos", start_upload, True),
    ("PUT", r"/upload/youtube/v3/videos", upload, False),  # the session URI is the credential
    ("GET", r"/youtube/v3/videos", list_videos, True),
    ("GET", r"/youtube/v3/channels", list_channels, True),
    ("GET", r"/youtube/v3/playlistItems", list_playlist_items, True),
    ("POST", r"/google/oauth2/token", oauth_token, False),
]
