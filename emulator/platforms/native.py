"""The native-platform stand-ins registered: Instagram Graph publishing, YouTube Data API v3 uploads
and TikTok Content Posting, one module each, plus what they share.

Each module has ``NAME``, ``PREFIX``, ``ROUTES``, ``authenticate``, ``CREATE_HANDLERS``,
``PATHS`` (the paths recorded as its requests), ``UPLOAD_PATHS`` (paths allowed large
bodies), ``fault_response`` (its answer to the generic faults), ``not_found``,
``make_store`` and ``configure``. Their objects and settings live in one store per
platform in ``EmulatorState.native``.

Also here: ``/_control/platforms/<name>`` (settings), ``/_control/files/<name>`` and
``/files/<name>`` (media the emulator hosts for tests), and the HTML pages of what was
published.
"""

from __future__ import annotations

import mimetypes
from html import escape
from types import ModuleType
from typing import Any

from emulator import pages
from emulator.platforms import instagram, tiktok, youtube
from emulator.platforms.common import Store
from emulator.state import EmulatorState
from emulator.wire import Request, Response, json_response

NATIVE: tuple[ModuleType, ...] = (instagram, youtube, tiktok)
BY_NAME: dict[str, ModuleType] = {module.NAME: module for module in NATIVE}
CREATE_HANDLERS: set[Any] = set().union(*(module.CREATE_HANDLERS for module in NATIVE))
UPLOAD_PATHS = "|".join(f"(?:{m.UPLOAD_PATHS})" for m in NATIVE if m.UPLOAD_PATHS)
FILES_KEY = "files"


def store(state: EmulatorState, name: str) -> Any:
    """Platform ``name``'s store on this emulator, made on first use."""
    with state.lock:
        found = state.native.get(name)
        if found is None:
            found = state.native[name] = BY_NAME[name].make_store(state.lock)
            found.base_url = state.base_url
        return found


def reset(state: EmulatorState) -> None:
    with state.lock:
        for name, found in state.native.items():
            if isinstance(found, Store):
                found.reset()
            elif name == FILES_KEY:
                found.clear()


def snapshot(state: EmulatorState) -> dict[str, Any]:
    with state.lock:
        return {
            name: found.snapshot()
            for name, found in state.native.items()
            if isinstance(found, Store)
        }


# --- control API ----------------------------------------------------------------------
def _settings(found: Store) -> dict[str, Any]:
    return {"settings": dict(vars(found.settings)), "clock_offset": found.offset}


def show_settings(state: EmulatorState, request: Request) -> Response:
    return json_response(_settings(store(state, request.params["name"])))


def set_settings(state: EmulatorState, request: Request) -> Response:
    """``{"<setting>": value, …, "advance_seconds": N}``: change settings, move the clock;
    ``"defaults": true`` first restores the defaults and the clock."""
    data = request.json()
    if not isinstance(data, dict):
        return json_response({"error": "Send a JSON object of settings."}, 400)
    found = store(state, request.params["name"])
    if data.pop("defaults", False) is True:  # start from the platform's defaults
        with state.lock:
            found.settings, found.offset = type(found.settings)(), 0.0
    advance = data.pop("advance_seconds", 0)
    if not isinstance(advance, int | float) or isinstance(advance, bool) or advance < 0:
        return json_response({"error": "advance_seconds must be a number, 0 or more."}, 400)
    with state.lock:
        problem = BY_NAME[request.params["name"]].configure(found, data)
        if problem:
            return json_response({"error": problem}, 400)
        found.offset += advance
    return json_response(_settings(found))


def put_file(state: EmulatorState, request: Request) -> Response:
    name = request.params["name"]
    content_type = request.header("content-type") or (
        mimetypes.guess_type(name)[0] or "application/octet-stream"
    )
    with state.lock:
        state.native.setdefault(FILES_KEY, {})[name] = (content_type, request.body)
    return json_response({"url": f"{state.base_url}/files/{name}", "size": len(request.body)}, 201)


def get_file(state: EmulatorState, request: Request) -> Response:
    with state.lock:
        found = state.native.get(FILES_KEY, {}).get(request.params["name"])
    if found is None:
        return Response(status=404, body=b"Not found", content_type="text/plain; charset=utf-8")
    return Response(status=200, body=found[1], content_type=found[0])


NAMES = "|".join(BY_NAME)
CONTROL_ROUTES = [
    ("GET", rf"/platforms/(?P<name>{NAMES})", show_settings, False),
    ("POST", rf"/platforms/(?P<name>{NAMES})", set_settings, False),
    ("PUT", r"/files/(?P<name>[\w.-]+)", put_file, False),
]


# --- pages -----------------------------------------------------------------------------
def _page(platform: str, item: dict[str, Any], extra: str = "") -> Response:
    title = str(item.get("title") or item["id"])
    card = pages._card(platform, item)
    return pages._html(platform, title, card + extra)


def _video_tag(url: str) -> str:
    return f'<p><video src="{escape(url)}" controls width="320"></video></p>' if url else ""


def instagram_page(state: EmulatorState, request: Request) -> Response:
    found = store(state, "instagram")
    with state.lock:
        media = next(
            (m for m in found.media.values() if m["shortcode"] == request.params["code"]), None
        )
    if media is None:
        return pages._not_found("Instagram post", request.params["code"])
    caption = str(media.get("caption") or "")
    image = media["media_url"] if media["media_type"] in ("IMAGE", "CAROUSEL_ALBUM") else ""
    if media["media_type"] == "CAROUSEL_ALBUM":
        image = media["children"][0] if media["children"] else ""
    item = {
        "id": media["id"],
        "title": caption.splitlines()[0] if caption else media["id"],
        "description": caption,
        "image_url": image,
    }
    video = media["media_url"] if media["media_type"] == "VIDEO" else ""
    return _page("Instagram", item, _video_tag(video))


def youtube_page(state: EmulatorState, request: Request) -> Response:
    found = store(state, "youtube")
    with state.lock:
        video = found.videos.get(request.params["video_id"])
    if video is None:
        return pages._not_found("YouTube video", request.params["video_id"])
    notes = video["emulator"]
    why = str(notes["not_short_because"] or notes["failure"])
    facts = (
        f"<p><small>privacy {escape(video['status']['privacyStatus'])}"
        f"{' (forced: unverified project)' if notes['forced_private'] else ''} · "
        f"{'a Short' if notes['short'] else 'not a Short: ' + escape(why)}"
        "</small></p>"
    )
    item = {
        "id": video["id"],
        "title": video["snippet"]["title"],
        "description": video["snippet"]["description"],
    }
    return _page("YouTube", item, facts)


def tiktok_page(state: EmulatorState, request: Request) -> Response:
    found = store(state, "tiktok")
    with state.lock:
        video = found.videos.get(request.params["video_id"])
    if video is None:
        return pages._not_found("TikTok video", request.params["video_id"])
    item = {
        "id": video["id"],
        "title": video["title"] or video["id"],
        "description": video["video_description"],
    }
    return _page("TikTok", item, f"<p><small>{escape(str(video['privacy_level']))}</small></p>")


PAGE_ROUTES = [
    ("GET", r"/files/(?P<name>[\w.-]+)", get_file, False),
    ("GET", r"/instagram/(?:p|reel)/(?P<code>[\w-]+)/?", instagram_page, False),
    ("GET", r"/youtube/shorts/(?P<video_id>[\w-]+)", youtube_page, False),
    ("GET", r"/tiktok/@[\w.]+/video/(?P<video_id>\d+)", tiktok_page, False),
]
