"""HTML pages for created pins and posts, so links stored in the admin open something."""

from __future__ import annotations

import functools
import io
from html import escape
from typing import Any

from emulator.state import EmulatorState
from emulator.wire import Request, Response, text_response

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:720px;margin:2em auto;padding:0 1em}}
.card{{border:1px solid #ddd;border-radius:12px;padding:1em}}img,video{{max-width:100%}}
small{{color:#666}}pre{{white-space:pre-wrap;font-family:inherit}}</style></head>
<body><p><small>Platform emulator · {platform}</small></p>{body}</body></html>"""


def _card(platform: str, item: dict[str, Any]) -> str:
    image = item.get("image_url") or ""
    parts = [f"<h1>{escape(str(item.get('title') or item['id']))}</h1>"]
    video = item.get("video_url") or ""
    if video:
        parts.append(f'<video src="{escape(video)}" controls muted playsinline></video>')
    elif image:
        parts.append(f'<img src="{escape(image)}" alt="{escape(str(item.get("alt") or ""))}">')
    if item.get("description"):
        parts.append(f"<pre>{escape(str(item['description']))}</pre>")
    if item.get("link"):
        link = escape(str(item["link"]))
        parts.append(f'<p><a href="{link}">{link}</a></p>')
    parts.append(f"<p><small>{escape(platform)} · id {escape(str(item['id']))}</small></p>")
    return '<div class="card">' + "".join(parts) + "</div>"


def _html(platform: str, title: str, body: str, status: int = 200) -> Response:
    page = _PAGE.format(title=escape(title), platform=escape(platform), body=body)
    return text_response(page, status, "text/html")


def _not_found(kind: str, object_id: str) -> Response:
    return _html("emulator", "Not found", f"<h1>No {kind} {escape(object_id)}</h1>", 404)


def pin_page(state: EmulatorState, request: Request) -> Response:
    pin = state.pins.get(request.params["object_id"])
    if pin is None:
        return _not_found("pin", request.params["object_id"])
    item = {
        "id": pin["id"],
        "title": pin.get("title"),
        "description": pin.get("description"),
        "link": pin.get("link"),
        "alt": pin.get("alt_text"),
        "image_url": pin["media"]["images"]["originals"]["url"],
    }
    return _html("Pinterest", item["title"] or pin["id"], _card("Pinterest", item))


def post_page(state: EmulatorState, request: Request) -> Response:
    object_id = request.params["object_id"]
    fb_post = state.fb_posts.get(object_id)
    if fb_post is not None:
        message = str(fb_post.get("message") or "")
        item: dict[str, Any] = {
            "id": object_id,
            "title": message.splitlines()[0] if message else object_id,
            "description": message,
            "link": fb_post.get("link"),
            "image_url": fb_post.get("full_picture"),
        }
        return _html("Facebook", item["title"], _card("Facebook", item))
    post = state.make_posts.get(object_id)
    if post is None:
        return _not_found("post", object_id)
    return _html(post["platform"], post["title"] or object_id, _card(post["platform"], post))


def index(state: EmulatorState, request: Request) -> Response:
    with state.lock:
        links = [(state.page_url("pin", pid), f"Pinterest pin {pid}") for pid in state.pins]
        links += [(state.page_url("post", pid), f"Facebook post {pid}") for pid in state.fb_posts]
        links += [
            (state.page_url("post", pid), f"{post['platform']} post {pid}")
            for pid, post in state.make_posts.items()
        ]
    items = "".join(f'<li><a href="{escape(u)}">{escape(t)}</a></li>' for u, t in links)
    body = f"<h1>Platform emulator</h1><ul>{items or '<li>Nothing published yet.</li>'}</ul>"
    return _html("emulator", "Platform emulator", body)


_IMAGE = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="1500" viewBox="0 0 1000 1500">'
    '<rect width="1000" height="1500" fill="#{color}"/>'
    '<text x="500" y="750" font-family="sans-serif" font-size="80" fill="#fff" '
    'text-anchor="middle">{text}</text></svg>'
)


def image(state: EmulatorState, request: Request) -> Response:
    """A placeholder picture, so demo tasks have an image that opens."""
    name = request.params["name"]
    color = format(sum(name.encode()) * 2654435761 & 0x7F7F7F, "06x")  # dark: white text reads
    svg = _IMAGE.format(color=color, text=escape(name.replace("-", " ")[:24]))
    return text_response(svg, 200, "image/svg+xml")


@functools.lru_cache(maxsize=32)
def _png(name: str, width: int, height: int) -> bytes:
    from PIL import Image, ImageDraw

    color = sum(name.encode()) * 2654435761 & 0x7F7F7F
    picture = Image.new("RGB", (width, height), (color >> 16, (color >> 8) & 0xFF, color & 0xFF))
    draw = ImageDraw.Draw(picture)
    draw.text((width // 10, height // 2), name.replace("-", " ")[:24], fill="white")
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return buffer.getvalue()


def png_image(state: EmulatorState, request: Request) -> Response:
    """A placeholder 1000 x 1500 PNG (a Pinterest-shaped picture a platform accepts).

    ``?size=WxH`` picks another size (at most 4000 x 4000).
    """
    width, height = 1000, 1500
    size = request.query.get("size", "")
    if size:
        try:
            width, height = (int(part) for part in size.lower().split("x", 1))
        except ValueError:
            return text_response("size must look like 1000x1500", 400)
        if not (1 <= width <= 4000 and 1 <= height <= 4000):
            return text_response("size must be at most 4000x4000", 400)
    body = _png(request.params["name"], width, height)
    return Response(status=200, body=body, content_type="image/png")


ROUTES = [
    ("GET", r"/", index, False),
    ("GET", r"/images/(?P<name>[\w-]+)\.svg", image, False),
    ("GET", r"/images/(?P<name>[\w-]+)\.png", png_image, False),
    ("GET", r"/pin/(?P<object_id>[^/]+)/?", pin_page, False),
    ("GET", r"/post/(?P<object_id>[^/]+)/?", post_page, False),
]
