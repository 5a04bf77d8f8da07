"""The platform emulator answers like the platforms (docs/platform-api-facts.md) and obeys
faults."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from standardwebhooks import Webhook as StandardWebhook

from tests.e2e.conftest import arm, received, register_hook, wait_until

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _post(url, **kwargs):
    return requests.post(url, timeout=5, **kwargs)


def _get(url, **kwargs):
    return requests.get(url, timeout=5, **kwargs)


PIN: dict[str, Any] = {
    "board_id": "549755885175",
    "title": "Quiz",
    "link": "https://quiz.example.com/task/1",
    "media_source": {"source_type": "image_url", "url": "https://cdn.example.com/1.png"},
}


@pytest.fixture
def emu(emulator):
    emulator.state.reset()
    emulator.state.hooks.clear()
    return emulator


def _pinterest(emu, path, token="pina_test", **kwargs):  # noqa: S107
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(
        kwargs.pop("method", "POST"),
        f"{emu.url}/pinterest/v5/{path}",
        headers=headers,
        timeout=5,
        **kwargs,
    )


def test_pinterest_creates_a_pin_and_lists_it_on_its_board(emu):
    image = f"{emu.url}/images/quiz.png"  # Pinterest downloads the image: it must be real
    created = _pinterest(
        emu, "pins", json={**PIN, "media_source": {"source_type": "image_url", "url": image}}
    )
    assert created.status_code == 201
    pin = created.json()
    assert pin["id"].isdigit() and pin["board_id"] == PIN["board_id"]
    assert pin["media"]["images"]["originals"] == {"url": image, "width": 1000, "height": 1500}
    listed = _pinterest(emu, f"boards/{PIN['board_id']}/pins", method="GET").json()
    assert [item["id"] for item in listed["items"]] == [pin["id"]]
    page = _get(f"{emu.url}/pin/{pin['id']}/")
    assert page.status_code == 200 and "Quiz" in page.text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"board_id": "board-1"}, "board_id"),
        ({"board_id": "\u0665\u0664\u0669"}, "board_id"),  # Arabic-Indic: ^\d+$ is ASCII
        ({"title": "x" * 101}, "title"),
        ({"description": "x" * 801}, "description"),
        ({"alt_text": "x" * 501}, "alt_text"),
        ({"link": "https://e.com/" + "x" * 2040}, "link"),
        ({"media_source": {"source_type": "gif_url", "url": "https://e.com/1.gif"}}, "source_type"),
        ({"media_source": {"source_type": "image_url"}}, "media_source.url"),
        ({"media_source": {"source_type": "image_base64", "data": "aGk="}}, "content_type"),
        ({"media_source": {"source_type": "multiple_image_urls", "items": [{}]}}, "items"),
    ],
)
def test_pinterest_refuses_what_the_spec_refuses(emu, change, field):
    response = _pinterest(emu, "pins", json={**PIN, **change})
    assert response.status_code == 400
    assert response.json()["code"] == 1
    assert field in response.json()["message"]
    assert emu.state.pins == {}


def test_pinterest_needs_a_bearer_token(emu):
    response = _pinterest(emu, "pins", token="", json=PIN)
    assert response.status_code == 401
    assert response.json() == {"code": 2, "message": "Authentication failed."}


def test_pinterest_refreshes_a_token_with_basic_auth(emu):
    form = {"grant_type": "refresh_token", "refresh_token": "pinr_x"}
    refused = _post(f"{emu.url}/pinterest/v5/oauth/token", data=form)
    assert refused.status_code == 401
    answer = _post(
        f"{emu.url}/pinterest/v5/oauth/token", data=form, auth=("client", "secret")
    ).json()
    assert answer["access_token"].startswith("pina_")
    assert answer["refresh_token"].startswith("pinr_")
    assert answer["token_type"] == "bearer" and answer["expires_in"] == 2592000


def test_facebook_photo_post_permalink_and_error_envelope(emu):
    base = f"{emu.url}/facebook/v26.0"
    auth = {"Authorization": "Bearer EAAB"}
    photo = _post(
        f"{base}/104/photos", data={"url": f"{emu.url}/images/q.png", "caption": "Hi"}, headers=auth
    ).json()
    assert set(photo) == {"id", "post_id"} and photo["post_id"].startswith("104_")
    link = _get(
        f"{base}/{photo['post_id']}", params={"fields": "permalink_url"}, headers=auth
    ).json()
    assert link["permalink_url"] == f"{emu.url}/post/{photo['post_id']}"
    feed = _post(f"{base}/104/feed", data={"access_token": "EAAB"})
    error = feed.json()["error"]
    assert feed.status_code == 400 and error["code"] == 100
    assert {"message", "type", "code", "fbtrace_id"} <= set(error)
    debug = _get(f"{base}/debug_token", params={"input_token": "x", "access_token": "y"})
    assert debug.json()["data"]["is_valid"] is True


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        ({"fault": "expired_token"}, 400, 190),
        ({"fault": "rate_limit", "code": 17}, 400, 17),
        ({"fault": "status", "status": 503}, 503, 1),
    ],
)
def test_facebook_faults_use_the_graph_envelope(emu, fault, status, code):
    arm(emu, platform="facebook", **fault)
    response = _post(
        f"{emu.url}/facebook/v26.0/104/feed", data={"message": "m", "access_token": "t"}
    )
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    again = _post(f"{emu.url}/facebook/v26.0/104/feed", data={"message": "m", "access_token": "t"})
    assert again.status_code == 200  # count defaults to one request


def test_faults_429_latency_and_malformed(emu):
    arm(emu, platform="pinterest", fault="rate_limit", retry_after=7)
    limited = _pinterest(emu, "pins", json=PIN)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    arm(emu, platform="pinterest", fault="malformed")
    broken = _pinterest(emu, "pins", json=PIN)
    assert broken.status_code == 200
    with pytest.raises(ValueError):
        broken.json()
    arm(emu, platform="pinterest", latency_ms=300)
    slow = _pinterest(emu, "user_account", method="GET")
    assert slow.status_code == 200 and slow.elapsed.total_seconds() >= 0.3


def test_control_api_refuses_a_bad_fault(emu):
    response = _post(
        f"{emu.url}/_control/faults", json={"platform": "pinterest", "fault": "explode"}
    )
    assert response.status_code == 400
    assert "fault must be one of" in response.json()["error"]


class _Receiver(BaseHTTPRequestHandler):
    calls: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).calls.append((dict(self.headers), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_make_accepts_then_calls_back_signed(emu):
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    _Receiver.calls = []
    emu.state.callback_url = f"http://127.0.0.1:{receiver.server_address[1]}/callback"
    register_hook(emu, "demo", SECRET)
    try:
        payload = json.dumps({"task_id": 7, "platform": "yandex_dzen", "content": {"title": "T"}})
        answer = _post(f"{emu.url}/make/demo", data=payload)
        assert answer.status_code == 200 and answer.text == "Accepted"
        assert answer.headers["Content-Type"].startswith("text/plain")
        wait_until(lambda: _Receiver.calls, timeout=5, message="no callback")
    finally:
        receiver.shutdown()
        receiver.server_close()
    headers, body = _Receiver.calls[0]
    lowered = {k.lower(): v for k, v in headers.items()}
    result = StandardWebhook(SECRET).verify(body, lowered)
    assert result["task_id"] == 7 and result["status"] == "published"
    assert result["post_url"] == f"{emu.url}/post/{result['post_id']}"
    assert received(emu, "make")[0]["json"]["platform"] == "yandex_dzen"


def _signed_headers(body: str, **override: str) -> dict[str, str]:
    now = datetime.now(UTC)
    headers = {
        "Content-Type": "application/json",
        "webhook-id": "msg_0123456789abcdef0123456789abcdef",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": StandardWebhook(SECRET).sign(
            "msg_0123456789abcdef0123456789abcdef", now, body
        ),
    }
    return headers | override


MAKE_BODY = json.dumps({"task_id": 7, "platform": "tiktok", "content": {"title": "T"}})


@pytest.mark.parametrize(
    "override",
    [
        {"webhook-signature": "v1,not-base64!!"},
        {"webhook-signature": "garbage"},
        {"webhook-signature": "v1,"},
        {"webhook-signature": ",AAAA"},
        {"webhook-signature": "v1,a,b"},
        {"webhook-timestamp": "soon"},
        {"webhook-timestamp": "1e10"},
        {"webhook-timestamp": "17000000\u00b2"},
        {"webhook-id": "msg.1"},
        {"webhook-id": ""},
    ],
    ids=lambda override: repr(next(iter(override.values()))),
)
def test_make_refuses_malformed_signature_headers_with_a_clear_400(emu, override):
    register_hook(emu, "demo", SECRET)
    headers = _signed_headers(MAKE_BODY, **override)

    answer = _post(f"{emu.url}/make/demo", data=MAKE_BODY.encode(), headers=headers)

    assert answer.status_code == 400, answer.text
    assert answer.headers["Content-Type"].startswith("application/json")
    body = answer.json()
    assert body["error"] == "malformed_signature"
    assert body["message"] and "emulator failed" not in body["message"]
    assert emu.state.make_posts == {}  # nothing was taken, no callback will follow


def test_make_still_takes_a_well_formed_delivery_and_records_a_wrong_signature(emu, monkeypatch):
    register_hook(emu, "demo", SECRET)
    monkeypatch.setattr(emu.state, "callback_url", "")  # only the delivery matters here
    good = _post(
        f"{emu.url}/make/demo", data=MAKE_BODY.encode(), headers=_signed_headers(MAKE_BODY)
    )
    other = MAKE_BODY.replace('"T"', '"U"')
    wrong = _post(
        f"{emu.url}/make/demo",
        data=other.encode(),
        headers=_signed_headers(
            MAKE_BODY, **{"webhook-id": "msg_other"}
        ),  # signed for another body
    )

    assert (good.status_code, good.text) == (200, "Accepted")
    assert (wrong.status_code, wrong.text) == (200, "Accepted")
    deliveries = received(emu, "make")
    assert [d["signature_valid"] for d in deliveries] == [True, False]


def test_pinterest_board_pins_page_with_a_bookmark_newest_first(emu):
    image = {"source_type": "image_url", "url": f"{emu.url}/images/quiz.png"}  # fetched: real
    ids = [
        _pinterest(emu, "pins", json={**PIN, "title": f"Q{n}", "media_source": image}).json()["id"]
        for n in range(3)
    ]
    board = f"boards/{PIN['board_id']}/pins"

    first = _pinterest(emu, board, method="GET", params={"page_size": 2}).json()
    second = _pinterest(
        emu, board, method="GET", params={"page_size": 2, "bookmark": first["bookmark"]}
    ).json()
    refused = _pinterest(emu, board, method="GET", params={"bookmark": "not-ours"})

    assert [pin["id"] for pin in first["items"]] == [ids[2], ids[1]]
    assert isinstance(first["bookmark"], str) and first["bookmark"]
    assert [pin["id"] for pin in second["items"]] == [ids[0]]
    assert second["bookmark"] is None
    assert refused.status_code == 400 and "bookmark" in refused.json()["message"]


def test_facebook_published_posts_page_with_paging_next(emu):
    base = f"{emu.url}/facebook/v26.0"
    auth = {"Authorization": "Bearer EAAB"}
    ids = [
        _post(f"{base}/104/feed", data={"message": f"m{n}"}, headers=auth).json()["id"]
        for n in range(3)
    ]

    first = _get(f"{base}/104/published_posts", params={"limit": 2}, headers=auth).json()
    second = _get(first["paging"]["next"], headers=auth).json()

    assert [post["id"] for post in first["data"]] == [ids[2], ids[1]]
    assert "after=" in first["paging"]["next"]
    assert [post["id"] for post in second["data"]] == [ids[0]]
    assert "next" not in second["paging"]  # the last page
