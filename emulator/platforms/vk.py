"""VK API under ``/vk/method``: ``{base}/{method}?access_token=…&v=5.199``, as
``https://api.vk.com/method/{method}``; the wall photo upload server under ``/vk/upload``.

GET or POST (urlencoded or multipart; a JSON body is not read, as VK). Methods:
groups.getById, wall.post, wall.get, wall.getById, photos.getWallUploadServer,
photos.saveWallPhoto, polls.create, polls.getById. Answers ``{"response": …}`` or, with
HTTP 200, ``{"error": {"error_code", "error_msg", "request_params": [{"key", "value"}]}}``.
Facts: docs/platform-api-facts-native.md, section 5 (VK API).

Tokens are registered (``VkState.add_token``): a user token acts for a user who
administers some communities; a community token for one community (refused on the
user-only methods); a service token reads only. The state lives in ``VkState``, one per
``EmulatorState`` (``state_of``).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from html import escape
from typing import Any

from emulator.platforms import media
from emulator.state import EmulatorState, Fault
from emulator.wire import Request, Response, json_response, text_response

PREFIX = "/vk"
API_PATH = "/method"
UPLOAD_PATH = "/upload"
# Requests to these paths are the platform's (recorded, faults); wall pages are not.
RECORDED_PATHS = rf"^{PREFIX}(?:{API_PATH}|{UPLOAD_PATH})/"
CURRENT_VERSION = "5.199"
DEFAULT_GROUP_ID = 229000001
DEFAULT_USER_ID = 1001
USER_TOKEN = "vk1.a.emulator-user-token"  # noqa: S105 (emulator demo)
GROUP_TOKEN = "vk1.a.emulator-community-token"  # noqa: S105 (emulator demo)
SERVICE_TOKEN = "emulator-service-token"  # noqa: S105 (emulator demo)
ALBUM_ID = -14  # the wall album
# Photo upload limits (JPG/PNG/GIF, 50 MB, width + height <= 14000, ratio <= 20; 3rd-party).
PHOTO_MAX_BYTES = 50 * 1024 * 1024
PHOTO_MAX_SIDES = 14000
PHOTO_MAX_RATIO = 20
PHOTO_FORMATS = {"JPEG", "PNG", "GIF"}
CAPTION_LIMIT = 2048
POLL_ANSWERS = (1, 10)
ERRORS = {
    1: "Unknown error occurred",
    3: "Unknown method passed",
    5: "User authorization failed",
    6: "Too many requests per second",
    8: "Invalid request",
    9: "Flood control",
    10: "Internal server error",
    14: "Captcha needed",
    15: "Access denied",
    27: "Group authorization failed: method is unavailable with group auth.",
    28: "Application authorization failed: method is unavailable with service token.",
    100: "One of the parameters specified was missing or invalid",
    118: "Invalid server",
    121: "Invalid hash",
    214: "Access to adding post denied",
}
TOKEN_KINDS = ("user", "group", "service")


class VkError(Exception):
    def __init__(self, code: int, message: str = "", **extra: Any) -> None:
        text = ERRORS.get(code, "Unknown error occurred")
        if message:
            text = f"{text}: {message}"
        super().__init__(text)
        self.code = code
        self.message = text
        self.extra = extra


def error_body(
    code: int, message: str, request_params: list[dict[str, str]], **extra: Any
) -> dict[str, Any]:
    return {
        "error": {
            "error_code": code,
            "error_msg": message,
            "request_params": request_params,
            **extra,
        }
    }


def _request_params(method: str, params: media.Params) -> list[dict[str, str]]:
    listed = [{"key": "method", "value": method}, {"key": "oauth", "value": "1"}]
    for key in params.values:
        if key != "access_token":
            listed.append({"key": key, "value": params.text(key)})
    return listed


def invalid(message: str) -> VkError:
    return VkError(100, message)


@dataclass
class VkConfig:
    """How the emulated API behaves (``POST /_control/vk/config``)."""

    # Requests per second per token (facts 5.4: user 3/s, community 20/s).
    user_rps: int = 3
    group_rps: int = 20
    service_rps: int = 20
    # The error a community token gets on a user-only method: 27 or 15 (not confirmed).
    group_token_error: int = 27
    posts_per_day: int = 50  # per community, then error 214 (3rd-party)
    message_limit: int = 16384  # wall.post text (not confirmed: no vendor number found)
    views_per_second: float = 1.0  # how fast wall post views grow (likes etc. follow)


@dataclass
class Token:
    token: str
    kind: str  # user | group | service
    user_id: int = 0  # user tokens
    groups: list[int] = field(default_factory=list)  # user: administered; group: its own


@dataclass
class Group:
    id: int
    name: str
    screen_name: str

    def info(self) -> dict[str, Any]:
        photo = f"https://sun1-1.userapi.com/emulator/group{self.id}"
        return {
            "id": self.id,
            "name": self.name,
            "screen_name": self.screen_name,
            "is_closed": 0,
            "type": "page",
            "photo_50": f"{photo}_50.png",
            "photo_100": f"{photo}_100.png",
            "photo_200": f"{photo}_200.png",
        }


@dataclass
class VkState:
    config: VkConfig = field(default_factory=VkConfig)
    base_url: str = ""
    tokens: dict[str, Token] = field(default_factory=dict)
    groups: dict[int, Group] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)  # upload server sessions
    uploaded: dict[str, dict[str, Any]] = field(default_factory=dict)  # hash -> upload
    photos: dict[str, dict[str, Any]] = field(default_factory=dict)  # "owner_id" -> photo
    polls: dict[str, dict[str, Any]] = field(default_factory=dict)
    posts: dict[str, dict[str, Any]] = field(default_factory=dict)  # "-gid_pid" -> post
    next_post_id: dict[int, int] = field(default_factory=dict)
    calls: dict[str, list[float]] = field(default_factory=dict)  # token -> call times
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _ids: int = 457239000

    def __post_init__(self) -> None:
        self.add_group(DEFAULT_GROUP_ID, "Quiz demo", "quiz_demo")
        self.add_token(USER_TOKEN, "user", user_id=DEFAULT_USER_ID, groups=[DEFAULT_GROUP_ID])
        self.add_token(GROUP_TOKEN, "group", groups=[DEFAULT_GROUP_ID])
        self.add_token(SERVICE_TOKEN, "service")

    # --- set-up -----------------------------------------------------------------------
    def add_group(self, group_id: int, name: str, screen_name: str = "") -> Group:
        if group_id <= 0:
            raise ValueError("A community id is a positive number (owner_id is its negative).")
        group = Group(group_id, name, screen_name or f"club{group_id}")
        with self.lock:
            self.groups[group_id] = group
        return group

    def add_token(
        self, token: str, kind: str, *, user_id: int = 0, groups: list[int] | None = None
    ) -> Token:
        if kind not in TOKEN_KINDS:
            raise ValueError(f"kind must be one of {', '.join(TOKEN_KINDS)}.")
        if not token:
            raise ValueError("token is required.")
        if kind == "group" and len(groups or []) != 1:
            raise ValueError("A community token belongs to exactly one community.")
        entry = Token(token, kind, user_id or (DEFAULT_USER_ID if kind == "user" else 0))
        entry.groups = list(groups or [])
        with self.lock:
            self.tokens[token] = entry
            self.revoked.discard(token)
        return entry

    def revoke(self, token: str) -> None:
        """The user revoked the app (or the token expired): error 5 from now on."""
        with self.lock:
            self.revoked.add(token)

    def next_id(self) -> int:
        with self.lock:
            self._ids += 1
            return self._ids

    def reset(self) -> None:
        """Forget uploads, photos, polls, posts and the rate counters (set-up stays)."""
        with self.lock:
            for mapping in (
                self.uploads,
                self.uploaded,
                self.photos,
                self.polls,
                self.posts,
                self.next_post_id,
                self.calls,
            ):
                mapping.clear()

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "config": asdict(self.config),
                "groups": [asdict(g) for g in self.groups.values()],
                "photos": [dict(p) for p in self.photos.values()],
                "polls": [dict(p) for p in self.polls.values()],
                "posts": [self.post_view(p) for p in self.posts.values()],
            }

    # --- metrics ----------------------------------------------------------------------
    def post_view(self, post: dict[str, Any]) -> dict[str, Any]:
        """A wall post as the API shows it now: views, likes, reposts and comments grow
        with the post's age (``views_per_second``), plus what ``set_metrics`` added."""
        view = {k: v for k, v in post.items() if not k.startswith("_")}
        age = max(0.0, time.time() - post["_created"])
        extra = post["_metrics"]
        views = int(age * self.config.views_per_second) + extra.get("views", 0)
        view["views"] = {"count": views}
        view["likes"] = {
            "count": views // 10 + extra.get("likes", 0),
            "user_likes": 0,
            "can_like": 1,
            "can_publish": 1,
        }
        view["reposts"] = {"count": views // 50 + extra.get("reposts", 0), "user_reposted": 0}
        view["comments"] = {"count": views // 25 + extra.get("comments", 0), "can_post": 1}
        return view

    def set_metrics(self, owner_id: int, post_id: int, **counts: int) -> None:
        """Add to a post's views/likes/reposts/comments (on top of the growth)."""
        with self.lock:
            post = self.posts.get(f"{owner_id}_{post_id}")
            if post is None:
                raise ValueError(f"No post {owner_id}_{post_id}.")
            for name, value in counts.items():
                if name not in ("views", "likes", "reposts", "comments"):
                    raise ValueError(f"Unknown metric {name}.")
                post["_metrics"][name] = post["_metrics"].get(name, 0) + int(value)

    def vote(self, owner_id: int, poll_id: int, answer: int, count: int = 1) -> dict[str, Any]:
        """``count`` people vote for answer number ``answer`` (0-based)."""
        with self.lock:
            poll = self.polls.get(f"{owner_id}_{poll_id}")
            if poll is None:
                raise ValueError(f"No poll {owner_id}_{poll_id}.")
            poll["answers"][answer]["votes"] += count
            poll["votes"] += count
            for item in poll["answers"]:
                item["rate"] = round(100 * item["votes"] / poll["votes"], 2) if poll["votes"] else 0
            return json.loads(json.dumps(poll))

    # --- rate limit -------------------------------------------------------------------
    def take_call(self, token: Token) -> None:
        limit = {
            "user": self.config.user_rps,
            "group": self.config.group_rps,
            "service": self.config.service_rps,
        }[token.kind]
        now = time.monotonic()
        with self.lock:
            recent = [t for t in self.calls.get(token.token, []) if now - t < 1.0]
            if len(recent) >= limit:
                self.calls[token.token] = recent
                raise VkError(6)
            recent.append(now)
            self.calls[token.token] = recent


def state_of(state: EmulatorState) -> VkState:
    """The VK part of the emulator's state (made on first use)."""
    with state.lock:
        found = state.extensions.get("vk")
        if not isinstance(found, VkState):
            found = VkState()
            state.extensions["vk"] = found
        found.base_url = state.base_url
        return found


# --- requests ---------------------------------------------------------------------------
def _token_text(request: Request, params: media.Params) -> str:
    return params.text("access_token") or request.bearer_token()


def authenticate(request: Request) -> Response | None:
    """Version first (error 8), then a token at all (error 5); the rest per method."""
    method = request.params.get("method", "")
    params = media.parse_params(request, json_body=False)
    listed = _request_params(method, params)
    version = params.text("v")
    if not version:
        return json_response(error_body(8, "Invalid request: v (version) is required", listed))
    try:
        major = tuple(int(part) for part in version.split("."))
    except ValueError:
        major = (0,)
    if major < (5, 0):
        return json_response(
            error_body(8, "Invalid request: versions below 5.0 are no longer supported", listed)
        )
    if not _token_text(request, params):
        return json_response(
            error_body(5, "User authorization failed: no access_token passed.", listed)
        )
    return None


Method = Callable[[VkState, Token, media.Params], Any]


def _method(
    function: Method, kinds: tuple[str, ...]
) -> Callable[[EmulatorState, Request], Response]:
    def handler(state: EmulatorState, request: Request) -> Response:
        vk = state_of(state)
        params = media.parse_params(request, json_body=False)
        name = request.params.get("method", "")
        try:
            text = _token_text(request, params)
            with vk.lock:
                token = vk.tokens.get(text)
                revoked = text in vk.revoked
            if token is None or revoked:
                raise VkError(5, "invalid access_token (4).")
            vk.take_call(token)
            if token.kind not in kinds:
                if token.kind == "group":
                    code = vk.config.group_token_error
                    raise VkError(
                        code, "" if code == 27 else "method is unavailable with group auth"
                    )
                raise VkError(28)
            return json_response({"response": function(vk, token, params)})
        except VkError as exc:
            return json_response(
                error_body(exc.code, exc.message, _request_params(name, params), **exc.extra)
            )

    handler.__name__ = function.__name__
    return handler


def _int_param(params: media.Params, name: str, *, required: bool = True, default: int = 0) -> int:
    text = params.text(name).strip()
    if not text:
        if required:
            raise invalid(f"{name} is a required parameter")
        return default
    try:
        return int(text)
    except ValueError:
        raise invalid(f"{name} not integer") from None


def _admin_group(vk: VkState, token: Token, group_id: int) -> Group:
    group = vk.groups.get(group_id)
    if group is None:
        raise invalid("group_id is invalid")
    if group_id not in token.groups:
        raise VkError(15, "no access to this community")
    return group


# --- methods ----------------------------------------------------------------------------
def groups_get_by_id(vk: VkState, token: Token, params: media.Params) -> Any:
    raw = params.text("group_ids") or params.text("group_id")
    if not raw:
        if token.kind != "group":
            raise invalid("group_ids is undefined")
        raw = str(token.groups[0])
    found = []
    for part in (p.strip() for p in raw.split(",") if p.strip()):
        group = next(
            (
                g
                for g in vk.groups.values()
                if str(g.id) == part.lstrip("-") or g.screen_name == part
            ),
            None,
        )
        if group is None:
            raise invalid("group_ids is invalid")
        info = group.info()
        if token.kind in ("user", "group"):
            admin = group.id in token.groups
            info["is_admin"] = int(admin)
            if admin:
                info["admin_level"] = 3
            info["is_member"] = int(admin)
        found.append(info)
    return {"groups": found, "profiles": []}


def get_wall_upload_server(vk: VkState, token: Token, params: media.Params) -> Any:
    group_id = _int_param(params, "group_id", required=False)
    if group_id:
        _admin_group(vk, token, group_id)
    server = str(600000 + secrets.randbelow(100000))
    session = secrets.token_hex(12)
    with vk.lock:
        vk.uploads[session] = {"server": server, "group_id": group_id, "user_id": token.user_id}
    url = (
        f"{vk.base_url}{PREFIX}{UPLOAD_PATH}/wall/{session}"
        f"?act=do_add&mid={token.user_id}&aid={ALBUM_ID}&gid={group_id}"
    )
    return {"album_id": ALBUM_ID, "upload_url": url, "user_id": token.user_id}


def upload(state: EmulatorState, request: Request) -> Response:
    """The upload server: multipart field ``photo`` → ``{"server", "photo", "hash"}``;
    ``"photo": "[]"`` when the file is missing or not an acceptable picture."""
    vk = state_of(state)
    with vk.lock:
        session = vk.uploads.get(request.params["session"])
    if session is None:
        return json_response({"error": "ERR_UPLOAD_BAD_URL: invalid upload url"})
    _, files = media.parse_multipart(request.header("content-type"), request.body)
    picture = files.get("photo")
    server = session["server"]
    photo = "[]"
    info = media.inspect_image(picture.data) if picture is not None else None
    if (
        info is not None
        and info.format in PHOTO_FORMATS
        and info.size <= PHOTO_MAX_BYTES
        and info.width + info.height <= PHOTO_MAX_SIDES
        and max(info.width, info.height) <= PHOTO_MAX_RATIO * min(info.width, info.height)
    ):
        photo = json.dumps(
            [
                {
                    "photo": secrets.token_hex(5) + ":w",
                    "sizes": [],
                    "kid": secrets.token_hex(16),
                    "debug": f"{info.format.lower()} {info.width}x{info.height}",
                }
            ],
            separators=(",", ":"),
        )
    digest = hashlib.sha256(f"{server}:{photo}:{request.params['session']}".encode()).hexdigest()
    upload_hash = digest[:32]
    with vk.lock:
        vk.uploaded[upload_hash] = {
            **session,
            "photo": photo,
            "width": info.width if info else 0,
            "height": info.height if info else 0,
            "saved": False,
        }
    return json_response({"server": int(server), "photo": photo, "hash": upload_hash})


def save_wall_photo(vk: VkState, token: Token, params: media.Params) -> Any:
    group_id = _int_param(params, "group_id", required=False)
    if group_id:
        _admin_group(vk, token, group_id)
    photo = params.text("photo")
    server = params.text("server")
    upload_hash = params.text("hash")
    if not photo:
        raise invalid("photo is undefined")
    with vk.lock:
        found = vk.uploaded.get(upload_hash)
        if found is None or found["photo"] != photo:
            raise VkError(121)
        if found["server"] != server:
            raise VkError(118)
        if photo == "[]" or found["saved"]:
            raise invalid("photos_list is invalid")
        if found["group_id"] != group_id:
            raise invalid("group_id is invalid")
        found["saved"] = True
    caption = params.text("caption")
    if len(caption) > CAPTION_LIMIT:
        raise invalid("caption is too long")
    owner_id = -group_id if group_id else token.user_id
    photo_id = vk.next_id()
    width, height = found["width"], found["height"]
    sizes = []
    for kind, side in (("s", 75), ("m", 130), ("x", 604), ("y", 807), ("z", 1080), ("w", 2560)):
        scale = min(1.0, side / max(width, height))
        sizes.append(
            {
                "type": kind,
                "width": round(width * scale),
                "height": round(height * scale),
                "url": f"https://sun9-1.userapi.com/emulator/{owner_id}_{photo_id}_{kind}.jpg",
            }
        )
    saved = {
        "id": photo_id,
        "album_id": ALBUM_ID,
        "owner_id": owner_id,
        "user_id": 100 if group_id else token.user_id,
        "date": int(time.time()),
        "sizes": sizes,
        "text": caption,
        "has_tags": False,
        "access_key": secrets.token_hex(9),
    }
    with vk.lock:
        vk.photos[f"{owner_id}_{photo_id}"] = saved
    return [saved]


def polls_create(vk: VkState, token: Token, params: media.Params) -> Any:
    owner_id = _int_param(params, "owner_id", required=False, default=token.user_id)
    if owner_id < 0:
        _admin_group(vk, token, -owner_id)
    question = params.text("question")
    if not question.strip():
        raise invalid("question is undefined")
    try:
        answers = json.loads(params.text("add_answers") or "null")
    except ValueError:
        answers = None
    if not isinstance(answers, list) or not all(isinstance(a, str) and a.strip() for a in answers):
        raise invalid("add_answers is invalid")
    low, high = POLL_ANSWERS
    if not low <= len(answers) <= high:
        raise invalid(f"add_answers must hold from {low} to {high} answers")
    poll_id = vk.next_id()
    poll = {
        "multiple": params.text("is_multiple") == "1",
        "end_date": _int_param(params, "end_date", required=False),
        "closed": False,
        "is_board": False,
        "can_edit": True,
        "can_vote": True,
        "can_report": False,
        "can_share": True,
        "created": int(time.time()),
        "id": poll_id,
        "owner_id": owner_id,
        "question": question,
        "votes": 0,
        "disable_unvote": params.text("disable_unvote") == "1",
        "anonymous": params.text("is_anonymous") == "1",
        "friends": [],
        "answer_ids": [],
        "embed_hash": secrets.token_hex(16),
        "answers": [{"id": vk.next_id(), "rate": 0, "text": text, "votes": 0} for text in answers],
        "author_id": token.user_id,
    }
    with vk.lock:
        vk.polls[f"{owner_id}_{poll_id}"] = poll
    return json.loads(json.dumps(poll))


def polls_get_by_id(vk: VkState, token: Token, params: media.Params) -> Any:
    owner_id = _int_param(params, "owner_id", required=False, default=token.user_id)
    poll_id = _int_param(params, "poll_id")
    with vk.lock:
        poll = vk.polls.get(f"{owner_id}_{poll_id}")
        if poll is None:
            raise invalid("poll_id is invalid")
        return json.loads(json.dumps(poll))


def _attachments(vk: VkState, text: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    items = [item.strip() for item in text.split(",") if item.strip()]
    if len(items) > 10:
        raise invalid("attachments: too many attachments")
    for item in items:
        if item.startswith(("http://", "https://")):
            found.append({"type": "link", "link": {"url": item, "title": item}})
            continue
        for kind, store in (("photo", vk.photos), ("poll", vk.polls)):
            if item.startswith(kind):
                key = "_".join(item[len(kind) :].split("_")[:2])
                with vk.lock:
                    target = store.get(key)
                if target is None:
                    raise invalid(f"attachments is invalid: {item} not found")
                found.append({"type": kind, kind: json.loads(json.dumps(target))})
                break
        else:
            raise invalid(f"attachments is invalid: {item}")
    return found


def wall_post(vk: VkState, token: Token, params: media.Params) -> Any:
    owner_id = _int_param(params, "owner_id", required=False, default=token.user_id)
    if owner_id < 0:
        if vk.groups.get(-owner_id) is None:
            raise invalid("owner_id is invalid")
        if -owner_id not in token.groups:
            raise VkError(214)
    elif owner_id != token.user_id:
        raise VkError(214)
    message = params.text("message")
    attachments = params.text("attachments")
    if not message.strip() and not attachments.strip():
        raise invalid("message is empty or invalid")
    if len(message) > vk.config.message_limit:
        raise invalid("message is too long")
    attached = _attachments(vk, attachments)
    guid = params.text("guid")
    from_group = params.text("from_group") == "1" and owner_id < 0
    now = time.time()
    with vk.lock:
        if guid:
            for post in vk.posts.values():
                if post["owner_id"] == owner_id and post["_guid"] == guid:
                    return {"post_id": post["id"]}
        day = [
            p
            for p in vk.posts.values()
            if p["owner_id"] == owner_id and now - p["_created"] < 86400
        ]
        if owner_id < 0 and len(day) >= vk.config.posts_per_day:
            raise VkError(214, f"you can only add {vk.config.posts_per_day} posts a day")
        post_id = vk.next_post_id.get(owner_id, 1)
        vk.next_post_id[owner_id] = post_id + 1
        vk.posts[f"{owner_id}_{post_id}"] = {
            "id": post_id,
            "owner_id": owner_id,
            "from_id": owner_id if from_group else token.user_id,
            "created_by": token.user_id,
            "date": int(now),
            "post_type": "post",
            "text": message,
            "attachments": attached,
            "post_source": {"type": "api"},
            "_created": now,
            "_guid": guid,
            "_metrics": {},
        }
    return {"post_id": post_id}


def wall_get(vk: VkState, token: Token, params: media.Params) -> Any:
    owner_id = _int_param(params, "owner_id", required=False, default=token.user_id)
    count = min(max(_int_param(params, "count", required=False, default=20), 0), 100)
    offset = max(_int_param(params, "offset", required=False), 0)
    with vk.lock:
        posts = [p for p in vk.posts.values() if p["owner_id"] == owner_id]
        newest = sorted(posts, key=lambda p: p["id"], reverse=True)
        return {
            "count": len(newest),
            "items": [vk.post_view(p) for p in newest[offset : offset + count]],
        }


def wall_get_by_id(vk: VkState, token: Token, params: media.Params) -> Any:
    wanted = [p.strip() for p in params.text("posts").split(",") if p.strip()]
    if not wanted:
        raise invalid("posts is undefined")
    with vk.lock:
        return {"items": [vk.post_view(vk.posts[key]) for key in wanted if key in vk.posts]}


USER = ("user",)
READERS = ("user", "service")
METHODS: dict[str, tuple[Method, tuple[str, ...]]] = {
    "groups.getById": (groups_get_by_id, TOKEN_KINDS),
    "wall.post": (wall_post, USER),
    "wall.get": (wall_get, READERS),
    "wall.getById": (wall_get_by_id, READERS),
    "photos.getWallUploadServer": (get_wall_upload_server, USER),
    "photos.saveWallPhoto": (save_wall_photo, USER),
    "polls.create": (polls_create, USER),
    "polls.getById": (polls_get_by_id, USER),
}
HANDLERS = {name: _method(function, kinds) for name, (function, kinds) in METHODS.items()}
CREATES = {HANDLERS["wall.post"]}  # what publishes: counted as creates (duplicate checks)


def unknown_method(state: EmulatorState, request: Request) -> Response:
    params = media.parse_params(request, json_body=False)
    listed = _request_params(request.params.get("method", ""), params)
    return json_response(error_body(3, ERRORS[3], listed))


ROUTES = [
    *[
        (verb, rf"{API_PATH}/(?P<method>{re.escape(name)})", handler, True)
        for name, handler in HANDLERS.items()
        for verb in ("GET", "POST")
    ],
    *[(verb, rf"{API_PATH}/(?P<method>[^/]*)", unknown_method, True) for verb in ("GET", "POST")],
    ("POST", rf"{UPLOAD_PATH}/wall/(?P<session>\w+)", upload, False),
]


# --- faults -----------------------------------------------------------------------------
def fault_answer(fault: Fault) -> Response:
    """What VK answers for a fault armed on the ``vk`` platform: API errors come with
    HTTP 200; a ``status`` fault answers that HTTP status."""
    listed = [{"key": "oauth", "value": "1"}]
    if fault.fault == "rate_limit":
        code = fault.code or 6
        return json_response(error_body(code, ERRORS.get(code, ERRORS[6]), listed))
    if fault.fault == "flood_control":
        return json_response(error_body(9, ERRORS[9], listed))
    if fault.fault == "captcha":
        sid = str(secrets.randbelow(10**12))
        return json_response(
            error_body(
                14,
                ERRORS[14],
                listed,
                captcha_sid=sid,
                captcha_img=f"https://api.vk.com/captcha.php?sid={sid}&s=1",
            )
        )
    if fault.fault == "expired_token":
        message = "User authorization failed: access_token has expired."
        return json_response(error_body(5, message, listed))
    code = fault.code or (10 if fault.status >= 500 else 100)
    return json_response(error_body(code, ERRORS.get(code, ERRORS[1]), listed), fault.status)


# --- pages and control ------------------------------------------------------------------
def wall_page(state: EmulatorState, request: Request) -> Response:
    vk = state_of(state)
    key = f"-{request.params['group_id']}_{request.params['post_id']}"
    with vk.lock:
        post = vk.posts.get(key)
        view = vk.post_view(post) if post else None
    if view is None:
        body = f"<h1>No post wall{escape(key)}</h1>"
        status = 404
    else:
        parts = [f"<h1>wall{escape(key)}</h1>", f"<pre>{escape(view['text'])}</pre>"]
        for item in view["attachments"]:
            if item["type"] == "poll":
                answers = "".join(
                    f"<li>{escape(a['text'])} — {a['votes']}</li>" for a in item["poll"]["answers"]
                )
                parts.append(f"<h2>{escape(item['poll']['question'])}</h2><ol>{answers}</ol>")
            elif item["type"] == "photo":
                parts.append(f"<p>Photo {item['photo']['id']}</p>")
        parts.append(f"<p><small>views {view['views']['count']}</small></p>")
        body, status = "".join(parts), 200
    html = (
        '<!doctype html><html lang="ru"><head><meta charset="utf-8">'
        f"<title>VK wall{escape(key)}</title></head><body><p><small>Platform emulator · VK"
        f"</small></p>{body}</body></html>"
    )
    return text_response(html, status, "text/html")


PAGE_ROUTES = [("GET", r"/wall-(?P<group_id>\d+)_(?P<post_id>\d+)", wall_page, False)]


def _control_error(message: str) -> Response:
    return json_response({"error": message}, 400)


def control_config(state: EmulatorState, request: Request) -> Response:
    data = request.json()
    if not isinstance(data, dict):
        return _control_error("Send a JSON object.")
    vk = state_of(state)
    with vk.lock:
        config = vk.config
        for name in (
            "user_rps",
            "group_rps",
            "service_rps",
            "group_token_error",
            "posts_per_day",
            "message_limit",
        ):
            if name in data:
                value = data[name]
                if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                    return _control_error(f"{name} must be a whole number, 1 or more.")
                setattr(config, name, value)
        if config.group_token_error not in (15, 27):
            config.group_token_error = 27
            return _control_error("group_token_error must be 15 or 27.")
        if "views_per_second" in data:
            try:
                config.views_per_second = max(float(data["views_per_second"]), 0.0)
            except (TypeError, ValueError):
                return _control_error("views_per_second must be a number.")
        return json_response({"config": asdict(config)})


def control_tokens(state: EmulatorState, request: Request) -> Response:
    data = request.json()
    if not isinstance(data, dict) or not isinstance(data.get("token"), str):
        return _control_error('Send {"token": "…", "kind": "user", "groups": [123]}.')
    vk = state_of(state)
    if data.get("revoked"):
        vk.revoke(data["token"])
        return json_response({"revoked": True})
    try:
        groups = [int(g) for g in data.get("groups") or []]
        token = vk.add_token(
            data["token"],
            str(data.get("kind") or "user"),
            user_id=int(data.get("user_id") or 0),
            groups=groups,
        )
    except (TypeError, ValueError) as exc:
        return _control_error(str(exc))
    return json_response({"kind": token.kind, "user_id": token.user_id, "groups": token.groups})


def control_groups(state: EmulatorState, request: Request) -> Response:
    data = request.json()
    if not isinstance(data, dict) or "id" not in data:
        return _control_error('Send {"id": 123, "name": "…", "screen_name": "…"}.')
    try:
        group = state_of(state).add_group(
            int(data["id"]),
            str(data.get("name") or "Community"),
            str(data.get("screen_name") or ""),
        )
    except (TypeError, ValueError) as exc:
        return _control_error(str(exc))
    return json_response({"group": group.info()})


def control_state(state: EmulatorState, request: Request) -> Response:
    return json_response(state_of(state).snapshot())


CONTROL_PREFIX = "/_control/vk"
CONTROL_ROUTES = [
    ("GET", r"/state", control_state, False),
    ("POST", r"/config", control_config, False),
    ("POST", r"/tokens", control_tokens, False),
    ("POST", r"/groups", control_groups, False),
]
