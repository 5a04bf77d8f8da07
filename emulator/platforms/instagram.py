"""Instagram Graph API content publishing under ``/instagram/v26.0/`` (any ``vNN.N``).

Containers (``POST {ig-user}/media``: images, reels, stories, carousel items and
carousels), their status (``GET {container}?fields=status_code,status``), publishing
(``POST {ig-user}/media_publish``), the publishing quota
(``GET {ig-user}/content_publishing_limit``), published media, their insights
(``GET {media}/insights?metric=…``) and the account's media list.
The emulator fetches ``image_url``/``video_url`` (loopback only) and checks the media as
Instagram does. Facts: docs/platform-api-facts-native.md, section 1.

Emulator choices where Meta documents nothing: image problems are refused when the
container is created (HTTP 400, as Graph answers for images); video problems turn the
container to ``ERROR`` with ``status`` "Error: Media upload has failed with error code
<subcode>". Publishing a container twice answers code 100 (no vendor text for it).
Not emulated: the 400-containers-per-24-h cap, the 30-hashtag limit, resumable uploads.
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from emulator.platforms.common import (
    FetchError,
    Store,
    TooLarge,
    apply_settings,
    fetch,
    probe_image,
    probe_video,
)
from emulator.state import EmulatorState, Fault
from emulator.wire import Request, Response, json_response

NAME = "instagram"
PREFIX = r"/instagram/v\d+\.\d+"
PATHS = r"^/instagram/v\d+\.\d+/"
UPLOAD_PATHS = ""  # nothing is uploaded to Instagram: it fetches the media
IG_USER_ID = "17841400000000001"
USERNAME = "quiz_demo"
IMAGE_LIMIT = 8 * 1024 * 1024  # 8 MiB (error 2207004)
STATUS_TEXT = {
    "IN_PROGRESS": "In Progress: Media is still being processed.",
    "FINISHED": "Finished: Media has been uploaded and it is ready to be published.",
    "PUBLISHED": "Published: Media has been successfully published.",
    "EXPIRED": "Expired: Media was not published within 24 hours.",
}
THROTTLE_MESSAGES = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
}
# subcode -> (code, message, user title, user message): docs/platform-api-facts-native.md §1.7
ERRORS: dict[int, tuple[int, str, str, str]] = {
    2207004: (
        36000,
        "The image size is too large.",
        "Image size too large",
        "The image is too large to download. It should be less than 8 MiB.",
    ),
    2207005: (
        36001,
        "The image format is not supported.",
        "Unsupported format",
        "The image format is not supported. Supported formats are: JPEG.",
    ),
    2207009: (
        36003,
        "The submitted image with aspect ratio ('{detail}') cannot be published.",
        "Cannot publish image",
        "The aspect ratio is not supported. Use an aspect ratio between 4:5 and 1.91:1.",
    ),
    2207010: (
        36004,
        "The caption is too long.",
        "Caption too long",
        "The caption can have at most 2200 characters.",
    ),
    2207023: (
        100,
        "The media type is unknown.",
        "Unknown media type",
        "The media type you entered is not supported.",
    ),
    2207026: (
        352,
        "The video format is not supported.",
        "Unsupported video format",
        "The video format is not supported. Please check spec for supported format.",
    ),
    2207027: (
        9007,
        "Media ID is not available",
        "Media not ready for publishing",
        "The media is not ready for publishing, please wait for a moment.",
    ),
    2207028: (
        100,
        "Carousel validation failed.",
        "Carousel validation failed",
        "A carousel must have between 2 and 10 items.",
    ),
    2207040: (
        100,
        "Too many tags.",
        "Cannot use more than 20 tags",
        "The caption can mention at most 20 accounts.",
    ),
    2207042: (
        9,
        "Application request limit reached",
        "Max requests limit reached",
        "You reached maximum number of posts that is allowed to be published by Content "
        "Publishing API. Please try the next day.",
    ),
    2207052: (
        9004,
        "Only photo or video can be accepted as media type.",
        "Media could not be fetched from this uri",
        "The media could not be fetched from the URI provided: {detail}",
    ),
    2207020: (
        -2,
        "The media you are trying to access has expired. Please try to upload again.",
        "Media expired",
        "The media has expired; create a new container.",
    ),
}


@dataclass
class Settings:
    video_polls: int = 2  # status reads a video container answers IN_PROGRESS
    image_polls: int = 0  # the same for images (Instagram: usually ready at once)
    processing_seconds: float = 0.0  # …and it stays IN_PROGRESS at least this long
    container_ttl_seconds: int = 24 * 3600  # then EXPIRED
    quota_total: int = 50  # posts per quota_duration (content_publishing_limit)
    quota_duration: int = 24 * 3600
    reel_min_seconds: float = 3.0
    reel_max_seconds: float = 15 * 60.0
    story_max_seconds: float = 60.0
    reel_max_bytes: int = 300 * 1000 * 1000
    expired_tokens: list[str] = field(default_factory=list)  # answered with code 190


class InstagramStore(Store):
    def __init__(self, lock: Any) -> None:
        super().__init__(lock, Settings())
        self.containers: dict[str, dict[str, Any]] = {}
        self.media: dict[str, dict[str, Any]] = {}
        self.publishes: list[tuple[float, str]] = []  # (when, ig user id)

    def reset(self) -> None:
        with self.lock:
            self.containers.clear()
            self.media.clear()
            self.publishes.clear()

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "containers": [dict(c) for c in self.containers.values()],
                "media": [dict(m) for m in self.media.values()],
            }


def make_store(lock: Any) -> InstagramStore:
    return InstagramStore(lock)


def _store(state: EmulatorState) -> InstagramStore:
    from emulator.platforms import native

    store: InstagramStore = native.store(state, NAME)
    return store


# --- errors -------------------------------------------------------------------------
def graph_error(
    code: int,
    message: str,
    *,
    subcode: int | None = None,
    status: int = 400,
    error_type: str = "OAuthException",
    user_title: str = "",
    user_msg: str = "",
    is_transient: bool = False,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {"message": message, "type": error_type, "code": code}
    if subcode is not None:
        body["error_subcode"] = subcode
        body["is_transient"] = is_transient
    if user_title:
        body["error_user_title"] = user_title
        body["error_user_msg"] = user_msg
    body["fbtrace_id"] = "A" + secrets.token_urlsafe(12)
    return json_response({"error": body}, status, headers)


def subcode_error(subcode: int, detail: str = "") -> Response:
    code, message, title, user_msg = ERRORS[subcode]
    return graph_error(
        code,
        message.format(detail=detail),
        subcode=subcode,
        user_title=title,
        user_msg=user_msg.format(detail=detail),
        is_transient=code in (-1, -2),
    )


def invalid_parameter(message: str) -> Response:
    return graph_error(100, f"(#100) {message}")


def expired_token() -> Response:
    when = datetime.now(UTC).strftime("%A, %d-%b-%y %H:%M:%S UTC")
    return graph_error(
        190,
        f"Error validating access token: Session has expired on {when}. "
        "The current time is later than the expiry time.",
        subcode=463,
    )


def fault_response(fault: Fault, request: Request) -> Response:
    """What a generic fault (status, rate_limit, expired_token) answers on Instagram."""
    if fault.fault == "expired_token":
        return expired_token()
    if fault.fault == "rate_limit":
        code = fault.code or 4
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        message = THROTTLE_MESSAGES.get(code, f"(#{code}) Request limit reached")
        return graph_error(code, message, status=fault.status, headers=headers)
    if fault.status >= 500:
        return graph_error(fault.code or 1, "An unknown error has occurred.", status=fault.status)
    return graph_error(fault.code or 100, "(#100) Invalid parameter", status=fault.status)


def not_found(method: str, path: str) -> Response:
    return graph_error(100, f"Unknown path components: {path}")


def _token(request: Request) -> str:
    return (
        request.bearer_token()
        or request.query.get("access_token", "")
        or request.form().get("access_token", "")
    )


def authenticate(request: Request) -> Response | None:
    token = _token(request)
    if not token:
        return graph_error(104, "An access token is required to request this resource.")
    return None


def _params(request: Request) -> dict[str, str]:
    return {**request.query, **request.form()}


def _timestamp(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _shortcode() -> str:
    alphabet = string.ascii_letters + string.digits + "_-"
    return "".join(secrets.choice(alphabet) for _ in range(11))


def _expired_token_used(store: InstagramStore, request: Request) -> Response | None:
    return expired_token() if _token(request) in store.settings.expired_tokens else None


# --- media checks -------------------------------------------------------------------
def _image_problem(url: str) -> Response | None:
    """Instagram's checks of a feed/carousel image: JPEG, ≤8 MiB, aspect 4:5 … 1.91:1."""
    try:
        data = fetch(url, IMAGE_LIMIT)
    except TooLarge:
        return subcode_error(2207004)
    except FetchError as error:
        return subcode_error(2207052, str(error))
    info = probe_image(data)
    if info is None:
        return subcode_error(2207052, "the file is not a picture")
    if info.format != "JPEG":
        return subcode_error(2207005)
    ratio = info.width / info.height
    if not 4 / 5 - 1e-3 <= ratio <= 1.91 + 1e-3:
        return subcode_error(2207009, f"{info.width}:{info.height}")
    return None


def _video_problem(url: str, settings: Settings, max_seconds: float) -> tuple[int, str]:
    """Instagram's checks of a reel/story/carousel video: ``(subcode, reason)`` or ``(0, "")``.

    MP4/MOV, H.264 or HEVC, 23–60 fps, aspect 0.01:1 … 10:1, ≤1920 px wide, duration and
    size bounds (docs/platform-api-facts-native.md §1.4).
    """
    try:
        data = fetch(url, settings.reel_max_bytes)
    except TooLarge:
        return 2207026, "the video is larger than the size limit"
    except FetchError as error:
        return 2207052, str(error)
    info = probe_video(data)
    if info is None:
        return 2207026, "not a video"
    if not info.is_mp4_or_mov:
        return 2207026, f"container {info.container} (MP4 or MOV needed)"
    if info.codec not in ("h264", "hevc"):
        return 2207026, f"codec {info.codec} (H.264 or HEVC needed)"
    if not 23 <= round(info.fps) <= 60:
        return 2207026, f"{info.fps:g} fps (23-60 needed)"
    if not 0.01 <= info.aspect <= 10 or info.width > 1920:
        return 2207026, f"{info.width}x{info.height}"
    if not settings.reel_min_seconds <= info.duration <= max_seconds:
        return 2207026, f"duration {info.duration:.1f} s"
    return 0, ""


# --- containers ---------------------------------------------------------------------
def create_container(state: EmulatorState, request: Request) -> Response:
    store = _store(state)
    refused = _expired_token_used(store, request)
    if refused:
        return refused
    params = _params(request)
    ig_user_id = request.params["ig_user_id"]
    media_type = params.get("media_type", "").upper()
    carousel_item = params.get("is_carousel_item", "").lower() in ("true", "1")
    caption = params.get("caption", "")
    if len(caption) > 2200:
        return subcode_error(2207010)
    if len(set(re.findall(r"@[\w.]+", caption))) > 20:
        return subcode_error(2207040)
    container: dict[str, Any] = {
        "ig_user_id": ig_user_id,
        "caption": caption,
        "is_carousel_item": carousel_item,
        "children": [],
        "error_subcode": 0,
        "error_reason": "",
    }
    settings = store.settings
    if media_type == "CAROUSEL":
        if carousel_item:
            return invalid_parameter("A carousel cannot be a carousel item.")
        children = [c.strip() for c in params.get("children", "").split(",") if c.strip()]
        if not 2 <= len(children) <= 10:
            return subcode_error(2207028)
        with store.lock:
            known = [store.containers.get(child) for child in children]
        if any(c is None or not c["is_carousel_item"] for c in known):
            return invalid_parameter("Param children must be carousel item container ids.")
        container.update(media_type="CAROUSEL", children=children)
    elif media_type in ("REELS", "STORIES") or (media_type == "VIDEO" and carousel_item):
        if media_type == "REELS" and carousel_item:
            return invalid_parameter("Reels cannot be carousel items.")
        url = params.get("video_url", "")
        if not url and media_type == "STORIES" and params.get("image_url"):
            problem = _image_problem(params["image_url"])
            if problem:
                return problem
            container.update(media_type="STORIES", image_url=params["image_url"])
        elif not url:
            return invalid_parameter("The parameter video_url is required.")
        else:
            limit = settings.story_max_seconds if media_type == "STORIES" else None
            subcode, reason = _video_problem(url, settings, limit or settings.reel_max_seconds)
            container.update(
                media_type=media_type, video_url=url, error_subcode=subcode, error_reason=reason
            )
    elif media_type in ("", "IMAGE"):
        url = params.get("image_url", "")
        if not url:
            if params.get("video_url"):
                return subcode_error(2207023)  # feed VIDEO is gone: use REELS
            return invalid_parameter("The parameter image_url is required.")
        problem = _image_problem(url)
        if problem:
            return problem
        container.update(media_type="IMAGE", image_url=url)
    else:
        return subcode_error(2207023)
    stuck = state.take_faults(NAME, request.method, request.path, {"stuck"}, True)
    number = store.next_number()
    container_id = str(17890000000000000 + number)
    container.update(
        id=container_id,
        created=store.now(),
        polls=0,
        stuck=bool(stuck),
        media_id="",
    )
    with store.lock:
        store.containers[container_id] = container
    return json_response({"id": container_id})


def _status_code(store: InstagramStore, container: dict[str, Any], poll: bool) -> str:
    """The container's status now; ``poll``: this is a status read (it advances processing)."""
    settings = store.settings
    if poll:
        container["polls"] += 1
    if container["media_id"]:
        return "PUBLISHED"
    if store.now() - container["created"] > settings.container_ttl_seconds:
        return "EXPIRED"
    if container["media_type"] == "CAROUSEL":
        children = [store.containers[child] for child in container["children"]]
        states = [_status_code(store, child, poll) for child in children]
        for wanted in ("ERROR", "EXPIRED", "IN_PROGRESS"):
            if wanted in states:
                return wanted
        return "FINISHED"
    if container["stuck"]:
        return "IN_PROGRESS"
    video = bool(container.get("video_url"))
    polls_needed = settings.video_polls if video else settings.image_polls
    waited = store.now() - container["created"]
    # A status read answers IN_PROGRESS while it is one of the first ``polls_needed``.
    early = container["polls"] <= polls_needed if poll else container["polls"] < polls_needed
    if early or waited < settings.processing_seconds:
        return "IN_PROGRESS"
    return "ERROR" if container["error_subcode"] else "FINISHED"


def _container_fields(store: InstagramStore, container: dict[str, Any], fields: list[str]) -> Any:
    code = _status_code(store, container, poll=True)
    status = STATUS_TEXT.get(code, "")
    if code == "ERROR":
        failed = [store.containers[c] for c in container["children"]] or [container]
        subcode = next(c["error_subcode"] for c in failed if c["error_subcode"])
        status = f"Error: Media upload has failed with error code {subcode}"
    available = {"status_code": code, "status": status, "id": container["id"]}
    return {name: available[name] for name in ["id", *fields] if name in available}


def _fields(request: Request) -> list[str]:
    return [f.strip() for f in request.query.get("fields", "").split(",") if f.strip()]


MEDIA_FIELDS = (
    "id",
    "caption",
    "media_type",
    "media_product_type",
    "media_url",
    "permalink",
    "shortcode",
    "timestamp",
    "username",
    "like_count",
    "comments_count",
    "is_comment_enabled",
)


def _media_fields(media: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    picked = {name: media[name] for name in fields if name in MEDIA_FIELDS and name in media}
    picked["id"] = media["id"]
    return picked


def get_object(state: EmulatorState, request: Request) -> Response:
    store = _store(state)
    object_id = request.params["object_id"]
    fields = _fields(request)
    with store.lock:
        container = store.containers.get(object_id)
        if container is not None:
            return json_response(_container_fields(store, container, fields))
        media = store.media.get(object_id)
        if media is not None:
            return json_response(_media_fields(media, fields or ["id"]))
    if "instagram_business_account" in fields:  # a Facebook Page: its linked IG account
        return json_response({"instagram_business_account": {"id": IG_USER_ID}, "id": object_id})
    if object_id.startswith("178414"):  # an IG user
        return json_response({"id": object_id, "username": USERNAME, "user_id": object_id})
    return graph_error(
        100,
        f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation.",
        error_type="GraphMethodException",
        subcode=33,
    )


def _quota_usage(store: InstagramStore, ig_user_id: str) -> int:
    since = store.now() - store.settings.quota_duration
    return sum(1 for when, user in store.publishes if user == ig_user_id and when > since)


def publish(state: EmulatorState, request: Request) -> Response:
    store = _store(state)
    refused = _expired_token_used(store, request)
    if refused:
        return refused
    ig_user_id = request.params["ig_user_id"]
    creation_id = _params(request).get("creation_id", "")
    if not creation_id:
        return invalid_parameter("The parameter creation_id is required.")
    if state.take_faults(NAME, request.method, request.path, {"quota"}, True):
        return subcode_error(2207042)
    with store.lock:
        container = store.containers.get(creation_id)
        if container is None or container["ig_user_id"] != ig_user_id:
            return invalid_parameter(f"Param creation_id {creation_id} is not a media container.")
        if container["is_carousel_item"]:
            return invalid_parameter("A carousel item cannot be published on its own.")
        code = _status_code(store, container, poll=False)
        if code == "PUBLISHED":
            return graph_error(
                100,
                "(#100) The media container has already been published.",
                user_title="Media already published",
                user_msg=f"The container was published as media {container['media_id']}.",
            )
        if code == "EXPIRED":
            return subcode_error(2207020)
        if code != "FINISHED":
            return subcode_error(2207027)
        if _quota_usage(store, ig_user_id) >= store.settings.quota_total:
            return subcode_error(2207042)
        media_id = str(17900000000000000 + store.next_number())
        shortcode = _shortcode()
        kind = "reel" if container["media_type"] == "REELS" else "p"
        media = {
            "id": media_id,
            "ig_user_id": ig_user_id,
            "caption": container["caption"],
            "media_type": {"CAROUSEL": "CAROUSEL_ALBUM", "REELS": "VIDEO"}.get(
                container["media_type"], container["media_type"]
            ),
            "media_product_type": {"REELS": "REELS", "STORIES": "STORY"}.get(
                container["media_type"], "FEED"
            ),
            "media_url": container.get("image_url") or container.get("video_url") or "",
            "children": [
                store.containers[c].get("image_url") or store.containers[c].get("video_url")
                for c in container["children"]
            ],
            "permalink": f"{state.base_url}/instagram/{kind}/{shortcode}/",
            "shortcode": shortcode,
            "timestamp": _timestamp(store.now()),
            "username": USERNAME,
            "like_count": 0,
            "comments_count": 0,
            "is_comment_enabled": True,
            "container_id": creation_id,
            "published": store.now(),
        }
        if media["media_type"] == "STORIES":
            media["media_type"] = "VIDEO" if container.get("video_url") else "IMAGE"
        store.media[media_id] = media
        container["media_id"] = media_id
        store.publishes.append((store.now(), ig_user_id))
    return json_response({"id": media_id})


def publishing_limit(state: EmulatorState, request: Request) -> Response:
    store = _store(state)
    fields = _fields(request) or ["quota_usage"]
    with store.lock:
        entry: dict[str, Any] = {}
        if "quota_usage" in fields:
            entry["quota_usage"] = _quota_usage(store, request.params["ig_user_id"])
        if "config" in fields:
            entry["config"] = {
                "quota_total": store.settings.quota_total,
                "quota_duration": store.settings.quota_duration,
            }
    return json_response({"data": [entry]})


def list_media(state: EmulatorState, request: Request) -> Response:
    store = _store(state)
    ig_user_id = request.params["ig_user_id"]
    fields = _fields(request) or ["id"]
    try:
        limit = min(max(int(request.query.get("limit") or 25), 1), 100)
    except ValueError:
        return invalid_parameter("limit must be an integer")
    after = request.query.get("after", "")
    start = int(after) if after.isascii() and after.isdigit() else 0  # cursor: an offset
    with store.lock:
        mine = [m for m in store.media.values() if m["ig_user_id"] == ig_user_id]
    newest_first = list(reversed(mine))
    data = [_media_fields(m, fields) for m in newest_first[start : start + limit]]
    end = start + len(data)
    paging: dict[str, Any] = {"cursors": {"before": str(start), "after": str(end)}}
    if end < len(newest_first):
        query = f"fields={','.join(fields)}&limit={limit}&after={end}"
        paging["next"] = f"{state.base_url}{request.path}?{query}"
    return json_response({"data": data, "paging": paging})


# Current media metrics (docs/platform-api-facts-native.md §1.9); a deprecated or unknown
# one fails the whole call, as Graph does.
INSIGHT_METRICS = ("views", "reach", "likes", "comments", "saved", "shares", "total_interactions")
DEPRECATED_METRICS = ("impressions", "plays", "clips_replays_count", "video_views")


def _insight_values(store: InstagramStore, media: dict[str, Any]) -> dict[str, int]:
    """The media's numbers: set by a test (``media["insights"]``) or grown with its age."""
    if isinstance(media.get("insights"), dict):
        return dict(media["insights"])
    age = max(store.now() - media["published"], 0.0)
    views = int(age // 2)
    likes, comments = views // 10, views // 40
    saved, shares = views // 50, views // 60
    return {
        "views": views,
        "reach": views * 4 // 5,
        "likes": likes,
        "comments": comments,
        "saved": saved,
        "shares": shares,
        "total_interactions": likes + comments + saved + shares,
    }


def insights(state: EmulatorState, request: Request) -> Response:
    """``GET {media}/insights?metric=views,likes,…``: lifetime values of a published media.

    A metric without data (``media["insights"]`` without it, or ``None``) is left out of
    ``data``: Graph answers an empty data set, not 0.
    """
    store = _store(state)
    refused = _expired_token_used(store, request)
    if refused:
        return refused
    asked = [m.strip() for m in request.query.get("metric", "").split(",") if m.strip()]
    if not asked:
        return invalid_parameter("The parameter metric is required.")
    for metric in asked:
        if metric in DEPRECATED_METRICS or metric not in INSIGHT_METRICS:
            return invalid_parameter(
                f"metric[{asked.index(metric)}] must be one of the following values: "
                + ", ".join(INSIGHT_METRICS)
            )
    media_id = request.params["media_id"]
    with store.lock:
        media = store.media.get(media_id)
        values = _insight_values(store, media) if media is not None else {}
    if media is None:
        return graph_error(
            100,
            f"Unsupported get request. Object with ID '{media_id}' does not exist, cannot be "
            "loaded due to missing permissions, or does not support this operation.",
            error_type="GraphMethodException",
            subcode=33,
        )
    data = [
        {
            "name": metric,
            "period": "lifetime",
            "values": [{"value": values[metric]}],
            "title": metric.replace("_", " ").capitalize(),
            "description": "",
            "id": f"{media_id}/insights/{metric}/lifetime",
        }
        for metric in asked
        if values.get(metric) is not None
    ]
    return json_response({"data": data})


def configure(store: InstagramStore, data: dict[str, Any]) -> str:
    return apply_settings(store.settings, data)


CREATE_HANDLERS = {create_container, publish}
ROUTES = [
    ("POST", r"/(?P<ig_user_id>\d+)/media", create_container, True),
    ("GET", r"/(?P<ig_user_id>\d+)/media", list_media, True),
    ("POST", r"/(?P<ig_user_id>\d+)/media_publish", publish, True),
    ("GET", r"/(?P<ig_user_id>\d+)/content_publishing_limit", publishing_limit, True),
    ("GET", r"/(?P<media_id>\d+)/insights", insights, True),
    ("GET", r"/(?P<object_id>\d+)", get_object, True),
]
