"""The emulator downloads media like the platforms do and refuses what they refuse."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from fractions import Fraction
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import av
import pytest
import requests
from PIL import Image

from emulator.media import is_loopback_url
from tests.e2e.conftest import register_hook, wait_until

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BOARD = "549755885175"


def png(width: int, height: int, image_format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (40, 90, 160)).save(buffer, image_format)
    return buffer.getvalue()


def video(
    width: int = 360,
    height: int = 640,
    seconds: float = 1.0,
    fps: int = 24,
    codec: str = "h264",
    container: str = "mp4",
) -> bytes:
    """A small test video, encoded with PyAV."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container) as output:
        stream = output.add_stream(codec, rate=fps)
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = Fraction(1, fps)
        for index in range(round(seconds * fps)):
            picture = Image.new("RGB", (width, height), (index * 3 % 255, 80, 120))
            frame = av.VideoFrame.from_image(picture)
            frame.pts = index
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode():
            output.mux(packet)
    return buffer.getvalue()


class _Files(BaseHTTPRequestHandler):
    files: dict[str, tuple[bytes, str]] = {}

    def do_GET(self):
        body, content_type = self.files.get(self.path, (b"not found", "text/plain"))
        self.send_response(200 if self.path in self.files else 404)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def files() -> Iterator[tuple[str, dict]]:
    """A loopback file server: ``(base_url, {path: (body, content_type)})``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Files.files = {}
    yield f"http://127.0.0.1:{server.server_address[1]}", _Files.files
    server.shutdown()
    server.server_close()


@pytest.fixture
def emu(emulator):
    emulator.state.reset()
    emulator.state.hooks.clear()
    return emulator


def _pin(emu, url: str) -> requests.Response:
    body = {"board_id": BOARD, "media_source": {"source_type": "image_url", "url": url}}
    return requests.post(
        f"{emu.url}/pinterest/v5/pins",
        json=body,
        headers={"Authorization": "Bearer pina_x"},
        timeout=10,
    )


def _photo(emu, url: str) -> requests.Response:
    return requests.post(
        f"{emu.url}/facebook/v26.0/104/photos",
        data={"url": url, "caption": "Quiz"},
        headers={"Authorization": "Bearer EAAB"},
        timeout=10,
    )


# --- Pinterest and Facebook download the image -----------------------------------------


def test_pinterest_takes_a_png_and_records_its_real_size(emu, files):
    base, served = files
    served["/card.png"] = (png(100, 150), "image/png")

    answer = _pin(emu, f"{base}/card.png")

    assert answer.status_code == 201
    originals = answer.json()["media"]["images"]["originals"]
    assert (originals["width"], originals["height"]) == (100, 150)
    assert emu.state.fetched_media[answer.json()["id"]]["format"] == "PNG"


@pytest.mark.parametrize(
    ("path", "body", "content_type", "words"),
    [
        ("/missing.png", None, "", "could not fetch"),
        ("/page.png", b"<html>not an image</html>", "text/html", "PNG or JPEG"),
        ("/anim.gif", png(10, 10, "GIF"), "image/gif", "not GIF"),
    ],
    ids=["404", "html", "gif"],
)
def test_pinterest_refuses_what_it_cannot_use(emu, files, path, body, content_type, words):
    base, served = files
    if body is not None:
        served[path] = (body, content_type)

    answer = _pin(emu, f"{base}{path}")

    assert answer.status_code == 400
    assert answer.json()["code"] == 1
    assert words in answer.json()["message"]
    assert emu.state.pins == {}


def test_pinterest_refuses_an_image_over_20_mb(emu, files, monkeypatch):
    from emulator.platforms import pinterest

    base, served = files
    served["/big.png"] = (png(200, 300), "image/png")
    monkeypatch.setattr(pinterest, "IMAGE_MAX_BYTES", 100)  # the same path, a smaller file

    answer = _pin(emu, f"{base}/big.png")

    assert answer.status_code == 400
    assert "larger than 20 MB" in answer.json()["message"]


def test_the_emulator_never_fetches_beyond_loopback(emu):
    assert not is_loopback_url("https://cdn.example.com/1.png")
    assert not is_loopback_url("http://10.0.0.1/1.png")
    assert not is_loopback_url("file:///etc/passwd")
    assert is_loopback_url(f"{emu.url}/images/x.png")

    answer = _pin(emu, "https://cdn.example.com/1.png")

    assert answer.status_code == 400
    assert "only fetches media from 127.0.0.1" in answer.json()["message"]


def test_facebook_takes_a_photo_and_refuses_an_html_page(emu, files):
    base, served = files
    served["/card.png"] = (png(120, 63), "image/png")
    served["/page.html"] = (b"<html></html>", "text/html")

    taken = _photo(emu, f"{base}/card.png")
    refused = _photo(emu, f"{base}/page.html")
    missing = _photo(emu, f"{base}/nothing.png")

    assert taken.status_code == 200
    post = emu.state.fb_posts[taken.json()["post_id"]]
    assert post["images"][0]["width"] == 120 and post["images"][0]["height"] == 63
    for answer in (refused, missing):
        assert answer.status_code == 400
        assert answer.json()["error"]["code"] == 324
        assert "Missing or invalid image file" in answer.json()["error"]["message"]


# --- the Make.com scenario downloads and probes the video --------------------------------


class _Callbacks(BaseHTTPRequestHandler):
    calls: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).calls.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def callbacks(emu) -> Iterator[list]:
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Callbacks)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    _Callbacks.calls = []
    saved = (emu.state.callback_delay, emu.state.callback_url)
    emu.state.callback_delay = 0.05
    emu.state.callback_url = f"http://127.0.0.1:{receiver.server_address[1]}/callback"
    register_hook(emu, "media", SECRET)
    yield _Callbacks.calls
    emu.state.callback_delay, emu.state.callback_url = saved
    receiver.shutdown()
    receiver.server_close()


def _deliver(emu, platform: str, video_url: str | None, *, flat: bool = False) -> dict:
    media: dict[str, dict[str, object] | None] = {
        "image": None,
        "answer_image": None,
        "video": None,
    }
    if video_url:
        media["video"] = {"url": video_url, "width": 0, "height": 0, "mime_type": "video/mp4"}
    payload = {"task_id": 7, "platform": platform}
    payload.update({"media": media} if flat else {"content": {"title": "T", "media": media}})
    answer = requests.post(f"{emu.url}/make/media", data=json.dumps(payload), timeout=10)
    assert answer.status_code == 200 and answer.text == "Accepted"
    return wait_until(lambda: _Callbacks.calls and _Callbacks.calls[-1], timeout=20, message="?")


@pytest.mark.parametrize("platform", ["tiktok", "youtube_shorts"])
def test_a_vertical_h264_mp4_is_published_and_probed(emu, files, callbacks, platform):
    base, served = files
    served["/v.mp4"] = (video(), "video/mp4")

    result = _deliver(emu, platform, f"{base}/v.mp4")

    assert result["status"] == "published", result
    probe = emu.state.fetched_media[result["post_id"]]
    assert probe["codec"] == "h264" and "mp4" in probe["container"]
    assert (probe["width"], probe["height"]) == (360, 640)
    assert probe["duration"] == pytest.approx(1.0, abs=0.1)


def test_the_flat_shape_carries_the_video_too(emu, files, callbacks):
    base, served = files
    served["/v.mp4"] = (video(), "video/mp4")

    result = _deliver(emu, "tiktok", f"{base}/v.mp4", flat=True)

    assert result["status"] == "published", result


@pytest.mark.parametrize(
    ("platform", "clip", "reason"),
    [
        ("instagram", {"seconds": 1.0}, "2207026"),  # Reels last at least 3 s
        ("tiktok", {"width": 320, "height": 240}, "picture_size_check_failed"),
        ("tiktok", {"fps": 10}, "frame_rate_check_failed"),
        ("youtube_shorts", {"width": 640, "height": 360}, "not a Short"),
        ("tiktok", {"codec": "mpeg4"}, "file_format_check_failed"),
    ],
    ids=["reel-too-short", "tiktok-too-small", "tiktok-10fps", "short-landscape", "mpeg4"],
)
def test_the_scenario_refuses_what_the_platform_refuses(
    emu, files, callbacks, platform, clip, reason
):
    base, served = files
    served["/bad.mp4"] = (video(**clip), "video/mp4")

    result = _deliver(emu, platform, f"{base}/bad.mp4")

    assert result["status"] == "failed"
    assert reason in result["error_message"]


@pytest.mark.parametrize(
    ("path", "reason"),
    [(None, "the payload has no media.video"), ("/gone.mp4", "video_pull_failed")],
    ids=["no-video", "404"],
)
def test_a_missing_video_fails_through_the_callback(emu, files, callbacks, path, reason):
    base, _ = files

    result = _deliver(emu, "tiktok", f"{base}{path}" if path else None)

    assert result["status"] == "failed"
    assert reason in result["error_message"]
