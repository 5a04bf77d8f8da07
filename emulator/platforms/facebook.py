"""Facebook Graph API (Pages) under ``/facebook/v26.0/``: photo and feed posts,
permalinks, the page's published posts and ``debug_token``.

Error envelope and codes: https://developers.facebook.com/docs/graph-api/guides/error-handling
(see docs/platform-api-facts.md, section 2 (Facebook)).
"""

from __future__ import annotations

import re
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from emulator import engagement, media
from emulator.state import EmulatorState, Fault
from emulator.wire import Request, Response, json_response

PREFIX = r"/facebook/v\d+\.\d+"
APP_ID = "1234567890123456"
PAGE_NAME = "Quiz demo page"
POST_FIELDS = ("id", "message", "created_time", "permalink_url", "full_picture")
SCOPES = ["pages_manage_posts", "pages_read_engagement", "pages_show_list"]
# Page photos: JPEG, BMP, PNG, GIF or TIFF, under 10 MB (Graph API photo reference).
PHOTO_FORMATS = {"JPEG", "BMP", "PNG", "GIF", "TIFF"}
PHOTO_MAX_BYTES = 10 * 1024 * 1024
THROTTLE_MESSAGES = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
}


def graph_error(
    status: int,
    code: int,
    message: str,
    *,
    error_type: str = "OAuthException",
    subcode: int | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "message": message,
        "type": error_type,
        "code": code,
        "fbtrace_id": "A" + secrets.token_urlsafe(12),
    }
    if subcode is not None:
        body["error_subcode"] = subcode
    return json_response({"error": body}, status, headers)


def expired_token() -> Response:
    when = datetime.now(UTC).strftime("%A, %d-%b-%y %H:%M:%S UTC")
    return graph_error(
        400,
        190,
        f"Error validating access token: Session has expired on {when}. "
        "The current time is later than the expiry time.",
        subcode=463,
    )


def throttled(code: int, status: int = 400, retry_after: int | None = None) -> Response:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    message = THROTTLE_MESSAGES.get(code, f"(#{code}) Request limit reached")
    return graph_error(status, code, message, headers=headers)


def server_error(status: int, code: int | None = None) -> Response:
    if status >= 500:
        return graph_error(
            status, code or 1, "An unknown error has occurred.", error_type="OAuthException"
        )
    return invalid_parameter("Invalid parameter", code=code or 100, status=status)


def invalid_parameter(message: str, *, code: int = 100, status: int = 400) -> Response:
    return graph_error(status, code, f"(#{code}) {message}")


def token_of(request: Request) -> str:
    return (
        request.bearer_token()
        or request.query.get("access_token", "")
        or request.form().get("access_token", "")
    )


def authenticate(request: Request) -> Response | None:
    if token_of(request):
        return None
    return graph_error(400, 104, "An access token is required to request this resource.")


def _created_time() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _store_post(state: EmulatorState, page_id: str, **fields: Any) -> dict[str, Any]:
    post_id = f"{page_id}_{100000000000 + state.next_id()}"
    post = {
        "id": post_id,
        "page_id": page_id,
        "created_time": _created_time(),
        "permalink_url": state.page_url("post", post_id),
        **fields,
    }
    with state.lock:
        state.fb_posts[post_id] = post
    return post


def _is_url(value: str) -> bool:
    return value.startswith(("http://", "https://")) and len(value) <= 2048


def publish_photo(state: EmulatorState, request: Request) -> Response:
    form = request.form()
    url = form.get("url", "")
    if not url:
        return invalid_parameter("Requires upload file", code=324)
    if not _is_url(url):
        return invalid_parameter("url should represent a valid URL")
    probe: dict[str, Any] | None = {"format": "PNG", "width": 1080, "height": 1350, "bytes": 0}
    if state.check_media:
        fetched = media.fetch(url, PHOTO_MAX_BYTES - 1)
        if fetched.too_large:
            return invalid_parameter("The photo is too large: photos must be under 10 MB")
        if fetched.error:
            return invalid_parameter("Missing or invalid image file", code=324)
        probe = media.probe_image(fetched.body)
    if probe is None or probe["format"] not in PHOTO_FORMATS:
        return invalid_parameter("Missing or invalid image file", code=324)
    photo_id = str(200000000000 + state.next_id())
    post = _store_post(
        state,
        request.params["page_id"],
        message=form.get("caption") or form.get("message") or "",
        full_picture=url,
        photo_id=photo_id,
        images=[{"source": url, "width": probe["width"], "height": probe["height"]}],
    )
    with state.lock:
        state.fetched_media[post["id"]] = probe
    return json_response({"id": photo_id, "post_id": post["id"]})


def publish_feed(state: EmulatorState, request: Request) -> Response:
    form = request.form()
    message, link = form.get("message", ""), form.get("link", "")
    if not message and not link:
        return invalid_parameter("Missing message or attachment")
    if link and not _is_url(link):
        return invalid_parameter("link should represent a valid URL")
    post = _store_post(state, request.params["page_id"], message=message, link=link)
    return json_response({"id": post["id"]})


def _fields(request: Request, default: tuple[str, ...]) -> list[str]:
    raw = request.query.get("fields", "")
    return [f.strip() for f in raw.split(",") if f.strip()] or list(default)


def _select(post: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    picked = {name: post[name] for name in fields if name in post and name in POST_FIELDS}
    picked["id"] = post["id"]
    return picked


def get_object(state: EmulatorState, request: Request) -> Response:
    object_id = request.params["object_id"]
    with state.lock:
        post = state.fb_posts.get(object_id) or next(
            (p for p in state.fb_posts.values() if p.get("photo_id") == object_id), None
        )
    if post is not None:
        return json_response(_select(post, _fields(request, ("id", "message", "created_time"))))
    if object_id.isdigit():
        return json_response({"id": object_id, "name": PAGE_NAME})
    return graph_error(
        400,
        100,
        f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation.",
        error_type="GraphMethodException",
        subcode=33,
    )


INSIGHT_METRICS = {"post_media_view", "post_total_media_view_unique", "post_clicks"}
MAX_IDS = 50
_INSIGHTS_FIELD = re.compile(r"insights\.metric\(([^)]*)\)")


def _split_fields(raw: str) -> list[str]:
    """Top-level fields of a ``fields`` list: commas inside ``(…)`` do not split."""
    parts, depth, current = [], 0, ""
    for char in raw:
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    return [p for p in [*parts, current.strip()] if p]


def engagement_fields(
    state: EmulatorState, post: dict[str, Any], fields: list[str]
) -> dict[str, Any] | Response:
    """A post's reactions, comments, shares and insights, grown with its age."""
    grown = engagement.counts(
        state, engagement.age_seconds(state, post["created_time"], "%Y-%m-%dT%H:%M:%S%z")
    )
    found: dict[str, Any] = {"id": post["id"]}
    for field in fields:
        name = field.split(".")[0]
        if name == "reactions":
            found["reactions"] = {
                "data": [],
                "summary": {"total_count": grown["reactions"], "viewer_reaction": "NONE"},
            }
        elif name == "comments":
            found["comments"] = {
                "data": [],
                "summary": {
                    "order": "ranked",
                    "total_count": grown["comments"],
                    "can_comment": True,
                },
            }
        elif name == "shares":
            if grown["shares"]:  # Graph leaves "shares" out when nobody shared
                found["shares"] = {"count": grown["shares"]}
        elif name == "insights":
            match = _INSIGHTS_FIELD.fullmatch(field)
            metrics = [m.strip() for m in match.group(1).split(",")] if match else []
            if not metrics or any(m not in INSIGHT_METRICS for m in metrics):
                return invalid_parameter("The value must be a valid insights metric")
            values = {
                "post_media_view": grown["views"],
                "post_total_media_view_unique": grown["reach"],
                "post_clicks": grown["pin_clicks"],
            }
            found["insights"] = {
                "data": [
                    {
                        "name": metric,
                        "period": "lifetime",
                        "values": [{"value": values[metric]}],
                        "title": metric.replace("_", " ").capitalize(),
                        "description": "Lifetime (emulated)",
                        "id": f"{post['id']}/insights/{metric}/lifetime",
                    }
                    for metric in metrics
                ]
            }
        elif name in POST_FIELDS and name in post:
            found[name] = post[name]
    return found


def multiple_ids(state: EmulatorState, request: Request) -> Response:
    """``GET /?ids=a,b&fields=…``: one answer per id; one unknown id fails the call (#803)."""
    ids = [i.strip() for i in request.query.get("ids", "").split(",") if i.strip()]
    if not ids:
        return invalid_parameter("The parameter ids is required")
    if len(ids) > MAX_IDS:
        return invalid_parameter(f"Too many IDs. Maximum: {MAX_IDS}.")
    fields = _split_fields(request.query.get("fields", "")) or ["id"]
    with state.lock:
        posts = {i: state.fb_posts.get(i) for i in ids}
    missing = [i for i, post in posts.items() if post is None]
    if missing:
        return graph_error(
            400, 803, f"(#803) Some of the aliases you requested do not exist: {','.join(missing)}"
        )
    answer: dict[str, Any] = {}
    for post_id, post in posts.items():
        assert post is not None
        found = engagement_fields(state, post, fields)
        if isinstance(found, Response):
            return found
        answer[post_id] = found
    return json_response(answer)


def published_posts(state: EmulatorState, request: Request) -> Response:
    page_id = request.params["page_id"]
    try:
        limit = int(request.query.get("limit") or 25)
    except ValueError:
        return invalid_parameter("limit must be an integer")
    fields = _fields(request, ("id", "message", "created_time"))
    after = request.query.get("after", "")
    start = int(after) if after.isascii() and after.isdigit() else 0  # cursor: an offset
    limit = min(max(limit, 1), 100)
    with state.lock:
        posts = [p for p in state.fb_posts.values() if p["page_id"] == page_id]
    newest_first = list(reversed(posts))
    data = [_select(post, fields) for post in newest_first[start : start + limit]]
    end = start + len(data)
    paging: dict[str, Any] = {"cursors": {"before": str(start), "after": str(end)}}
    if end < len(newest_first):  # Graph: "next" is absent on the last page
        paging["next"] = f"{state.base_url}{request.path}?limit={limit}&after={end}"
    return json_response({"data": data, "paging": paging})


def debug_token(state: EmulatorState, request: Request) -> Response:
    input_token = request.query.get("input_token", "")
    if not input_token:
        return invalid_parameter("The parameter input_token is required")
    now = int(time.time())
    return json_response(
        {
            "data": {
                "app_id": APP_ID,
                "type": "PAGE",
                "application": "Quiz demo app",
                "data_access_expires_at": now + 90 * 24 * 3600,
                "expires_at": 0,
                "is_valid": True,
                "issued_at": now - 3600,
                "profile_id": "104512345678901",
                "scopes": SCOPES,
                "granular_scopes": [{"scope": scope} for scope in SCOPES],
                "user_id": "10000000000001",
            }
        }
    )


ROUTES = [
    ("GET", r"/?", multiple_ids, True),
    ("GET", r"/debug_token", debug_token, True),
    ("POST", r"/(?P<page_id>\d+)/photos", publish_photo, True),
    ("POST", r"/(?P<page_id>\d+)/feed", publish_feed, True),
    ("GET", r"/(?P<page_id>\d+)/(?:published_posts|posts|feed)", published_posts, True),
    ("GET", r"/(?P<object_id>[\w]+)", get_object, True),
]


CREATE_HANDLERS = {publish_photo, publish_feed}


def not_found(method: str, path: str) -> Response:
    return graph_error(400, 100, f"Unknown path components: {path}", error_type="OAuthException")


def status_fault(fault: Fault) -> Response:
    return server_error(fault.status, fault.code)


def rate_limit_fault(fault: Fault, headers: dict[str, str]) -> Response:
    return throttled(fault.code or 4, fault.status, fault.retry_after)
