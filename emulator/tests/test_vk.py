"""The VK API stand-in over real HTTP (emulator/platforms/vk.py)."""

from __future__ import annotations

import json
import time

import pytest
import requests

from emulator.platforms import vk
from emulator.testing import InProcessEmulator
from emulator.tests.helpers import fresh, picture

GROUP = vk.DEFAULT_GROUP_ID
OWNER = -GROUP


def cyrillic(length: int) -> str:
    return ("Привет" * (length // 6 + 1))[:length]


@pytest.fixture(scope="module")
def server():
    with InProcessEmulator() as emulator:
        yield emulator


@pytest.fixture
def emu(server):
    emulator = fresh(server)
    emulator.vk.config.user_rps = 1000  # the 3/s limit has its own tests
    return emulator


def call(emu, method: str, token: str = vk.USER_TOKEN, **params) -> dict:
    answer = requests.post(
        f"{emu.vk_url}/{method}",
        data={"access_token": token, "v": "5.199", **params},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text  # VK answers its errors with HTTP 200
    return answer.json()


def failed(body: dict, code: int, message: str) -> None:
    assert "response" not in body, body
    assert body["error"]["error_code"] == code
    assert body["error"]["error_msg"] == message
    assert isinstance(body["error"]["request_params"], list)


def upload_photo(emu, content: bytes | None = None) -> dict:
    server = call(emu, "photos.getWallUploadServer", group_id=GROUP)["response"]
    uploaded = requests.post(
        server["upload_url"],
        files={"photo": ("card.jpg", content or picture(1080, 1080, "JPEG"), "image/jpeg")},
        timeout=10,
    ).json()
    return uploaded


def saved_photo(emu) -> dict:
    return call(emu, "photos.saveWallPhoto", group_id=GROUP, **upload_photo(emu))["response"][0]


def make_poll(emu, **params) -> dict:
    defaults = {
        "owner_id": OWNER,
        "question": "Сколько будет 2 + 2?",
        "add_answers": json.dumps(["4", "5", "22"]),
    }
    return call(emu, "polls.create", **{**defaults, **params})


# --- the publishing flow ----------------------------------------------------------------
def test_upload_save_and_post_a_photo_with_a_poll(emu):
    server = call(emu, "photos.getWallUploadServer", group_id=GROUP)["response"]
    assert server["upload_url"].startswith(f"{emu.url}/vk/upload/")
    assert (server["album_id"], server["user_id"]) == (-14, vk.DEFAULT_USER_ID)

    uploaded = requests.post(
        server["upload_url"],
        files={"photo": ("card.png", picture(1200, 900), "image/png")},
        timeout=10,
    ).json()
    assert set(uploaded) == {"server", "photo", "hash"} and uploaded["photo"] != "[]"

    photo = call(emu, "photos.saveWallPhoto", group_id=GROUP, caption="Карточка", **uploaded)[
        "response"
    ][0]
    assert photo["owner_id"] == OWNER and photo["text"] == "Карточка"
    assert max(s["width"] for s in photo["sizes"]) == 1200

    poll = make_poll(emu)["response"]
    assert poll["owner_id"] == OWNER and [a["text"] for a in poll["answers"]] == ["4", "5", "22"]

    posted = call(
        emu,
        "wall.post",
        owner_id=OWNER,
        from_group=1,
        message="Квиз дня",
        attachments=f"photo{photo['owner_id']}_{photo['id']},poll{poll['owner_id']}_{poll['id']}",
    )
    assert posted == {"response": {"post_id": 1}}

    item = call(emu, "wall.getById", posts=f"{OWNER}_1")["response"]["items"][0]
    assert (item["id"], item["owner_id"], item["from_id"], item["text"]) == (
        1,
        OWNER,
        OWNER,
        "Квиз дня",
    )
    assert [a["type"] for a in item["attachments"]] == ["photo", "poll"]
    assert item["attachments"][0]["photo"]["id"] == photo["id"]
    assert {"views", "likes", "reposts", "comments"} <= set(item)
    page = requests.get(f"{emu.url}/vk/wall{OWNER}_1", timeout=5)
    assert page.status_code == 200 and "Квиз дня" in page.text and "Сколько будет" in page.text
    assert requests.get(f"{emu.url}/vk/wall{OWNER}_99", timeout=5).status_code == 404
    assert emu.create_count("vk") == 1  # wall.post is what publishes


def test_post_ids_increment_and_wall_get_pages_newest_first(emu):
    for number in range(3):
        assert call(emu, "wall.post", owner_id=OWNER, from_group=1, message=f"№{number}")[
            "response"
        ] == {"post_id": number + 1}

    page = call(emu, "wall.get", owner_id=OWNER, count=2)["response"]
    rest = call(emu, "wall.get", owner_id=OWNER, count=2, offset=2)["response"]

    assert page["count"] == 3 and [p["id"] for p in page["items"]] == [3, 2]
    assert [p["id"] for p in rest["items"]] == [1]
    service = call(emu, "wall.get", token=vk.SERVICE_TOKEN, owner_id=OWNER)["response"]
    assert service["count"] == 3  # a service token reads


def test_metrics_grow_with_time(emu):
    emu.vk.config.views_per_second = 2000
    call(emu, "wall.post", owner_id=OWNER, from_group=1, message="x")
    first = call(emu, "wall.getById", posts=f"{OWNER}_1")["response"]["items"][0]
    time.sleep(0.3)
    later = call(emu, "wall.getById", posts=f"{OWNER}_1")["response"]["items"][0]

    assert later["views"]["count"] > first["views"]["count"] >= 0
    assert later["likes"]["count"] >= first["likes"]["count"]
    assert later["likes"]["count"] > 0 and later["reposts"]["count"] > 0
    assert later["comments"]["count"] > 0
    emu.vk.set_metrics(OWNER, 1, likes=1000)
    boosted = call(emu, "wall.getById", posts=f"{OWNER}_1")["response"]["items"][0]
    assert boosted["likes"]["count"] >= 1000


def test_a_repeated_guid_returns_the_same_post(emu):
    first = call(emu, "wall.post", owner_id=OWNER, message="x", guid="task-7")
    again = call(emu, "wall.post", owner_id=OWNER, message="x", guid="task-7")

    assert first == again == {"response": {"post_id": 1}}
    assert call(emu, "wall.get", owner_id=OWNER)["response"]["count"] == 1


def test_message_limit_counts_cyrillic_characters(emu):
    long = cyrillic(vk.VkConfig().message_limit)
    assert call(emu, "wall.post", owner_id=OWNER, message=long)["response"] == {"post_id": 1}
    failed(
        call(emu, "wall.post", owner_id=OWNER, message=long + "я"),
        100,
        "One of the parameters specified was missing or invalid: message is too long",
    )


def test_groups_get_by_id_with_user_and_community_tokens(emu):
    as_user = call(emu, "groups.getById", group_id=GROUP)["response"]
    as_group = call(emu, "groups.getById", token=vk.GROUP_TOKEN)["response"]

    assert as_user["groups"][0]["id"] == GROUP and as_user["groups"][0]["is_admin"] == 1
    assert as_user["profiles"] == []
    assert as_group["groups"][0]["screen_name"] == "quiz_demo"
    failed(
        call(emu, "groups.getById", group_id=1),
        100,
        "One of the parameters specified was missing or invalid: group_ids is invalid",
    )


def test_poll_votes_are_read_with_polls_get_by_id(emu):
    poll = make_poll(emu, add_answers=json.dumps(["да", "нет"]))["response"]
    emu.vk.vote(OWNER, poll["id"], 0, 3)
    emu.vk.vote(OWNER, poll["id"], 1, 1)

    read = call(emu, "polls.getById", owner_id=OWNER, poll_id=poll["id"])["response"]

    assert read["votes"] == 4 and [a["votes"] for a in read["answers"]] == [3, 1]
    assert [a["rate"] for a in read["answers"]] == [75.0, 25.0]


# --- request and token errors -----------------------------------------------------------
def test_a_missing_version_is_an_invalid_request(emu):
    answer = requests.get(
        f"{emu.vk_url}/wall.post", params={"access_token": vk.USER_TOKEN}, timeout=5
    ).json()

    failed(answer, 8, "Invalid request: v (version) is required")
    assert {"key": "method", "value": "wall.post"} in answer["error"]["request_params"]
    assert all(p["key"] != "access_token" for p in answer["error"]["request_params"])


def test_a_json_body_is_not_read(emu):
    answer = requests.post(
        f"{emu.vk_url}/groups.getById",
        json={"access_token": vk.USER_TOKEN, "v": "5.199", "group_id": GROUP},
        timeout=5,
    ).json()

    failed(answer, 8, "Invalid request: v (version) is required")


def test_token_errors(emu):
    failed(
        requests.get(f"{emu.vk_url}/wall.get", params={"v": "5.199"}, timeout=5).json(),
        5,
        "User authorization failed: no access_token passed.",
    )
    failed(
        call(emu, "wall.get", token="vk1.a.unknown"),
        5,
        "User authorization failed: invalid access_token (4).",
    )
    emu.vk.revoke(vk.USER_TOKEN)
    failed(
        call(emu, "wall.get", owner_id=OWNER),
        5,
        "User authorization failed: invalid access_token (4).",
    )


def test_the_token_may_come_as_a_bearer_header(emu):
    answer = requests.get(
        f"{emu.vk_url}/groups.getById",
        params={"v": "5.199", "group_id": str(GROUP)},
        headers={"Authorization": f"Bearer {vk.USER_TOKEN}"},
        timeout=5,
    ).json()

    assert answer["response"]["groups"][0]["id"] == GROUP


@pytest.mark.parametrize(
    "method",
    ["wall.post", "photos.getWallUploadServer", "photos.saveWallPhoto", "polls.create"],
)
def test_a_community_token_is_refused_on_user_only_methods(emu, method):
    failed(
        call(emu, method, token=vk.GROUP_TOKEN, owner_id=OWNER, group_id=GROUP, message="x"),
        27,
        "Group authorization failed: method is unavailable with group auth.",
    )
    assert emu.vk.posts == {}


def test_the_community_token_error_can_be_15_instead(emu):
    requests.post(f"{emu.url}/_control/vk/config", json={"group_token_error": 15}, timeout=5)

    failed(
        call(emu, "wall.post", token=vk.GROUP_TOKEN, owner_id=OWNER, message="x"),
        15,
        "Access denied: method is unavailable with group auth",
    )


def test_a_service_token_only_reads(emu):
    failed(
        call(emu, "wall.post", token=vk.SERVICE_TOKEN, owner_id=OWNER, message="x"),
        28,
        "Application authorization failed: method is unavailable with service token.",
    )


def test_posting_to_a_community_the_user_does_not_administer_is_denied(emu):
    emu.vk.add_group(229000002, "Чужое сообщество")

    failed(
        call(emu, "wall.post", owner_id=-229000002, message="x"),
        214,
        "Access to adding post denied",
    )
    failed(
        call(emu, "photos.getWallUploadServer", group_id=229000002),
        15,
        "Access denied: no access to this community",
    )


def test_the_daily_post_cap_is_error_214(emu):
    emu.vk.config.posts_per_day = 2
    for _ in range(2):
        assert "response" in call(emu, "wall.post", owner_id=OWNER, message="x")

    failed(
        call(emu, "wall.post", owner_id=OWNER, message="x"),
        214,
        "Access to adding post denied: you can only add 2 posts a day",
    )


def test_more_than_three_user_calls_a_second_is_error_6():
    with InProcessEmulator() as emu:  # the default limits
        answers = [call(emu, "wall.get", owner_id=OWNER) for _ in range(4)]
        community = [call(emu, "groups.getById", token=vk.GROUP_TOKEN) for _ in range(5)]

        assert all("response" in a for a in answers[:3])
        failed(answers[3], 6, "Too many requests per second")
        assert all("response" in a for a in community)  # 20/s for a community token
        time.sleep(1.0)
        assert "response" in call(emu, "wall.get", owner_id=OWNER)


def test_unknown_methods_and_bad_parameters(emu):
    failed(call(emu, "wall.postt", owner_id=OWNER), 3, "Unknown method passed")
    failed(call(emu, "Wall.post", owner_id=OWNER), 3, "Unknown method passed")  # case matters
    failed(
        call(emu, "wall.post", owner_id=OWNER),
        100,
        "One of the parameters specified was missing or invalid: message is empty or invalid",
    )
    failed(
        call(emu, "wall.post", owner_id="минус", message="x"),
        100,
        "One of the parameters specified was missing or invalid: owner_id not integer",
    )
    failed(
        call(emu, "wall.post", owner_id=OWNER, attachments=f"photo{OWNER}_1"),
        100,
        f"One of the parameters specified was missing or invalid: attachments is invalid: "
        f"photo{OWNER}_1 not found",
    )


# --- upload and save errors -------------------------------------------------------------
def test_a_file_that_is_not_a_picture_uploads_as_an_empty_photo_list(emu):
    uploaded = upload_photo(emu, b"%PDF-1.7 not a picture")

    assert uploaded["photo"] == "[]"
    failed(
        call(emu, "photos.saveWallPhoto", group_id=GROUP, **uploaded),
        100,
        "One of the parameters specified was missing or invalid: photos_list is invalid",
    )


@pytest.mark.parametrize(("width", "height"), [(7001, 7000), (2100, 100)])
def test_pictures_beyond_the_upload_limits_are_refused(emu, width, height):
    assert upload_photo(emu, picture(width, height, "PNG"))["photo"] == "[]"


def test_save_checks_server_and_hash(emu):
    uploaded = upload_photo(emu)

    failed(
        call(emu, "photos.saveWallPhoto", group_id=GROUP, **{**uploaded, "hash": "0" * 32}),
        121,
        "Invalid hash",
    )
    failed(
        call(emu, "photos.saveWallPhoto", group_id=GROUP, **{**uploaded, "server": "1"}),
        118,
        "Invalid server",
    )
    assert "response" in call(emu, "photos.saveWallPhoto", group_id=GROUP, **uploaded)
    failed(  # an upload is saved once
        call(emu, "photos.saveWallPhoto", group_id=GROUP, **uploaded),
        100,
        "One of the parameters specified was missing or invalid: photos_list is invalid",
    )


def test_poll_answers_are_between_one_and_ten(emu):
    assert "response" in make_poll(emu, add_answers=json.dumps(["единственный"]))
    assert "response" in make_poll(emu, add_answers=json.dumps([cyrillic(20)] * 10))
    failed(
        make_poll(emu, add_answers=json.dumps(["ответ"] * 11)),
        100,
        "One of the parameters specified was missing or invalid: "
        "add_answers must hold from 1 to 10 answers",
    )
    failed(
        make_poll(emu, add_answers="да,нет"),
        100,
        "One of the parameters specified was missing or invalid: add_answers is invalid",
    )


# --- faults -----------------------------------------------------------------------------
def test_vk_faults_answer_in_the_vk_envelope(emu):
    emu.fault("vk", "flood_control", on="create")
    emu.fault("vk", "captcha", on="create")
    emu.fault("vk", "rate_limit", on="create")
    emu.fault("vk", "expired_token", on="create")

    answers = [call(emu, "wall.post", owner_id=OWNER, message="x") for _ in range(5)]

    failed(answers[0], 9, "Flood control")
    failed(answers[1], 14, "Captcha needed")
    assert answers[1]["error"]["captcha_sid"].isdigit()
    assert answers[1]["error"]["captcha_img"].startswith("https://api.vk.com/captcha.php?sid=")
    failed(answers[2], 6, "Too many requests per second")
    failed(answers[3], 5, "User authorization failed: access_token has expired.")
    assert answers[4] == {"response": {"post_id": 1}}


def test_a_status_fault_answers_that_http_status(emu):
    emu.fault("vk", "status", status=500, path="wall.post")

    answer = requests.post(
        f"{emu.vk_url}/wall.post",
        data={"access_token": vk.USER_TOKEN, "v": "5.199", "owner_id": OWNER, "message": "x"},
        timeout=5,
    )

    assert answer.status_code == 500
    failed(answer.json(), 10, "Internal server error")
    assert emu.vk.posts == {}


def test_a_timeout_fault_processed_before_the_stall_posts_anyway(emu):
    emu.fault("vk", "timeout", seconds=5, process="before", on="create")

    with pytest.raises(requests.ReadTimeout):
        requests.post(
            f"{emu.vk_url}/wall.post",
            data={"access_token": vk.USER_TOKEN, "v": "5.199", "owner_id": OWNER, "message": "x"},
            timeout=0.3,
        )
    emu.release()

    assert call(emu, "wall.get", owner_id=OWNER)["response"]["count"] == 1  # reconcile finds it


def test_wall_pages_are_not_recorded_as_platform_requests(emu):
    requests.get(f"{emu.url}/vk/wall{OWNER}_1", timeout=5)
    call(emu, "wall.get", owner_id=OWNER)

    assert [r["path"] for r in emu.requests("vk")] == ["/vk/method/wall.get"]
