"""The media a post is sent with: the task's own image when it fits, checked renders."""

from __future__ import annotations

import io

import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import translation
from PIL import Image

from quiz_media.specs import MediaSpec, RenderedMedia
from social_media.media import PostMedia, image_fit, media_mismatch, task_image_check
from social_media.platforms.base import TaskImageRule
from social_media.platforms.registry import PLATFORMS
from tests.factories import TaskFactory

IMAGE = "https://cdn.quiz.example.com/tasks/1.png"
RULE = TaskImageRule(
    formats=("JPEG", "PNG"), aspect_ratios=(2 / 3,), max_bytes=200_000, min_width=60, min_height=90
)


def picture(width: int, height: int, image_format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, image_format)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _public_only(settings):
    settings.ALLOW_PRIVATE_WEBHOOK_URLS = False


@pytest.fixture
def public_dns(monkeypatch):
    """The CDN resolves to a public address (the URL guard's DNS seam)."""
    monkeypatch.setattr("social_media.url_guard.resolve_host", lambda host, port: ["93.184.216.34"])


# --- the task's own image ---------------------------------------------------------------


def test_a_fitting_image_is_sent_as_it_is(mocked_responses, public_dns):
    body = picture(100, 150)
    mocked_responses.get(IMAGE, body=body, content_type="image/png")

    check = task_image_check(TaskFactory.build(image_url=IMAGE), RULE)

    assert check.media is not None, check.reason
    assert check.media.url == IMAGE
    assert (check.media.width, check.media.height) == (100, 150)
    assert check.media.mime_type == "image/png"
    assert check.media.bytes == len(body)


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ({"status": 404, "body": "not found"}, "HTTP 404"),
        ({"body": "<html><body>Hello</body></html>", "content_type": "text/html"}, "readable"),
        ({"body": picture(100, 100), "content_type": "image/png"}, "not shaped"),
        ({"body": picture(40, 60), "content_type": "image/png"}, "smaller than 60×90"),
        ({"body": picture(100, 150, "GIF"), "content_type": "image/gif"}, "GIF is not one of"),
        ({"body": picture(100, 150, "BMP") * 20, "content_type": "image/bmp"}, "more than"),
        ({"body": requests.ConnectTimeout("slow")}, "download failed (ConnectTimeout)"),
        ({"status": 302, "headers": {"Location": "http://169.254.169.254/"}}, "HTTP 302"),
    ],
    ids=["404", "html", "square", "too-small", "gif", "huge", "timeout", "redirect"],
)
def test_an_unusable_image_gets_the_card(mocked_responses, public_dns, answer, reason):
    mocked_responses.get(IMAGE, **answer)

    check = task_image_check(TaskFactory.build(image_url=IMAGE), RULE)

    assert check.media is None
    assert reason in check.reason


def test_a_declared_length_over_the_limit_is_not_downloaded(mocked_responses, public_dns):
    mocked_responses.get(IMAGE, body=picture(100, 150), headers={"Content-Length": "999999999"})

    check = task_image_check(TaskFactory.build(image_url=IMAGE), RULE)

    assert check.media is None
    assert "more than" in check.reason


@pytest.mark.parametrize("declared", ["\u00b2", "12x", "-1"])
def test_a_garbled_declared_length_is_ignored_not_a_crash(mocked_responses, public_dns, declared):
    # "²" passes str.isdigit() but int() refuses it: the body itself is measured instead.
    mocked_responses.get(IMAGE, body=picture(100, 150), headers={"Content-Length": declared})

    check = task_image_check(TaskFactory.build(image_url=IMAGE), RULE)

    assert check.media is not None
    assert (check.media.width, check.media.height) == (100, 150)


def test_an_image_on_an_internal_address_is_never_fetched(mocked_responses, monkeypatch):
    monkeypatch.setattr("social_media.url_guard.resolve_host", lambda host, port: ["10.0.0.5"])

    with translation.override("en"):
        check = task_image_check(TaskFactory.build(image_url=IMAGE), RULE)

    assert check.media is None
    assert "internal address" in check.reason
    assert len(mocked_responses.calls) == 0


def test_a_decompression_bomb_is_refused_before_decoding():
    rule = TaskImageRule(formats=("PNG",), aspect_ratios=(1.0,), max_bytes=10**8, max_pixels=10_000)

    fit, reason = image_fit(picture(200, 200), rule)

    assert fit is None
    assert "too large to check" in reason


def test_facebook_takes_a_square_or_wide_image_pinterest_a_tall_one():
    facebook = PLATFORMS["facebook"].task_image_rule
    pinterest = PLATFORMS["pinterest"].task_image_rule
    assert facebook is not None and pinterest is not None

    assert image_fit(picture(1200, 628), facebook)[0] == ("PNG", 1200, 628)
    assert image_fit(picture(800, 800), facebook)[0] == ("PNG", 800, 800)
    assert image_fit(picture(1000, 1500), facebook)[0] is None
    assert image_fit(picture(1000, 1500), pinterest)[0] == ("PNG", 1000, 1500)
    assert image_fit(picture(1200, 628, "JPEG"), pinterest)[0] is None


# --- what the platforms declare ----------------------------------------------------------


@pytest.mark.full_media
def test_every_platform_declares_what_it_accepts():
    specs = {key: {s.kind: s for s in p.media_requirements} for key, p in PLATFORMS.items()}

    assert specs["pinterest"]["question_card"] == MediaSpec(
        "question_card", 1000, 1500, "png", 20 * 1024 * 1024
    )
    assert (
        specs["facebook"]["question_card"].width,
        specs["facebook"]["question_card"].height,
    ) == (
        1200,
        628,
    )
    instagram = specs["instagram"]
    assert (instagram["question_card"].format, instagram["question_card"].max_bytes) == (
        "jpeg",
        8 * 1024 * 1024,
    )
    assert instagram["video"].min_duration == 3.0
    for key in ("instagram", "tiktok", "youtube_shorts"):
        clip = specs[key]["video"]
        assert (clip.width, clip.height, clip.format) == (1080, 1920, "mp4")
    assert specs["youtube_shorts"]["video"].max_duration == 180.0
    assert "video" not in specs["yandex_dzen"]


# --- the payload's media object ----------------------------------------------------------


def rendered(kind: str, **fields) -> RenderedMedia:
    values = {
        "name": f"renders/{kind}.png",
        "url": f"https://quiz.example.com/media/renders/{kind}.png",
        "kind": kind,
        "width": 1080,
        "height": 1350,
        "mime_type": "image/png",
        "bytes": 1234,
    }
    values.update(fields)
    return RenderedMedia(**values)  # type: ignore[arg-type]  # the test's own field values


def test_post_media_payload_names_each_kind_and_nulls_the_rest():
    clip = rendered("video", mime_type="video/mp4", height=1920, duration=15.0, bytes=99)
    media = PostMedia({"question_card": rendered("question_card"), "video": clip})

    assert media.as_payload() == {
        "image": {
            "url": "https://quiz.example.com/media/renders/question_card.png",
            "width": 1080,
            "height": 1350,
            "mime_type": "image/png",
            "bytes": 1234,
        },
        "answer_image": None,
        "video": {
            "url": "https://quiz.example.com/media/renders/video.png",
            "width": 1080,
            "height": 1920,
            "mime_type": "video/mp4",
            "bytes": 99,
            "duration": 15.0,
        },
    }


# --- a stored file is checked against the spec before it is sent --------------------------


def stored(name: str, body: bytes) -> str:
    return default_storage.save(name, ContentFile(body))


SPEC = MediaSpec("question_card", 100, 150, "png", 50_000)


def test_a_render_that_fits_passes():
    name = stored("renders/ok.png", picture(100, 150))

    assert media_mismatch(rendered("question_card", name=name, width=100, height=150), SPEC) == ""


@pytest.mark.parametrize(
    ("body", "spec", "words"),
    [
        (picture(100, 140), SPEC, "it is 100×140, not 100×150 PNG"),
        (picture(100, 150, "JPEG"), SPEC, "it is JPEG, not 100×150 PNG"),
        (picture(100, 150), MediaSpec("question_card", 100, 150, "png", 10), "more than"),
        (b"<html></html>", SPEC, "cannot be read"),
    ],
    ids=["wrong-size", "wrong-type", "too-big", "not-an-image"],
)
def test_a_render_that_does_not_fit_is_refused(body, spec, words):
    name = stored("renders/bad.png", body)

    assert words in media_mismatch(rendered("question_card", name=name), spec)


def test_the_description_is_not_trusted_over_the_file():
    name = stored("renders/lying.png", picture(100, 150))

    problem = media_mismatch(rendered("question_card", name=name, mime_type="image/jpeg"), SPEC)

    assert "described as image/jpeg" in problem


def test_an_image_that_trickles_in_is_given_up_after_the_deadline(settings, monkeypatch):
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Trickle(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            for _ in range(40):  # a byte every 0.05 s: each read is quick, the whole is not
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.05)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.ALLOW_PRIVATE_WEBHOOK_URLS = True  # a loopback test server
    monkeypatch.setattr("social_media.media.IMAGE_FETCH_TIMEOUT", 0.5)
    monkeypatch.setattr("social_media.media.CHUNK", 1)
    try:
        started = time.monotonic()
        url = f"http://127.0.0.1:{server.server_address[1]}/slow.png"
        check = task_image_check(TaskFactory.build(image_url=url), RULE)
    finally:
        server.shutdown()
        server.server_close()

    assert check.media is None
    assert "not downloaded within 0.5 s" in check.reason
    assert time.monotonic() - started < 1.5


@pytest.mark.full_media
def test_platforms_asking_for_the_same_video_share_one_render_spec():
    from social_media.media import render_spec

    videos = [
        next(s for s in PLATFORMS[key].media_requirements if s.kind == "video")
        for key in ("instagram", "tiktok", "youtube_shorts")
    ]

    shared = {render_spec(spec) for spec in videos}

    assert shared == {
        MediaSpec(
            "video", 1080, 1920, "mp4", 300 * 1024 * 1024, min_duration=3.0, max_duration=180.0
        )
    }


def test_durations_that_do_not_overlap_get_their_own_render(monkeypatch):
    from social_media.media import render_spec

    long_only = MediaSpec("video", 216, 384, "mp4", 10**9, min_duration=200.0, max_duration=300.0)
    monkeypatch.setattr(PLATFORMS["tiktok"], "media_requirements", (long_only,))

    assert render_spec(long_only) == long_only
