"""The callback contract: sizes, content types, bad JSON, throttling, status order."""

from __future__ import annotations

import pytest

from tasks.models import SocialMediaPost
from webhooks.models import CallbackReceipt
from webhooks.tests.signing import (
    CALLBACK_URL,
    body_bytes,
    post_raw,
    post_signed,
    signature_headers,
)

pytestmark = pytest.mark.django_db


def callback(post, **fields) -> dict:
    return {"task_id": post.task_id, "platform": post.platform, "status": "published"} | fields


def assert_refused(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"] == "error"
    assert body["message"]
    if code:
        assert body["error"] == code
    return body


def assert_unchanged(post) -> None:
    fresh = SocialMediaPost.objects.get(pk=post.pk)
    assert (fresh.status, fresh.post_url, fresh.error_message, fresh.retry_count) == (
        post.status,
        post.post_url,
        post.error_message,
        post.retry_count,
    )
    assert not CallbackReceipt.objects.exists()


# --- size and framing ------------------------------------------------------------------


def test_a_body_over_64_kib_is_413(client, webhook, post):
    data = callback(post, error_message="x" * (64 * 1024))

    assert_refused(post_signed(client, webhook.secret, data), 413, "payload_too_large")
    assert_unchanged(post)


def test_a_body_of_exactly_64_kib_is_read(client, webhook, post):
    data = callback(post, status="failed", post_id="")
    padding = 64 * 1024 - len(body_bytes(data | {"pad": ""}))
    body = body_bytes(data | {"pad": "p" * padding})
    assert len(body) == 64 * 1024

    assert post_signed(client, webhook.secret, body).status_code == 200


def test_a_chunked_body_is_413(client, webhook, post):
    body = body_bytes(callback(post))
    headers = signature_headers(webhook.secret, body) | {"Transfer-Encoding": "chunked"}

    assert_refused(post_raw(client, body, headers), 413, "payload_too_large")
    assert_unchanged(post)


@pytest.mark.parametrize("length", ["12abc", "1\u00b2", "\u0661\u0662", "-1", "1 2"])
def test_a_content_length_that_is_not_a_number_is_400(client, webhook, post, length):
    body = body_bytes(callback(post))
    headers = signature_headers(webhook.secret, body)

    response = post_raw(client, body, headers, CONTENT_LENGTH=length)

    assert_refused(response, 400, "bad_content_length")
    assert_unchanged(post)


# --- content type and JSON ----------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", ""]
)
def test_a_body_that_is_not_declared_json_is_415(client, webhook, post, content_type):
    body = body_bytes(callback(post))
    headers = signature_headers(webhook.secret, body)

    response = post_raw(client, body, headers, content_type=content_type)

    assert_refused(response, 415, "unsupported_media_type")
    assert_unchanged(post)


def test_json_with_a_charset_is_accepted(client, webhook, post):
    body = body_bytes(callback(post))
    headers = signature_headers(webhook.secret, body)

    response = post_raw(client, body, headers, content_type="application/json; charset=utf-8")

    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"NaN", b'{"task_id": 1,}', b"[" * 20000 + b"]" * 20000],
    ids=["broken", "nan", "trailing-comma", "deeply-nested"],
)
def test_malformed_json_is_400(client, webhook, post, body):
    body = body[: 64 * 1024]
    response = post_signed(client, webhook.secret, body)

    assert_refused(response, 400)
    assert_unchanged(post)


def test_an_empty_json_body_is_400(client, webhook, post):
    headers = signature_headers(webhook.secret, b"")

    response = post_raw(client, b"", headers, CONTENT_TYPE="application/json")

    assert_refused(response, 400, "invalid")
    assert_unchanged(post)


@pytest.mark.parametrize("data", [[], "x", 7, None, [{"task_id": 1}]])
def test_json_that_is_not_an_object_is_400(client, webhook, post, data):
    body = body_bytes(data)

    response = post_signed(client, webhook.secret, body)

    assert_refused(response, 400, "invalid")
    assert_unchanged(post)


@pytest.mark.parametrize(
    "fields, bad_field",
    [
        ({"task_id": 10**30}, "task_id"),
        ({"task_id": 2**63}, "task_id"),
        ({"task_id": 0}, "task_id"),
        ({"task_id": "seven"}, "task_id"),
        ({"task_id": 1.5}, "task_id"),
        ({"platform": "myspace"}, "platform"),
        ({"platform": ["instagram"]}, "platform"),
        ({"status": "deleted"}, "status"),
        ({"status": "pending"}, "status"),
        ({"post_url": "not a url"}, "post_url"),
        ({"post_url": "javascript:alert(1)"}, "post_url"),
        ({"post_id": "a\x00b"}, "post_id"),
        ({"post_id": "p" * 256}, "post_id"),
    ],
)
def test_a_wrongly_typed_or_unknown_field_is_400_naming_it(
    client, webhook, post, fields, bad_field
):
    body = assert_refused(
        post_signed(client, webhook.secret, callback(post, **fields)), 400, "invalid"
    )

    assert bad_field in body["fields"]
    assert_unchanged(post)


def test_a_missing_field_is_400_naming_it(client, webhook, post):
    data = callback(post)
    del data["status"]

    body = assert_refused(post_signed(client, webhook.secret, data), 400, "invalid")

    assert list(body["fields"]) == ["status"]


def test_the_largest_task_id_is_a_404_not_a_database_error(client, webhook, post):
    data = callback(post, task_id=2**63 - 1)

    assert_refused(post_signed(client, webhook.secret, data), 404, "post_not_found")
    assert_unchanged(post)


def test_a_callback_for_an_api_platform_is_refused(client, webhook, post):
    pin = SocialMediaPost.objects.create(task=post.task, platform="pinterest", status="failed")

    body = assert_refused(post_signed(client, webhook.secret, callback(pin)), 400, "invalid")

    assert "platform" in body["fields"]
    pin.refresh_from_db()
    assert pin.status == "failed"


def test_get_is_405_as_json(client, webhook):
    assert_refused(client.get(CALLBACK_URL), 405)


# --- status order ----------------------------------------------------------------------


def test_a_late_processing_never_undoes_published(client, webhook, post):
    assert post_signed(client, webhook.secret, callback(post, post_url="https://i.example/p/1"))

    response = post_signed(client, webhook.secret, callback(post, status="processing"))

    assert response.status_code == 200
    assert "nothing changed" in response.json()["message"]
    post.refresh_from_db()
    assert post.status == "published"
    assert post.post_url == "https://i.example/p/1"


def test_a_late_failed_never_undoes_published(client, webhook, post):
    post_signed(client, webhook.secret, callback(post))

    post_signed(client, webhook.secret, callback(post, status="failed", error_message="late"))

    post.refresh_from_db()
    assert post.status == "published"
    assert post.error_message == ""


def test_failed_carries_its_error_message(client, webhook, post):
    data = callback(post, status="failed", error_message="Instagram rejected the image")

    assert post_signed(client, webhook.secret, data).status_code == 200

    post.refresh_from_db()
    assert post.status == "failed"
    assert post.error_message == "Instagram rejected the image"
    assert post.retry_count == 1


# --- throttling ------------------------------------------------------------------------


@pytest.fixture
def three_per_minute(settings):
    settings.REST_FRAMEWORK = settings.REST_FRAMEWORK | {
        "DEFAULT_THROTTLE_RATES": {"social_media_callback": "3/min"}
    }


def test_too_many_callbacks_from_one_source_get_429_with_retry_after(
    client, webhook, post, three_per_minute
):
    for _ in range(3):
        assert post_signed(client, webhook.secret, callback(post)).status_code == 200

    response = post_signed(client, webhook.secret, callback(post, status="failed"))

    assert_refused(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60
    post.refresh_from_db()
    assert post.status == "published"


def test_failed_signatures_count_against_the_source(client, webhook, post, three_per_minute):
    for _ in range(3):
        assert post_signed(client, "whsec_" + "A" * 43, callback(post)).status_code == 401

    response = post_signed(client, webhook.secret, callback(post))

    assert_refused(response, 429, "throttled")
    assert_unchanged(post)


def test_the_throttle_is_per_source_address(client, webhook, post, three_per_minute):
    for _ in range(3):
        post_signed(client, "whsec_" + "A" * 43, callback(post))

    body = body_bytes(callback(post))
    response = post_raw(
        client, body, signature_headers(webhook.secret, body), REMOTE_ADDR="203.0.113.9"
    )

    assert response.status_code == 200


def test_a_forged_forwarded_for_header_does_not_escape_the_throttle(
    client, webhook, post, three_per_minute
):
    for _ in range(3):
        post_signed(client, "whsec_" + "A" * 43, callback(post))

    body = body_bytes(callback(post))
    headers = signature_headers(webhook.secret, body) | {"X-Forwarded-For": "198.51.100.7"}

    assert_refused(post_raw(client, body, headers), 429, "throttled")


# --- secrets stay out of answers, records and logs ------------------------------------


def test_a_token_quoted_in_a_failure_is_not_stored(client, webhook, post):
    data = callback(
        post,
        status="failed",
        error_message="Instagram: invalid access_token=IGQVJtoken123456 (Bearer IGQVJtoken123456)",
    )

    assert post_signed(client, webhook.secret, data).status_code == 200

    post.refresh_from_db()
    assert post.status == "failed"
    assert "IGQVJtoken123456" not in post.error_message
    assert "invalid access_token=***" in post.error_message


def test_a_refused_bearer_token_is_not_echoed_or_logged(client, webhook, post, caplog):
    token = "whsec_guessedtoken0123456789abcdef"

    response = post_raw(
        client, body_bytes(callback(post)), headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 401
    assert token not in response.content.decode()
    assert "guessedtoken" not in caplog.text
