"""VK API client: the wire and the mapping of VK's error codes, at the HTTP boundary."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from responses import matchers

from social_media.platforms.base import Outcome
from social_media.platforms.vk.client import VkApiError, VkClient, classify, post_url
from social_media.platforms.vk.pacing import Pacer

API = "https://api.vk.com/method"
TOKEN = "vk1.a.test-user-token-0123456789abcdef"


@pytest.fixture(autouse=True)
def _vk_settings(settings):
    settings.VK_API_BASE_URL = API
    settings.VK_API_VERSION = "5.199"
    settings.VK_REQUESTS_PER_SECOND = 1000  # pacing has its own tests below


def client() -> VkClient:
    return VkClient(token=TOKEN)


def vk_error(code: int, message: str) -> dict:
    return {
        "error": {
            "error_code": code,
            "error_msg": message,
            "request_params": [{"key": "method", "value": "wall.post"}],
        }
    }


def form(call) -> dict[str, list[str]]:
    body = call.request.body
    return parse_qs(body.decode() if isinstance(body, bytes) else body)


def test_a_method_is_a_form_post_with_the_version_and_a_bearer_token(mocked_responses):
    mocked_responses.post(
        f"{API}/wall.post",
        json={"response": {"post_id": 17}},
        match=[matchers.header_matcher({"Authorization": f"Bearer {TOKEN}"})],
    )

    post_id = client().wall_post(
        group_id="229000001", message="Привет", attachments=["photo-229000001_5"], guid="g1"
    )

    assert post_id == "17"
    call = mocked_responses.calls[0]
    sent = form(call)
    assert sent["v"] == ["5.199"]
    assert sent["owner_id"] == ["-229000001"]
    assert sent["from_group"] == ["1"]
    assert sent["message"] == ["Привет"]
    assert sent["attachments"] == ["photo-229000001_5"]
    assert "access_token" not in sent
    assert TOKEN not in call.request.url
    assert call.request.headers["Content-Type"] == "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("code", "message", "outcome", "retry_after", "spam", "says"),
    [
        (
            5,
            "User authorization failed: invalid access_token (4).",
            Outcome.AUTH,
            None,
            False,
            "invalid, expired or revoked",
        ),
        (6, "Too many requests per second", Outcome.RATE_LIMITED, 1.0, False, "per second"),
        (9, "Flood control", Outcome.RATE_LIMITED, 600.0, True, "flood control"),
        (14, "Captcha needed", Outcome.PERMANENT, None, False, "captcha"),
        (
            15,
            "Access denied: no access to this community",
            Outcome.PERMANENT,
            None,
            False,
            "not an admin or editor",
        ),
        (
            27,
            "Group authorization failed: method is unavailable with group auth.",
            Outcome.PERMANENT,
            None,
            False,
            "user token of a community admin",
        ),
        (28, "Application authorization failed", Outcome.PERMANENT, None, False, "service token"),
        (214, "Access to adding post denied", Outcome.PERMANENT, None, False, "may not post"),
        (
            214,
            "Access to adding post denied: you can only add 50 posts a day",
            Outcome.RATE_LIMITED,
            3600.0,
            False,
            "daily post limit",
        ),
        (10, "Internal server error", Outcome.UNKNOWN, None, False, "Internal server error"),
        (1, "Unknown error occurred", Outcome.TRANSIENT, None, False, "Unknown error"),
        (
            100,
            "One of the parameters specified was missing or invalid: message is too long",
            Outcome.PERMANENT,
            None,
            False,
            "message is too long",
        ),
        (17, "Validation required", Outcome.AUTH, None, False, "Validation required"),
    ],
    ids=lambda value: str(value) if isinstance(value, int) else None,
)
def test_vk_error_codes_map_to_outcomes(
    mocked_responses, code, message, outcome, retry_after, spam, says
):
    mocked_responses.post(f"{API}/wall.post", json=vk_error(code, message))  # HTTP 200, as VK

    with pytest.raises(VkApiError) as caught:
        client().wall_post(group_id="1", message="x", attachments=[], guid="g")

    error = caught.value
    assert (error.outcome, error.retry_after, error.spam, error.code) == (
        outcome,
        retry_after,
        spam,
        code,
    )
    assert error.http_status == 200
    assert f"error {code}" in error.message
    assert says.lower() in error.message.lower()


def test_a_server_error_is_unknown_only_for_the_post_itself(mocked_responses):
    mocked_responses.post(f"{API}/photos.getWallUploadServer", json=vk_error(10, "Internal"))

    with pytest.raises(VkApiError) as caught:
        client().wall_upload_server(group_id="1")

    assert caught.value.outcome == Outcome.TRANSIENT


@pytest.mark.parametrize("status", [500, 502, 503])
def test_http_server_errors_are_transient(mocked_responses, status):
    mocked_responses.get(f"{API}/wall.get", status=status, body="<html>Bad Gateway</html>")

    with pytest.raises(VkApiError) as caught:
        client().wall_page(group_id="1")

    assert (caught.value.outcome, caught.value.http_status) == (Outcome.TRANSIENT, status)


def test_a_vk_error_with_a_5xx_status_is_not_permanent(mocked_responses):
    mocked_responses.get(f"{API}/wall.get", status=500, json=vk_error(100, "Invalid"))

    with pytest.raises(VkApiError) as caught:
        client().wall_page(group_id="1")

    assert caught.value.outcome == Outcome.TRANSIENT
    assert caught.value.code == 100


def test_http_429_is_rate_limited_with_its_retry_after(mocked_responses):
    mocked_responses.get(f"{API}/wall.get", status=429, headers={"Retry-After": "7"}, body="")

    with pytest.raises(VkApiError) as caught:
        client().wall_page(group_id="1")

    assert (caught.value.outcome, caught.value.retry_after) == (Outcome.RATE_LIMITED, 7.0)


@pytest.mark.parametrize(
    ("method", "outcome"), [("wall.post", Outcome.UNKNOWN), ("wall.get", Outcome.TRANSIENT)]
)
def test_an_answer_without_a_response_is_unknown_only_for_the_post(
    mocked_responses, method, outcome
):
    mocked_responses.post(f"{API}/{method}", json={"result": "ok"})

    with pytest.raises(VkApiError) as caught:
        client().call(method, owner_id="-1")

    assert caught.value.outcome == outcome


def test_a_post_answer_without_a_post_id_is_unknown(mocked_responses):
    mocked_responses.post(f"{API}/wall.post", json={"response": {"post_id": None}})

    with pytest.raises(VkApiError) as caught:
        client().wall_post(group_id="1", message="x", attachments=[], guid="g")

    assert caught.value.outcome == Outcome.UNKNOWN
    assert "may exist" in caught.value.message


def test_the_token_echoed_in_an_error_is_masked(mocked_responses):
    mocked_responses.post(f"{API}/wall.post", json=vk_error(5, f"bad token {TOKEN}"))

    with pytest.raises(VkApiError) as caught:
        client().wall_post(group_id="1", message="x", attachments=[], guid="g")

    assert TOKEN not in caught.value.message
    assert TOKEN not in caught.value.excerpt
    assert "***" in caught.value.message


UPLOAD = "https://pu.vk.com/c123/ss2/upload.php?act=do_add&mid=1&aid=-14&gid=1&hash=abc"


def test_the_upload_sends_the_card_as_multipart_photo_without_the_token(mocked_responses):
    mocked_responses.post(
        UPLOAD, json={"server": 622624, "photo": '[{"photo":"ab:w"}]', "hash": "8112ae"}
    )

    uploaded = client().upload_photo(
        upload_url=UPLOAD, filename="card.png", data=b"\x89PNG...", content_type="image/png"
    )

    assert uploaded["hash"] == "8112ae"
    request = mocked_responses.calls[0].request
    assert "Authorization" not in request.headers
    assert request.headers["Content-Type"].startswith("multipart/form-data")
    assert b'name="photo"; filename="card.png"' in request.body


@pytest.mark.parametrize(
    "answer",
    [{"server": 1, "photo": "[]", "hash": "x"}, {"error": "ERR_UPLOAD_BAD_URL"}, {"photo": "x"}],
    ids=["empty-list", "error", "no-hash"],
)
def test_a_refused_upload_is_transient(mocked_responses, answer):
    mocked_responses.post(UPLOAD, json=answer)

    with pytest.raises(VkApiError) as caught:
        client().upload_photo(
            upload_url=UPLOAD, filename="c.png", data=b"x", content_type="image/png"
        )

    assert caught.value.outcome == Outcome.TRANSIENT
    assert "uploaded again" in caught.value.message


def test_an_upload_url_without_tls_is_refused_before_sending(mocked_responses):
    with pytest.raises(VkApiError) as caught:
        client().upload_photo(
            upload_url="http://pu.vk.com/upload.php",
            filename="c.png",
            data=b"x",
            content_type="image/png",
        )

    assert caught.value.outcome == Outcome.PERMANENT
    assert not mocked_responses.calls


def test_the_saved_photo_and_the_poll_become_attachments(mocked_responses):
    mocked_responses.post(
        f"{API}/photos.saveWallPhoto",
        json={"response": [{"id": 457239017, "owner_id": -229000001, "album_id": -14}]},
    )
    mocked_responses.post(
        f"{API}/polls.create", json={"response": {"id": 88, "owner_id": -229000001}}
    )

    vk = client()
    photo = vk.save_wall_photo(
        group_id="229000001", uploaded={"server": 1, "photo": "[..]", "hash": "h"}
    )
    poll = vk.create_poll(group_id="229000001", question="Что?", answers=["да", "нет"])

    assert (photo, poll) == ("photo-229000001_457239017", "poll-229000001_88")
    sent = form(mocked_responses.calls[1])
    assert sent["add_answers"] == ['["да", "нет"]']
    assert sent["owner_id"] == ["-229000001"]


def test_post_links_follow_the_setting(settings):
    assert post_url("229000001", 5) == "https://vk.com/wall-229000001_5"
    settings.VK_POST_URL = "http://127.0.0.1:8025/vk/wall-{group_id}_{post_id}"
    assert post_url("1", "2") == "http://127.0.0.1:8025/vk/wall-1_2"


def test_classify_branches_214_on_its_message():
    assert classify(214, "Access to adding post denied", "wall.post")[0] == Outcome.PERMANENT
    assert classify(214, "… you can only add 50 posts a day", "wall.post")[0] == (
        Outcome.RATE_LIMITED
    )


# --- pacing -----------------------------------------------------------------------------
class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_pacer_lets_three_calls_through_then_waits_for_the_window():
    clock = FakeClock()
    pacer = Pacer(window=1.1, max_wait=2.5, clock=clock, sleep=clock.sleep)

    waits = [pacer.take("t", 3) for _ in range(4)]

    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3] == pytest.approx(1.1)
    assert clock.slept == [pytest.approx(1.1)]


def test_the_pacer_keeps_tokens_apart_and_refuses_long_waits():
    clock = FakeClock()
    pacer = Pacer(window=1.1, max_wait=1.5, clock=clock, sleep=lambda s: None)

    assert [pacer.reserve("a", 1) for _ in range(2)] == [0.0, pytest.approx(1.1)]
    assert pacer.reserve("a", 1) is None  # 2.2 s away: more than max_wait
    assert pacer.reserve("b", 1) == 0.0
    assert pacer.next_free("a", 1) == pytest.approx(2.2)


def test_a_call_past_the_pace_is_refused_without_sending(mocked_responses, settings, monkeypatch):
    from social_media.platforms.vk import client as client_module

    settings.VK_REQUESTS_PER_SECOND = 1
    clock = FakeClock()
    monkeypatch.setattr(
        client_module, "PACER", Pacer(window=1.1, max_wait=0.5, clock=clock, sleep=clock.sleep)
    )
    mocked_responses.get(f"{API}/wall.get", json={"response": {"count": 0, "items": []}})
    vk = client()

    assert vk.wall_page(group_id="1") == []
    with pytest.raises(VkApiError) as caught:
        vk.wall_page(group_id="1")

    assert caught.value.outcome == Outcome.RATE_LIMITED
    assert caught.value.retry_after == pytest.approx(1.1)
    assert "nothing was sent" in caught.value.message
    assert len(mocked_responses.calls) == 1


def test_a_flood_answer_is_marked_as_spam_and_keeps_the_steps_done(mocked_responses):
    from social_media.platforms.vk.publishing import result_of

    mocked_responses.post(f"{API}/wall.post", json=vk_error(9, "Flood control"))
    with pytest.raises(VkApiError) as caught:
        client().wall_post(group_id="1", message="x", attachments=[], guid="g")

    result = result_of(caught.value, {"photo": "photo-1_2", "poll": ""})

    assert (result.outcome, result.spam, result.retry_after) == (Outcome.RATE_LIMITED, True, 600.0)
    assert result.state == {"photo": "photo-1_2", "poll": ""}


def test_an_unknown_end_before_the_post_is_a_plain_retry():
    from social_media.platforms.vk.publishing import result_of

    lost = VkApiError(
        Outcome.UNKNOWN, "VK: no answer within 1 s; the request may have been processed."
    )

    result = result_of(lost, {}, before_post=True)

    assert result.outcome == Outcome.TRANSIENT
    assert result.spam is False
    assert "Nothing is on the wall yet" in result.error_message
