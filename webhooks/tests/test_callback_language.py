"""One language per callback answer: English, or the supported Accept-Language (ru/en)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.utils import translation

from quiz_backend.api import api_language
from webhooks.tests.signing import CALLBACK_URL, body_bytes, post_raw, signature_headers

pytestmark = pytest.mark.django_db

CYRILLIC = re.compile("[а-яА-ЯёЁ]")
BAD_BODIES = [
    {},
    {"task_id": "abc", "platform": "myspace", "status": "gone"},
    {"task_id": 0, "platform": "instagram"},
    {"task_id": 1, "platform": "instagram", "status": "published", "post_url": "not a url"},
]


def send(client, secret: str, data: Any, language: str | None = None, **extra: Any):
    body = data if isinstance(data, bytes) else body_bytes(data)
    headers = signature_headers(secret, body)
    if language is not None:
        headers["Accept-Language"] = language
    return post_raw(client, body, headers, **extra)


def texts(body: dict) -> list[str]:
    """Every human-readable text of an error answer: the message and each field error."""
    found = [body["message"]]
    for errors in (body.get("fields") or {}).values():
        found += [str(e) for e in (errors if isinstance(errors, list) else [errors])]
    return found


def assert_english(response) -> list[str]:
    assert response["Content-Language"] == "en"
    found = texts(response.json())
    assert not [t for t in found if CYRILLIC.search(t)], found
    return found


def assert_russian(response) -> list[str]:
    assert response["Content-Language"] == "ru"
    found = texts(response.json())
    assert all(CYRILLIC.search(t) for t in found), found
    return found


@pytest.mark.parametrize("data", BAD_BODIES)
def test_bad_bodies_without_accept_language_are_all_english(client, webhook, data):
    response = send(client, webhook.secret, data)

    assert response.status_code == 400
    found = assert_english(response)
    assert found[0] == "The request body has invalid or missing fields."
    assert len(found) > 1  # field errors too, in the same language


@pytest.mark.parametrize("data", BAD_BODIES)
def test_bad_bodies_with_accept_language_ru_are_all_russian(client, webhook, data):
    response = send(client, webhook.secret, data, language="ru")

    assert response.status_code == 400
    found = assert_russian(response)
    assert found[0] == "В теле запроса неверные или отсутствующие поля."
    assert response.json()["error"] == "invalid"  # codes stay machine-readable


def test_field_errors_follow_the_message(client, webhook):
    english = send(client, webhook.secret, {}).json()["fields"]
    russian = send(client, webhook.secret, {}, language="ru").json()["fields"]

    assert set(english) == set(russian) == {"task_id", "platform", "status"}
    assert english["task_id"] == ["This field is required."]
    assert russian["task_id"] == ["Обязательное поле."]


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("ru-RU,ru;q=0.9,en;q=0.8", "ru"),
        ("de, ru;q=0.5", "ru"),
        ("en-US,en;q=0.9,ru;q=0.8", "en"),
        ("ru;q=0, en;q=0.5", "en"),
        ("de-DE", "en"),
        ("*", "en"),
        ("", "en"),
        ("x" * 1000, "en"),
    ],
)
def test_the_accept_language_rule(client, webhook, header, language):
    response = send(client, webhook.secret, {}, language=header)

    assert response["Content-Language"] == language
    assert response.has_header("Vary") and "Accept-Language" in response["Vary"]
    (assert_russian if language == "ru" else assert_english)(response)


def test_the_admin_language_cookie_and_language_code_do_not_count(client, webhook, settings):
    settings.LANGUAGE_CODE = "ru"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"

    assert_english(send(client, webhook.secret, {}))


def test_the_thread_language_is_left_as_it_was(rf):
    with translation.override("ru"):
        assert api_language(rf.get("/", HTTP_ACCEPT_LANGUAGE="en")) == "en"
        assert translation.get_language() == "ru"


@pytest.mark.parametrize(("language", "check"), [(None, assert_english), ("ru", assert_russian)])
def test_authentication_and_lookup_errors_are_in_the_same_language(
    client, webhook, post, language, check
):
    unsigned = post_raw(client, b"{}", {"Accept-Language": language} if language else {})
    bad_signature = send(client, webhook.secret + "x", {}, language=language)
    missing_post = send(
        client,
        webhook.secret,
        {"task_id": post.task_id + 1000, "platform": "instagram", "status": "published"},
        language=language,
    )
    too_big = send(client, webhook.secret, b"{" + b" " * (65 * 1024) + b"}", language=language)
    bad_json = send(client, webhook.secret, b"{not json", language=language)

    for response, status in (
        (unsigned, 401),
        (missing_post, 404),
        (too_big, 413),
        (bad_json, 400),
    ):
        assert response.status_code == status, response.content
        check(response)
    assert bad_signature.status_code in (400, 401)
    check(bad_signature)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (None, "Status updated for task {task} on instagram"),
        ("ru", "Статус задачи {task} на instagram обновлён"),
    ],
)
def test_the_success_message_follows_the_same_rule(client, webhook, post, language, expected):
    data = {"task_id": post.task_id, "platform": "instagram", "status": "published"}

    response = send(client, webhook.secret, data, language=language)

    assert response.status_code == 200
    assert response.json()["message"] == expected.format(task=post.task_id)


def test_the_schema_documents_the_language_rule(client):
    response = client.get(
        "/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json", HTTP_ACCEPT_LANGUAGE="ru"
    )

    operation = json.loads(response.content)["paths"][CALLBACK_URL]["post"]
    [header] = [p for p in operation["parameters"] if p["name"] == "Accept-Language"]
    assert header["in"] == "header"
    assert header.get("required", False) is False
    assert "English" in operation["description"]
    assert "Accept-Language" in operation["description"]
    assert "Content-Language" in operation["description"]
