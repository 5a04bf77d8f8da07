"""Pinterest API v5 under ``/pinterest/v5/``: pins, boards, user account, OAuth refresh.

Shapes follow ``pinterest/api-description`` v5/openapi.yaml (``PinCreate``, ``Pin``,
``Pinterest.Lib.Error``); see docs/platform-api-facts.md, section 1 (Pinterest).
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from emulator import engagement, media
from emulator.state import EmulatorState, Fault
from emulator.wire import Request, Response, json_response, phrase

PREFIX = "/pinterest/v5"
USERNAME = "quiz_demo"
LIMITS = {"title": 100, "description": 800, "alt_text": 500, "link": 2048}
SOURCE_TYPES = {
    "image_url",
    "image_base64",
    "multiple_image_urls",
    "multiple_image_base64",
    "video_id",
    "pin_url",
}
SCOPES = "boards:read,boards:write,pins:read,pins:write,user_accounts:read"
# Static Pins: PNG or JPEG, at most 20 MB (help.pinterest.com, Pinterest product specs).
IMAGE_FORMATS = {"PNG", "JPEG"}
IMAGE_MAX_BYTES = 20 * 1024 * 1024


def error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """``Pinterest.Lib.Error``: ``{"code": <int>, "message": "<str>"}``."""
    return json_response({"code": code, "message": message}, status, headers)


def auth_failed() -> Response:
    return error(401, 2, "Authentication failed.")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _invalid(message: str) -> Response:
    return error(400, 1, f"Invalid parameters. {message}")


def validate_pin(data: Any) -> str:
    """The reason a ``PinCreate`` body is refused, or ``""`` when it is acceptable."""
    if not isinstance(data, dict):
        return "The request body must be a JSON object."
    board_id = data.get("board_id")
    if not isinstance(board_id, str) or not (board_id.isascii() and board_id.isdigit()):
        return "'board_id' must be a string of digits."
    for name, limit in LIMITS.items():
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            return f"'{name}' must be a string."
        if len(value) > limit:
            return f"'{name}' is longer than {limit} characters ({len(value)})."
    section = data.get("board_section_id")
    if section is not None and (not isinstance(section, str) or not section.isdigit()):
        return "'board_section_id' must be a string of digits."
    return _media_problem(data.get("media_source"))


def _media_problem(media: Any) -> str:
    if not isinstance(media, dict):
        return "'media_source' is required and must be an object."
    source_type = media.get("source_type")
    if source_type not in SOURCE_TYPES:
        return f"'media_source.source_type' must be one of {', '.join(sorted(SOURCE_TYPES))}."
    if source_type in ("image_url", "pin_url"):
        url = media.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            return f"'media_source.url' is required for {source_type}."
    elif source_type == "image_base64":
        return _base64_problem(media, "media_source")
    elif source_type in ("multiple_image_urls", "multiple_image_base64"):
        items = media.get("items")
        if not isinstance(items, list) or not 2 <= len(items) <= 5:
            return "'media_source.items' must hold 2 to 5 images."
        for number, item in enumerate(items):
            if not isinstance(item, dict):
                return f"'media_source.items[{number}]' must be an object."
            if source_type == "multiple_image_urls" and not item.get("url"):
                return f"'media_source.items[{number}].url' is required."
            if source_type == "multiple_image_base64":
                problem = _base64_problem(item, f"media_source.items[{number}]")
                if problem:
                    return problem
    elif source_type == "video_id" and not media.get("media_id"):
        return "'media_source.media_id' is required for video_id."
    return ""


def _base64_problem(item: dict[str, Any], where: str) -> str:
    if item.get("content_type") not in ("image/jpeg", "image/png"):
        return f"'{where}.content_type' must be image/jpeg or image/png."
    try:
        base64.b64decode(str(item.get("data") or ""), validate=True)
    except (binascii.Error, ValueError):
        return f"'{where}.data' must be base64."
    if not item.get("data"):
        return f"'{where}.data' is required."
    return ""


def _image_of(media: dict[str, Any]) -> str:
    if media.get("source_type") == "image_url":
        return str(media.get("url") or "")
    items = media.get("items") or []
    if media.get("source_type") == "multiple_image_urls" and items:
        return str(items[0].get("url") or "")
    return ""


def check_image(url: str) -> tuple[dict[str, Any] | None, Response | None]:
    """Download the pin's image like Pinterest does: the probe, or the refusal."""
    fetched = media.fetch(url, IMAGE_MAX_BYTES)
    if fetched.too_large:
        return None, _invalid("The image at 'media_source.url' is larger than 20 MB.")
    if fetched.error:
        return None, _invalid(
            f"Sorry, we could not fetch the image at 'media_source.url' ({fetched.error})."
        )
    probe = media.probe_image(fetched.body)
    if probe is None or probe["format"] not in IMAGE_FORMATS:
        kind = probe["format"] if probe else fetched.content_type or "unknown content"
        return None, _invalid(f"The image must be a PNG or JPEG, not {kind}.")
    return probe, None


def create_pin(state: EmulatorState, request: Request) -> Response:
    data = request.json()
    problem = validate_pin(data)
    if problem:
        return _invalid(problem)
    image = _image_of(data["media_source"])
    probe: dict[str, Any] = {"width": 1000, "height": 1500}
    if image and state.check_media:
        checked, refused = check_image(image)
        if refused is not None:
            return refused
        probe = checked or probe
    pin_id = str(813744000000000000 + state.next_id())
    pin = {
        "id": pin_id,
        "created_at": _now(),
        "link": data.get("link"),
        "title": data.get("title"),
        "description": data.get("description"),
        "dominant_color": data.get("dominant_color"),
        "alt_text": data.get("alt_text"),
        "creative_type": "REGULAR",
        "board_id": data["board_id"],
        "board_section_id": data.get("board_section_id"),
        "board_owner": {"username": USERNAME},
        "is_owner": True,
        "media": {
            "media_type": "image",
            "images": {
                "originals": {"width": probe["width"], "height": probe["height"], "url": image}
            },
        },
        "parent_pin_id": data.get("parent_pin_id"),
        "is_standard": True,
        "has_been_promoted": False,
        "note": "",
        "pin_metrics": None,
    }
    with state.lock:
        state.pins[pin_id] = pin
        if image:
            state.fetched_media[pin_id] = probe
    return json_response(pin, 201)


def get_pin(state: EmulatorState, request: Request) -> Response:
    pin = state.pins.get(request.params["pin_id"])
    return json_response(pin) if pin else error(404, 50, "Pin not found.")


ANALYTICS_METRICS = {
    "IMPRESSION",
    "OUTBOUND_CLICK",
    "PIN_CLICK",
    "SAVE",
    "SAVE_RATE",
    "TOTAL_COMMENTS",
    "TOTAL_REACTIONS",
    "USER_FOLLOW",
    "PROFILE_VISIT",
}
MAX_DAYS_BACK = 90


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


def pin_analytics(state: EmulatorState, request: Request) -> Response:
    """``GET pins/{id}/analytics``: the summary over the dates asked (all of the pin's
    growth, emulator/engagement.py) and its lifetime reactions and comments."""
    start, end = _day(request.query.get("start_date", "")), _day(request.query.get("end_date", ""))
    if start is None or end is None:
        return _invalid("'start_date' and 'end_date' are required as YYYY-MM-DD.")
    today = datetime.now(UTC).date()
    if start > end or start < today - timedelta(days=MAX_DAYS_BACK):
        return _invalid("'start_date' must not be after 'end_date' nor more than 90 days back.")
    wanted = [m.strip() for m in request.query.get("metric_types", "").split(",") if m.strip()]
    unknown = [m for m in wanted if m not in ANALYTICS_METRICS]
    if not wanted or unknown:
        return _invalid(
            f"'metric_types' must list values of {', '.join(sorted(ANALYTICS_METRICS))}."
        )
    pin = state.pins.get(request.params["pin_id"])
    if pin is None:
        return error(404, 50, "Pin not found.")
    grown = engagement.counts(
        state, engagement.age_seconds(state, pin["created_at"], "%Y-%m-%dT%H:%M:%S")
    )
    summary_all = {
        "IMPRESSION": grown["views"],
        "SAVE": grown["saves"],
        "PIN_CLICK": grown["pin_clicks"],
        "OUTBOUND_CLICK": grown["outbound_clicks"],
        "SAVE_RATE": round(grown["saves"] / grown["views"], 4) if grown["views"] else 0,
        "USER_FOLLOW": 0,
        "PROFILE_VISIT": grown["pin_clicks"] // 2,
    }
    lifetime_all = {"TOTAL_REACTIONS": grown["reactions"], "TOTAL_COMMENTS": grown["comments"]}
    summary = {k: v for k, v in summary_all.items() if k in wanted}
    lifetime = {k: v for k, v in lifetime_all.items() if k in wanted}
    daily = [
        {
            "date": end.isoformat(),
            "data_status": "READY",
            "metrics": summary,
        }
    ]
    return json_response(
        {"all": {"daily_metrics": daily, "summary_metrics": summary, "lifetime_metrics": lifetime}}
    )


def user_account(state: EmulatorState, request: Request) -> Response:
    return json_response(
        {
            "account_type": "BUSINESS",
            "id": "549755813888",
            "username": USERNAME,
            "profile_image": f"{state.base_url}/static/avatar.png",
            "website_url": "http://127.0.0.1",
            "business_name": "Quiz demo",
            "board_count": 1,
            "pin_count": len(state.pins),
        }
    )


def _board_missing(board_id: str) -> Response | None:
    return None if board_id.isdigit() else error(404, 40, "Board not found.")


def get_board(state: EmulatorState, request: Request) -> Response:
    board_id = request.params["board_id"]
    missing = _board_missing(board_id)
    if missing:
        return missing
    with state.lock:
        count = sum(1 for pin in state.pins.values() if pin["board_id"] == board_id)
    return json_response(
        {
            "id": board_id,
            "name": "Quiz demo board",
            "description": "Pins created by the local platform emulator.",
            "owner": {"username": USERNAME},
            "privacy": "PUBLIC",
            "pin_count": count,
            "follower_count": 0,
            "created_at": "2025-01-01T00:00:00",
        }
    )


def list_board_pins(state: EmulatorState, request: Request) -> Response:
    board_id = request.params["board_id"]
    missing = _board_missing(board_id)
    if missing:
        return missing
    try:
        page_size = int(request.query.get("page_size") or 25)
    except ValueError:
        return _invalid("'page_size' must be a number.")
    if not 1 <= page_size <= 250:
        return _invalid("'page_size' must be between 1 and 250.")
    start = _bookmark_offset(request.query.get("bookmark") or "")
    if start is None:
        return _invalid("'bookmark' is not a bookmark this API returned.")
    with state.lock:
        pins = [pin for pin in state.pins.values() if pin["board_id"] == board_id]
    newest_first = list(reversed(pins))
    end = start + page_size
    following = _bookmark(end) if end < len(newest_first) else None
    return json_response({"items": newest_first[start:end], "bookmark": following})


def _bookmark(offset: int) -> str:
    """An opaque cursor, like Pinterest's: the offset of the next page."""
    return base64.urlsafe_b64encode(f"pins:{offset}".encode()).decode()


def _bookmark_offset(bookmark: str) -> int | None:
    if not bookmark:
        return 0
    try:
        kind, _sep, offset = base64.urlsafe_b64decode(bookmark.encode()).decode().partition(":")
    except (binascii.Error, ValueError):
        return None
    return int(offset) if kind == "pins" and offset.isascii() and offset.isdigit() else None


def oauth_token(state: EmulatorState, request: Request) -> Response:
    auth = request.header("authorization")
    try:
        client = base64.b64decode(auth[6:]).decode() if auth.lower().startswith("basic ") else ""
    except (binascii.Error, UnicodeDecodeError):
        client = ""
    if ":" not in client or not client.split(":", 1)[0]:
        return auth_failed()
    form = request.form()
    grant = form.get("grant_type")
    if grant == "refresh_token":
        if not form.get("refresh_token"):
            return _invalid("'refresh_token' is required.")
    elif grant == "authorization_code":
        if not form.get("code") or not form.get("redirect_uri"):
            return _invalid("'code' and 'redirect_uri' are required.")
    else:
        return _invalid("'grant_type' must be authorization_code or refresh_token.")
    refresh_expires_in = 60 * 24 * 3600
    return json_response(
        {
            "access_token": "pina_" + secrets.token_urlsafe(32),
            "token_type": "bearer",
            "expires_in": 30 * 24 * 3600,
            "scope": form.get("scope") or SCOPES,
            "refresh_token": "pinr_" + secrets.token_urlsafe(32),
            "refresh_token_expires_in": refresh_expires_in,
            "refresh_token_expires_at": int(time.time()) + refresh_expires_in,
        }
    )


# (method, path pattern under PREFIX, handler, needs a bearer token)
ROUTES = [
    ("POST", r"/pins", create_pin, True),
    ("GET", r"/pins/(?P<pin_id>[^/]+)", get_pin, True),
    ("GET", r"/pins/(?P<pin_id>[^/]+)/analytics", pin_analytics, True),
    ("GET", r"/user_account", user_account, True),
    ("GET", r"/boards/(?P<board_id>[^/]+)", get_board, True),
    ("GET", r"/boards/(?P<board_id>[^/]+)/pins", list_board_pins, True),
    ("POST", r"/oauth/token", oauth_token, False),
]


def authenticate(request: Request) -> Response | None:
    return None if request.bearer_token() else auth_failed()


CREATE_HANDLERS = {create_pin}


def not_found(method: str, path: str) -> Response:
    return error(404, 404, f"Not found: {method} {path}")


def status_fault(fault: Fault) -> Response:
    code = fault.code if fault.code is not None else (1 if fault.status < 500 else 0)
    return error(fault.status, code, f"{phrase(fault.status)} (emulated fault).")


def rate_limit_fault(fault: Fault, headers: dict[str, str]) -> Response:
    message = "You have exceeded your rate limit. Try again later."
    return error(fault.status, fault.code or 8, message, headers)


def expired_token() -> Response:
    return auth_failed()
