"""The Telegram Bot API stand-in over real HTTP (emulator/platforms/telegram.py)."""

from __future__ import annotations

import json
import logging
import threading
import time

import pytest
import requests

from emulator.platforms import telegram
from emulator.testing import InProcessEmulator
from emulator.tests.helpers import Receiver, fresh, picture

CHANNEL = "@quiz_demo"
PRIVATE = str(telegram.PRIVATE_CHANNEL_ID)
CYRILLIC = "Вопрос"  # 6 letters; Cyrillic is one UTF-16 unit per letter


def cyrillic(length: int) -> str:
    return (CYRILLIC * (length // len(CYRILLIC) + 1))[:length]


@pytest.fixture(scope="module")
def server():
    with InProcessEmulator() as emulator:
        yield emulator


@pytest.fixture
def emu(server):
    return fresh(server)


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def api(emu, method: str, token: str = telegram.DEFAULT_TOKEN) -> str:
    return f"{emu.telegram_url}/bot{token}/{method}"


def call(emu, method: str, **params) -> requests.Response:
    return requests.post(api(emu, method), json=params, timeout=10)


def quiz(**overrides) -> dict:
    return {
        "chat_id": CHANNEL,
        "question": "2 + 2 = ?",
        "options": [{"text": "4"}, {"text": "5"}, {"text": "22"}],
        "type": "quiz",
        "correct_option_ids": [0],
        **overrides,
    }


def refused(answer: requests.Response, status: int, description: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json() == {"ok": False, "error_code": status, "description": description}


# --- identity, chats and membership -----------------------------------------------------
def test_get_me_answers_the_bot_in_the_real_envelope(emu):
    answer = requests.get(api(emu, "getMe"), timeout=5)

    assert answer.status_code == 200
    body = answer.json()
    assert body["ok"] is True
    assert body["result"]["id"] == 123456789 and body["result"]["is_bot"] is True
    assert body["result"]["username"] == "quiz_demo_bot"


def test_a_wrong_token_is_unauthorized_and_a_malformed_one_not_found(emu):
    refused(requests.get(api(emu, "getMe", "123456789:wrong"), timeout=5), 401, "Unauthorized")
    refused(requests.get(api(emu, "getMe", "not-a-token"), timeout=5), 404, "Not Found")
    refused(requests.get(api(emu, "noSuchMethod"), timeout=5), 404, "Not Found")


def test_a_revoked_token_is_unauthorized_from_then_on(emu):
    assert call(emu, "getMe").status_code == 200
    emu.telegram.revoke(telegram.DEFAULT_TOKEN)

    refused(call(emu, "getMe"), 401, "Unauthorized")
    refused(call(emu, "sendMessage", chat_id=CHANNEL, text="x"), 401, "Unauthorized")


def test_get_chat_by_username_and_by_private_id(emu):
    public = call(emu, "getChat", chat_id=CHANNEL).json()["result"]
    private = call(emu, "getChat", chat_id=PRIVATE).json()["result"]

    assert (public["id"], public["type"], public["username"]) == (
        telegram.DEFAULT_CHANNEL_ID,
        "channel",
        "quiz_demo",
    )
    assert private["id"] == telegram.PRIVATE_CHANNEL_ID and "username" not in private
    refused(call(emu, "getChat", chat_id="@nobody_here"), 400, "Bad Request: chat not found")
    refused(call(emu, "getChat", chat_id="-1000000000001"), 400, "Bad Request: chat not found")


def test_get_chat_member_reports_the_bots_rights_and_its_removal(emu):
    member = call(emu, "getChatMember", chat_id=CHANNEL, user_id=123456789).json()["result"]
    assert member["status"] == "administrator" and member["can_post_messages"] is True
    assert member["user"]["id"] == 123456789

    emu.telegram.set_bot_status(CHANNEL, "kicked")
    kicked = call(emu, "getChatMember", chat_id=CHANNEL, user_id=123456789).json()["result"]
    assert kicked["status"] == "kicked"


def test_sending_where_the_bot_is_not_a_member_kicked_or_without_rights_is_refused(emu):
    emu.telegram.set_bot_status(CHANNEL, "left")
    refused(
        call(emu, "sendMessage", chat_id=CHANNEL, text="x"),
        403,
        "Forbidden: bot is not a member of the channel chat",
    )
    emu.telegram.set_bot_status(CHANNEL, "kicked")
    refused(
        call(emu, "sendMessage", chat_id=CHANNEL, text="x"),
        403,
        "Forbidden: bot was kicked from the channel chat",
    )
    emu.telegram.set_bot_status(CHANNEL, "administrator", can_post_messages=False)
    refused(
        call(emu, "sendMessage", chat_id=CHANNEL, text="x"),
        400,
        "Bad Request: need administrator rights in the channel chat",
    )
    refused(
        call(emu, "sendMessage", chat_id="@missing", text="x"), 400, "Bad Request: chat not found"
    )
    assert emu.telegram.messages == []


# --- sendPhoto --------------------------------------------------------------------------
def test_send_photo_upload_with_a_cyrillic_caption_of_exactly_1024_after_markup(emu):
    caption = f"<b>{cyrillic(1000)}</b>{cyrillic(24)}"  # 1031 characters sent, 1024 kept

    answer = requests.post(
        api(emu, "sendPhoto"),
        data={"chat_id": CHANNEL, "caption": caption, "parse_mode": "HTML"},
        files={"photo": ("card.png", picture(1080, 1350), "image/png")},
        timeout=10,
    )

    assert answer.status_code == 200, answer.text
    message = answer.json()["result"]
    assert message["message_id"] == 1 and message["chat"]["id"] == telegram.DEFAULT_CHANNEL_ID
    assert message["caption"] == cyrillic(1000) + cyrillic(24)
    assert message["caption_entities"] == [{"type": "bold", "offset": 0, "length": 1000}]
    assert (message["photo"][-1]["width"], message["photo"][-1]["height"]) == (1080, 1350)
    assert [size["width"] for size in message["photo"]] == [72, 256, 640, 1024, 1080]


def test_send_photo_refuses_a_caption_of_1025_after_markup(emu):
    answer = requests.post(
        api(emu, "sendPhoto"),
        data={"chat_id": CHANNEL, "caption": f"<i>{cyrillic(1025)}</i>", "parse_mode": "HTML"},
        files={"photo": ("card.png", picture(), "image/png")},
        timeout=10,
    )

    refused(answer, 400, "Bad Request: message caption is too long")
    assert emu.telegram.messages == []


def test_send_photo_by_url_fetches_it_from_loopback_and_checks_it_is_a_picture(emu, receiver):
    receiver.files["card.jpg"] = ("image/jpeg", picture(800, 600, "JPEG"))
    receiver.files["page.html"] = ("text/html", b"<html>not a picture</html>")

    sent = call(emu, "sendPhoto", chat_id=CHANNEL, photo=f"{receiver.url}/card.jpg")
    assert sent.status_code == 200, sent.text
    assert sent.json()["result"]["photo"][-1]["width"] == 800

    refused(
        call(emu, "sendPhoto", chat_id=CHANNEL, photo=f"{receiver.url}/page.html"),
        400,
        "Bad Request: wrong type of the web page content",
    )
    refused(
        call(emu, "sendPhoto", chat_id=CHANNEL, photo=f"{receiver.url}/missing.png"),
        400,
        "Bad Request: failed to get HTTP URL content",
    )
    refused(  # never leaves loopback
        call(emu, "sendPhoto", chat_id=CHANNEL, photo="https://cdn.example.com/card.png"),
        400,
        "Bad Request: failed to get HTTP URL content",
    )


def test_a_file_id_from_an_earlier_photo_can_be_sent_again(emu):
    first = requests.post(
        api(emu, "sendPhoto"),
        data={"chat_id": CHANNEL},
        files={"photo": ("card.png", picture(), "image/png")},
        timeout=10,
    ).json()["result"]
    again = call(emu, "sendPhoto", chat_id=PRIVATE, photo=first["photo"][-1]["file_id"])

    assert again.json()["result"]["photo"] == first["photo"]
    refused(
        call(emu, "sendPhoto", chat_id=CHANNEL, photo="AgACAgIAAxkDAAIunknown"),
        400,
        "Bad Request: wrong file identifier/HTTP URL specified",
    )


@pytest.mark.parametrize(
    ("content", "description"),
    [
        (picture(420, 20), "Bad Request: PHOTO_INVALID_DIMENSIONS"),  # ratio 21 > 20
        (picture(6000, 4001), "Bad Request: PHOTO_INVALID_DIMENSIONS"),  # sides 10001
        (b"GIF89a not really", "Bad Request: IMAGE_PROCESS_FAILED"),
    ],
)
def test_send_photo_enforces_the_photo_limits(emu, content, description):
    answer = requests.post(
        api(emu, "sendPhoto"),
        data={"chat_id": CHANNEL},
        files={"photo": ("x.png", content, "image/png")},
        timeout=10,
    )

    refused(answer, 400, description)


def test_send_photo_accepts_the_limits_exactly(emu):
    answer = requests.post(
        api(emu, "sendPhoto"),
        data={"chat_id": CHANNEL, "has_spoiler": "true"},
        files={"photo": ("x.png", picture(400, 20), "image/png")},  # ratio 20
        timeout=10,
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["result"]["has_media_spoiler"] is True


# --- markup -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "mode", "problem"),
    [
        ("<b>bold", "HTML", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", "HTML", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("Ответ <blink>x</blink>", "HTML", 'Unsupported start tag "blink" at byte offset 11'),
        ("2 < 3", "HTML", 'Unsupported start tag "" at byte offset 2'),
        (
            "Итог: 5.",
            "MarkdownV2",
            "Character '.' is reserved and must be escaped with the preceding '\\'",
        ),
        ("*жирный", "MarkdownV2", "Can't find end of Bold entity at byte offset 0"),
        ("||спойлер", "MarkdownV2", "Can't find end of Spoiler entity at byte offset 0"),
    ],
)
def test_broken_markup_is_refused_with_the_parse_error(emu, text, mode, problem):
    answer = call(emu, "sendMessage", chat_id=CHANNEL, text=text, parse_mode=mode)

    refused(answer, 400, f"Bad Request: can't parse entities: {problem}")


def test_spoilers_in_html_and_markdown_v2_become_spoiler_entities(emu):
    html = call(
        emu,
        "sendMessage",
        chat_id=CHANNEL,
        text='Ответ: <tg-spoiler>42</tg-spoiler> и <span class="tg-spoiler">да</span>',
        parse_mode="HTML",
    ).json()["result"]
    markdown = call(
        emu, "sendMessage", chat_id=CHANNEL, text="Ответ: ||42\\.||", parse_mode="MarkdownV2"
    ).json()["result"]

    assert html["text"] == "Ответ: 42 и да"
    assert html["entities"] == [
        {"type": "spoiler", "offset": 7, "length": 2},
        {"type": "spoiler", "offset": 12, "length": 2},
    ]
    assert markdown["text"] == "Ответ: 42."
    assert markdown["entities"] == [{"type": "spoiler", "offset": 7, "length": 3}]
    assert (html["message_id"], markdown["message_id"]) == (1, 2)


def test_explicit_entities_are_kept_without_a_parse_mode(emu):
    entities = [{"type": "spoiler", "offset": 0, "length": 2}]
    message = requests.post(
        api(emu, "sendMessage"),
        data={"chat_id": CHANNEL, "text": "42 ok", "entities": json.dumps(entities)},
        timeout=5,
    ).json()["result"]

    assert message["entities"] == entities


def test_message_text_limit_is_4096_cyrillic_characters(emu):
    assert call(emu, "sendMessage", chat_id=CHANNEL, text=cyrillic(4096)).status_code == 200
    refused(
        call(emu, "sendMessage", chat_id=CHANNEL, text=cyrillic(4097)),
        400,
        "Bad Request: message is too long",
    )
    refused(
        call(emu, "sendMessage", chat_id=CHANNEL, text=" "),
        400,
        "Bad Request: message text is empty",
    )


# --- sendPoll ---------------------------------------------------------------------------
def test_send_quiz_with_a_300_character_cyrillic_question(emu):
    answer = call(emu, "sendPoll", **quiz(question=cyrillic(300), explanation=cyrillic(200)))

    assert answer.status_code == 200, answer.text
    poll = answer.json()["result"]["poll"]
    assert poll["question"] == cyrillic(300) and poll["type"] == "quiz"
    assert poll["is_anonymous"] is True and poll["correct_option_ids"] == [0]
    assert [o["text"] for o in poll["options"]] == ["4", "5", "22"]
    assert all(o["voter_count"] == 0 and o["persistent_id"] for o in poll["options"])
    assert "correct_option_id" not in poll
    assert poll["explanation"] == cyrillic(200)


@pytest.mark.parametrize(
    ("overrides", "description"),
    [
        ({"question": cyrillic(301)}, "Bad Request: poll question length must not exceed 300"),
        ({"question": ""}, "Bad Request: poll question must be non-empty"),
        (
            {"options": [{"text": cyrillic(101)}, {"text": "b"}]},
            "Bad Request: poll options length must not exceed 100",
        ),
        (
            {"options": [{"text": str(n)} for n in range(13)]},
            "Bad Request: poll can't have more than 12 options",
        ),
        ({"options": []}, "Bad Request: poll must have at least 1 option"),
        ({"options": ["4", "5"]}, "Bad Request: can't parse InputPollOption JSON object"),
        ({"correct_option_ids": [3]}, "Bad Request: wrong correct option ID specified"),
        (
            {"correct_option_ids": None, "correct_option_id": 0},
            "Bad Request: wrong correct option ID specified",
        ),
        ({"explanation": cyrillic(201)}, "Bad Request: explanation is too long"),
        (
            {"is_anonymous": False},
            "Bad Request: non-anonymous polls can't be sent to channel chats",
        ),
    ],
)
def test_send_poll_refuses_what_the_current_bot_api_refuses(emu, overrides, description):
    params = {k: v for k, v in quiz(**overrides).items() if v is not None}

    refused(call(emu, "sendPoll", **params), 400, description)
    assert emu.telegram.messages == []


def test_twelve_options_of_100_cyrillic_characters_are_accepted(emu):
    options = [{"text": cyrillic(99) + str(n % 10)} for n in range(12)]

    assert call(emu, "sendPoll", **quiz(options=options)).status_code == 200


def test_an_older_bot_api_takes_string_options_and_the_scalar_correct_option_id(emu):
    emu.telegram.config.bot_api_version = "7.0"
    params = {
        "chat_id": CHANNEL,
        "question": "Столица Франции?",
        "options": json.dumps(["Париж", "Лион"]),
        "type": "quiz",
        "correct_option_id": "0",
    }

    answer = requests.post(api(emu, "sendPoll"), data=params, timeout=5)  # a urlencoded form

    assert answer.status_code == 200, answer.text
    poll = answer.json()["result"]["poll"]
    assert poll["correct_option_id"] == 0 and "correct_option_ids" not in poll
    assert poll["options"] == [
        {"text": "Париж", "voter_count": 0},
        {"text": "Лион", "voter_count": 0},
    ]
    refused(  # objects came with 7.3
        call(
            emu,
            "sendPoll",
            **quiz(correct_option_ids=None, correct_option_id=0) | {"correct_option_ids": None},
        ),
        400,
        "Bad Request: can't parse InputPollOption JSON object",
    )
    emu.telegram.config.bot_api_version = "9.0"
    refused(  # 2-10 options before 9.1
        call(
            emu,
            "sendPoll",
            chat_id=CHANNEL,
            question="q",
            options=[{"text": str(n)} for n in range(11)],
            type="quiz",
            correct_option_id=0,
        ),
        400,
        "Bad Request: poll can't have more than 10 options",
    )


def test_the_scalar_correct_option_id_on_a_current_server_only_when_configured(emu):
    params = {**quiz(), "correct_option_id": 1}
    del params["correct_option_ids"]
    refused(call(emu, "sendPoll", **params), 400, "Bad Request: wrong correct option ID specified")

    emu.telegram.config.accept_correct_option_id = True
    poll = call(emu, "sendPoll", **params).json()["result"]["poll"]

    assert poll["correct_option_ids"] == [1]


def test_string_options_on_a_current_server_only_when_configured(emu):
    requests.post(
        f"{emu.url}/_control/telegram/config", json={"accept_string_options": True}, timeout=5
    )

    answer = call(emu, "sendPoll", **quiz(options=["4", "5"]))

    assert answer.status_code == 200, answer.text


def test_get_with_a_query_string_works_too(emu):
    answer = requests.get(
        api(emu, "sendPoll"),
        params={
            "chat_id": PRIVATE,
            "question": "Да?",
            "options": json.dumps([{"text": "да"}, {"text": "нет"}]),
            "type": "quiz",
            "correct_option_ids": "[1]",
        },
        timeout=5,
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["result"]["chat"]["id"] == telegram.PRIVATE_CHANNEL_ID


# --- ids, links, pages, rate limit --------------------------------------------------------
def test_message_ids_increment_per_chat_and_links_follow_the_chat_kind(emu):
    first = call(emu, "sendMessage", chat_id=CHANNEL, text="один").json()["result"]
    second = call(emu, "sendPoll", **quiz()).json()["result"]
    private = call(emu, "sendMessage", chat_id=PRIVATE, text="два").json()["result"]

    assert (first["message_id"], second["message_id"], private["message_id"]) == (1, 2, 1)
    public_channel = emu.telegram.channels[telegram.DEFAULT_CHANNEL_ID]
    private_channel = emu.telegram.channels[telegram.PRIVATE_CHANNEL_ID]
    assert public_channel.link(2) == "https://t.me/quiz_demo/2"
    assert private_channel.link(1) == "https://t.me/c/9876543210/1"
    page = requests.get(public_channel.link(2, f"{emu.url}/t.me"), timeout=5)
    assert page.status_code == 200 and "2 + 2 = ?" in page.text
    private_page = requests.get(private_channel.link(1, f"{emu.url}/t.me"), timeout=5)
    assert private_page.status_code == 200 and "два" in private_page.text
    assert requests.get(f"{emu.url}/t.me/quiz_demo/99", timeout=5).status_code == 404
    assert emu.create_count("telegram") == 3


def test_more_than_the_per_minute_limit_to_one_chat_gets_429_with_retry_after(emu):
    emu.telegram.config.messages_per_minute = 2
    for _ in range(2):
        assert call(emu, "sendMessage", chat_id=CHANNEL, text="x").status_code == 200

    answer = call(emu, "sendMessage", chat_id=CHANNEL, text="x")

    assert answer.status_code == 429
    body = answer.json()
    retry = body["parameters"]["retry_after"]
    assert 55 <= retry <= 60
    assert body["description"] == f"Too Many Requests: retry after {retry}"
    assert call(emu, "sendMessage", chat_id=PRIVATE, text="x").status_code == 200  # per chat


def test_the_default_limit_is_twenty_messages_a_minute(emu):
    answers = [
        call(emu, "sendMessage", chat_id=CHANNEL, text=str(n)).status_code for n in range(21)
    ]

    assert answers == [200] * 20 + [429]


# --- faults -----------------------------------------------------------------------------
def test_generic_and_telegram_faults_answer_in_the_bot_api_envelope(emu):
    emu.fault("telegram", "status", status=502, on="create")
    emu.fault("telegram", "flood_wait", retry_after=17, on="create")
    emu.fault("telegram", "kicked", on="create")
    emu.fault("telegram", "expired_token")

    answers = [call(emu, "sendMessage", chat_id=CHANNEL, text="x") for _ in range(5)]

    refused(answers[0], 502, "Bad Gateway")
    assert answers[1].status_code == 429
    assert answers[1].json()["parameters"] == {"retry_after": 17}
    assert answers[1].json()["description"] == "Too Many Requests: retry after 17"
    refused(answers[2], 403, "Forbidden: bot was kicked from the channel chat")
    refused(answers[3], 401, "Unauthorized")
    assert answers[4].json()["result"]["message_id"] == 1  # only the last one was sent
    assert emu.create_count("telegram") == 5


def test_a_timeout_fault_that_never_processes_answers_504_and_sends_nothing(emu):
    emu.fault("telegram", "timeout", seconds=0.2, process="never", on="create")

    refused(call(emu, "sendPoll", **quiz()), 504, "Gateway Timeout")
    assert emu.telegram.messages == []


def test_telegram_only_faults_are_refused_for_other_platforms(emu):
    from emulator.state import FaultError

    with pytest.raises(FaultError, match="only applies to the telegram platform"):
        emu.fault("pinterest", "kicked")


def test_the_bot_token_never_appears_in_the_emulator_log(emu, caplog):
    with caplog.at_level(logging.INFO, logger="emulator"):
        call(emu, "getMe")

    assert "/telegram/bot<token>/getMe" in caplog.text
    assert telegram.DEFAULT_TOKEN.split(":")[1] not in caplog.text


# --- updates: webhook and getUpdates ------------------------------------------------------
def test_votes_reach_the_webhook_with_the_secret_header(emu, receiver):
    assert call(
        emu, "setWebhook", url=f"{receiver.url}/tg", secret_token="s3cret_Token-1"
    ).json() == {"ok": True, "result": True, "description": "Webhook was set"}
    poll = call(emu, "sendPoll", **quiz()).json()["result"]["poll"]

    requests.post(
        f"{emu.url}/_control/telegram/polls/{poll['id']}/votes",
        json={"count": 10, "correct_share": 0.7},
        timeout=10,
    )

    assert len(receiver.posts) == 1
    post = receiver.posts[0]
    assert post["path"] == "/tg"
    assert post["headers"]["x-telegram-bot-api-secret-token"] == "s3cret_Token-1"
    assert post["headers"]["content-type"] == "application/json"
    update = json.loads(post["body"])
    assert set(update) == {"update_id", "poll"}
    shown = update["poll"]
    assert shown["id"] == poll["id"] and shown["total_voter_count"] == 10
    assert [o["voter_count"] for o in shown["options"]] == [7, 2, 1]
    assert shown["correct_option_ids"] == [0] and shown["is_closed"] is False
    info = call(emu, "getWebhookInfo").json()["result"]
    assert info["url"] == f"{receiver.url}/tg" and info["pending_update_count"] == 0


def test_a_failing_webhook_keeps_the_update_until_it_is_delivered(emu, receiver):
    receiver.status = 500
    call(emu, "setWebhook", url=f"{receiver.url}/tg")
    poll = call(emu, "sendPoll", **quiz()).json()["result"]["poll"]

    emu.telegram.vote(poll["id"], 3, 1.0)
    info = call(emu, "getWebhookInfo").json()["result"]
    assert info["pending_update_count"] == 1
    assert info["last_error_message"] == "Wrong response from the webhook: 500"

    receiver.status = 200
    requests.post(f"{emu.url}/_control/telegram/deliver", timeout=10)

    assert len(receiver.posts) == 2
    assert receiver.posts[0]["body"] == receiver.posts[1]["body"]  # the same update again
    assert call(emu, "getWebhookInfo").json()["result"]["pending_update_count"] == 0


def test_set_webhook_checks_the_url_and_the_secret(emu):
    refused(
        call(emu, "setWebhook", url="http://hooks.example.com/tg"),
        400,
        "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
    )
    refused(
        call(emu, "setWebhook", url="https://hooks.example.com/tg", secret_token="no spaces!"),
        400,
        "Bad Request: secret token contains unallowed characters",
    )


def test_get_updates_conflicts_with_a_webhook_until_it_is_deleted(emu, receiver):
    receiver.status = 500  # the webhook never takes the update
    call(emu, "setWebhook", url=f"{receiver.url}/tg")
    poll = call(emu, "sendPoll", **quiz()).json()["result"]["poll"]
    emu.telegram.vote(poll["id"], 4, 0.5)

    refused(
        call(emu, "getUpdates"),
        409,
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first",
    )
    assert call(emu, "deleteWebhook").json()["description"] == "Webhook was deleted"

    updates = call(emu, "getUpdates").json()["result"]
    assert [u["poll"]["total_voter_count"] for u in updates] == [4]
    again = call(emu, "getUpdates").json()["result"]
    assert again == updates  # not confirmed yet
    assert call(emu, "getUpdates", offset=updates[-1]["update_id"] + 1).json()["result"] == []


def test_get_updates_offset_limit_and_closing(emu):
    poll = call(emu, "sendPoll", **quiz()).json()["result"]["poll"]
    emu.telegram.vote(poll["id"], 1, 1.0)
    emu.telegram.vote(poll["id"], 2, 0.0)
    stopped = call(emu, "stopPoll", chat_id=CHANNEL, message_id=1).json()["result"]

    first = call(emu, "getUpdates", limit=1).json()["result"]
    everything = call(emu, "getUpdates").json()["result"]

    assert stopped["is_closed"] is True and stopped["total_voter_count"] == 3
    assert len(first) == 1 and len(everything) == 3
    ids = [u["update_id"] for u in everything]
    assert ids == list(range(ids[0], ids[0] + 3))
    assert [u["poll"]["is_closed"] for u in everything] == [False, False, True]
    assert [o["voter_count"] for o in everything[1]["poll"]["options"]] == [1, 1, 1]
    tail = call(emu, "getUpdates", offset=ids[1]).json()["result"]
    assert [u["update_id"] for u in tail] == ids[1:]
    refused(
        call(emu, "stopPoll", chat_id=CHANNEL, message_id=1),
        400,
        "Bad Request: poll has already been closed",
    )


def test_get_updates_long_polls_until_a_vote_arrives(emu):
    poll = call(emu, "sendPoll", **quiz()).json()["result"]["poll"]
    threading.Timer(0.2, emu.telegram.vote, (poll["id"], 5, 0.4)).start()

    started = time.monotonic()
    updates = call(emu, "getUpdates", timeout=5).json()["result"]

    assert time.monotonic() - started < 3
    assert updates[0]["poll"]["total_voter_count"] == 5


def test_allowed_updates_without_poll_filters_poll_updates(emu):
    call(emu, "getUpdates", allowed_updates=["message"])
    poll = call(emu, "sendPoll", **quiz()).json()["result"]["poll"]
    emu.telegram.vote(poll["id"], 5, 0.4)

    assert call(emu, "getUpdates").json()["result"] == []


def test_reset_forgets_messages_but_keeps_the_set_up(emu):
    emu.telegram.add_channel(-1005555555555, "Extra", "extra_channel")
    call(emu, "sendMessage", chat_id="@extra_channel", text="x")
    emu.reset()

    assert emu.telegram.messages == []
    again = call(emu, "sendMessage", chat_id="@extra_channel", text="x").json()["result"]
    assert again["message_id"] == 1


def test_pending_updates_reach_a_webhook_set_later(emu, receiver):
    poll = call(emu, "sendPoll", **quiz()).json()["result"]["poll"]
    emu.telegram.vote(poll["id"], 2, 0.5)  # no webhook yet: kept for getUpdates

    assert call(emu, "setWebhook", url=f"{receiver.url}/later").json()["ok"] is True

    assert receiver.arrived.wait(5)
    assert json.loads(receiver.posts[0]["body"])["poll"]["total_voter_count"] == 2
    assert "x-telegram-bot-api-secret-token" not in receiver.posts[0]["headers"]


def test_method_names_are_case_insensitive(emu):
    answer = requests.get(api(emu, "getme"), timeout=5)

    assert answer.json()["result"]["username"] == "quiz_demo_bot"


def test_a_second_get_updates_terminates_the_long_poll_still_waiting(emu):
    answers: list[requests.Response] = []
    waiting = threading.Thread(target=lambda: answers.append(call(emu, "getUpdates", timeout=5)))
    waiting.start()
    time.sleep(0.3)

    second = call(emu, "getUpdates")
    waiting.join(5)

    assert second.json() == {"ok": True, "result": []}
    refused(
        answers[0],
        409,
        "Conflict: terminated by other getUpdates request; make sure that only one bot "
        "instance is running",
    )
