"""Telegram Bot API client: answers and errors mapped to outcomes, at the HTTP boundary."""

from __future__ import annotations

import logging

import pytest
import requests

from social_media.http import ApiError
from social_media.platforms.base import Outcome
from social_media.platforms.telegram.client import TelegramClient, message_link

BASE = "https://api.telegram.org"
TOKEN = "7012345678:AAHk3-secretpartOfTheToken_0123456789x"
BOT = f"{BASE}/bot{TOKEN}"


@pytest.fixture
def client(settings) -> TelegramClient:
    settings.TELEGRAM_BOT_API_BASE_URL = BASE
    settings.TELEGRAM_LINK_BASE_URL = "https://t.me"
    return TelegramClient(token=TOKEN)


def failure(body: dict, status: int) -> dict:
    return {"json": {"ok": False, "error_code": status, **body}, "status": status}


def send_error(mocked_responses, client, answer, method="sendMessage") -> ApiError:
    mocked_responses.post(f"{BOT}/{method}", **answer)
    with pytest.raises(ApiError) as caught:
        if method == "sendMessage":
            client.send_message(chat_id="@quiz_demo", text="hi")
        else:
            client.get_chat("@quiz_demo")
    return caught.value


def test_a_sent_message_is_its_result(mocked_responses, client):
    message = {"message_id": 42, "chat": {"id": -1001234567890, "username": "quiz_demo"}}
    mocked_responses.post(f"{BOT}/sendMessage", json={"ok": True, "result": message})

    assert client.send_message(chat_id="@quiz_demo", text="<b>hi</b>") == message
    sent = mocked_responses.calls[0].request
    assert b'"parse_mode": "HTML"' in sent.body


def test_a_flood_wait_is_rate_limited_for_its_retry_after(mocked_responses, client):
    error = send_error(
        mocked_responses,
        client,
        failure(
            {"description": "Too Many Requests: retry after 17", "parameters": {"retry_after": 17}},
            429,
        ),
    )

    assert error.outcome == Outcome.RATE_LIMITED
    assert error.retry_after == 17.0
    assert "retry after 17" in error.message


@pytest.mark.parametrize(
    ("status", "description", "outcome"),
    [
        (400, "Bad Request: chat not found", Outcome.PERMANENT),
        (400, "Bad Request: can't parse entities: Unsupported start tag", Outcome.PERMANENT),
        (400, "Bad Request: need administrator rights in the channel chat", Outcome.AUTH),
        (401, "Unauthorized", Outcome.AUTH),
        (403, "Forbidden: bot is not a member of the channel chat", Outcome.AUTH),
        (403, "Forbidden: bot was kicked from the channel chat", Outcome.AUTH),
        (404, "Not Found", Outcome.AUTH),
        (409, "Conflict: terminated by other getUpdates request", Outcome.PERMANENT),
        (502, "Bad Gateway", Outcome.TRANSIENT),
    ],
)
def test_errors_of_a_read_are_classified(mocked_responses, client, status, description, outcome):
    error = send_error(
        mocked_responses, client, failure({"description": description}, status), "getChat"
    )

    assert error.outcome == outcome
    assert error.http_status == status
    assert description in error.message


@pytest.mark.parametrize("status", [500, 502, 504])
def test_a_5xx_after_sending_a_message_is_unknown(mocked_responses, client, status):
    error = send_error(mocked_responses, client, failure({"description": "Bad Gateway"}, status))

    assert error.outcome == Outcome.UNKNOWN
    assert "may have been sent" in error.message


def test_kicked_while_sending_is_auth(mocked_responses, client):
    error = send_error(
        mocked_responses,
        client,
        failure({"description": "Forbidden: bot was kicked from the channel chat"}, 403),
    )

    assert error.outcome == Outcome.AUTH


def test_a_migrated_chat_names_its_new_id(mocked_responses, client):
    error = send_error(
        mocked_responses,
        client,
        failure(
            {
                "description": "Bad Request: group chat was upgraded to a supergroup chat",
                "parameters": {"migrate_to_chat_id": -1009999999999},
            },
            400,
        ),
    )

    assert error.outcome == Outcome.PERMANENT
    assert "-1009999999999" in error.message


@pytest.mark.parametrize(
    "answer",
    [
        {"json": {"ok": True, "result": {"chat": {}}}},
        {"json": {"ok": False}},
        {"json": ["not", "an", "object"]},
        {"body": "<html>Bad Gateway</html>", "content_type": "text/html"},
    ],
    ids=["no-message-id", "ok-false-200", "a-list", "html"],
)
def test_a_sent_message_without_a_message_id_is_unknown(mocked_responses, client, answer):
    mocked_responses.post(f"{BOT}/sendMessage", **answer)

    with pytest.raises(ApiError) as caught:
        client.send_message(chat_id="@quiz_demo", text="hi")

    assert caught.value.outcome == Outcome.UNKNOWN


def test_a_timeout_after_sending_is_unknown(mocked_responses, client):
    mocked_responses.post(f"{BOT}/sendMessage", body=requests.ReadTimeout("slow"))

    with pytest.raises(ApiError) as caught:
        client.send_message(chat_id="@quiz_demo", text="hi")

    assert caught.value.outcome == Outcome.UNKNOWN


def test_the_token_never_reaches_messages_excerpts_or_logs(mocked_responses, client, caplog):
    caplog.set_level(logging.DEBUG)
    mocked_responses.post(
        f"{BOT}/getChat",
        status=400,
        json={"ok": False, "error_code": 400, "description": f"Bad Request: {TOKEN} is odd"},
    )

    with pytest.raises(ApiError) as caught:
        client.get_chat("@quiz_demo")

    secret = TOKEN.split(":", 1)[1]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert secret not in caught.value.message
    assert secret not in caught.value.excerpt
    assert secret not in logged
    assert "getChat" in logged


@pytest.mark.parametrize(
    ("chat", "chat_id", "link"),
    [
        ({"id": -1001234567890, "username": "quiz_demo"}, "@Quiz_Demo", "https://t.me/quiz_demo/7"),
        (None, "@quiz_demo", "https://t.me/quiz_demo/7"),
        ({"id": -1009876543210}, "-1009876543210", "https://t.me/c/9876543210/7"),
        (None, "-1009876543210", "https://t.me/c/9876543210/7"),
    ],
)
def test_message_links(settings, chat, chat_id, link):
    settings.TELEGRAM_LINK_BASE_URL = "https://t.me"

    assert message_link(chat, chat_id, 7) == link
