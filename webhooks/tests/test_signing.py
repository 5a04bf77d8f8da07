"""Who may call the callback: Standard Webhooks signatures, bearer tokens, replays."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tasks.models import SocialMediaPost
from tests.factories import TaskFactory, WebhookFactory
from webhooks.models import CallbackReceipt
from webhooks.tests.signing import body_bytes, post_raw, post_signed, signature_headers

pytestmark = pytest.mark.django_db


def published(post) -> dict:
    return {
        "task_id": post.task_id,
        "platform": post.platform,
        "status": "published",
        "post_url": "https://www.instagram.com/p/Cx1/",
        "post_id": "Cx1",
    }


def assert_refused(response, status: int, code: str | None = None) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["status"] == "error"
    assert body["message"]
    if code:
        assert body["error"] == code


def assert_unchanged(post) -> None:
    fresh = SocialMediaPost.objects.get(pk=post.pk)
    assert fresh.status == "processing"
    assert fresh.post_url == ""
    assert not CallbackReceipt.objects.exists()


def test_a_valid_signature_applies_the_callback(client, webhook, post):
    response = post_signed(client, webhook.secret, published(post))

    assert response.status_code == 200, response.content
    assert response.json() == {
        "status": "ok",
        "message": f"Status updated for task {post.task_id} on instagram",
    }
    post.refresh_from_db()
    assert post.status == "published"
    assert post.post_url == "https://www.instagram.com/p/Cx1/"
    assert CallbackReceipt.objects.get().webhook == webhook


def test_a_flipped_byte_is_refused(client, webhook, post):
    body = body_bytes(published(post))
    headers = signature_headers(webhook.secret, body)
    tampered = body.replace(b"Cx1/", b"Cx2/", 1)

    assert_refused(post_raw(client, tampered, headers), 401, "bad_signature")
    assert_unchanged(post)


def test_a_re_serialised_body_is_refused(client, webhook, post):
    compact = body_bytes(published(post))
    headers = signature_headers(webhook.secret, compact)
    spaced = compact.replace(b",", b", ")

    assert_refused(post_raw(client, spaced, headers), 401, "bad_signature")
    assert_unchanged(post)


def test_a_wrong_secret_is_refused(client, webhook, post):
    other = WebhookFactory.build().secret

    assert_refused(post_signed(client, other, published(post)), 401, "bad_signature")
    assert_unchanged(post)


@pytest.mark.parametrize("offset", [-301, 301])
def test_a_timestamp_more_than_five_minutes_off_is_refused(client, webhook, post, offset):
    # A frozen whole-second clock: with a running one, int(time.time()) + 301 can be
    # only 300.x s ahead by the time the server looks, and the test would flake.
    with time_machine.travel(int(time.time()), tick=False):
        stamp = int(time.time()) + offset
        response = post_signed(client, webhook.secret, published(post), timestamp=stamp)

    assert_refused(response, 401, "stale_timestamp")
    assert_unchanged(post)


@pytest.mark.parametrize("offset", [-290, 290])
def test_a_timestamp_within_five_minutes_is_accepted(client, webhook, post, offset):
    stamp = int(time.time()) + offset
    response = post_signed(client, webhook.secret, published(post), timestamp=stamp)

    assert response.status_code == 200, response.content


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp"])
def test_a_missing_signature_header_is_refused(client, webhook, post, missing):
    body = body_bytes(published(post))
    headers = signature_headers(webhook.secret, body)
    del headers[missing]

    assert_refused(post_raw(client, body, headers), 401, "missing_header")
    assert_unchanged(post)


@pytest.mark.parametrize(
    "signature", ["garbage", "v1,not-base64!!", "v1,a,b", "v2,AAAA", "v1," + "A" * 5000]
)
def test_a_malformed_signature_is_a_401_not_a_crash(client, webhook, post, signature):
    body = body_bytes(published(post))
    headers = signature_headers(webhook.secret, body)
    headers["webhook-signature"] = signature

    assert_refused(post_raw(client, body, headers), 401)
    assert_unchanged(post)


@pytest.mark.parametrize(
    "timestamp",
    [
        "soon",
        "1e10",
        "-5",
        "99999999999999999999",
        "nan",
        "17000000\u00b2",  # "²": str.isdigit() says yes, int() raises
        "\u0661\u0667\u0660\u0660",  # Arabic-Indic digits
        "\uff11\uff17\uff10\uff10",  # fullwidth digits
    ],
)
def test_a_malformed_timestamp_is_refused(client, webhook, post, timestamp):
    body = body_bytes(published(post))
    headers = signature_headers(webhook.secret, body)
    headers["webhook-timestamp"] = timestamp

    assert_refused(post_raw(client, body, headers), 401, "bad_timestamp")


def test_an_overlong_webhook_id_is_refused(client, webhook, post):
    response = post_signed(client, webhook.secret, published(post), message_id="m" * 256)

    assert_refused(response, 401, "bad_webhook_id")
    assert_unchanged(post)


@pytest.mark.parametrize("message_id", ["msg.1", "msg_1.", ".msg_1", "a.b.c", "..."])
def test_a_webhook_id_with_a_period_is_refused(client, webhook, post, message_id):
    # Standard Webhooks: the id must not contain "." (the signed content is id.timestamp.body).
    # Correctly signed, so only the period is wrong.
    response = post_signed(client, webhook.secret, published(post), message_id=message_id)

    assert_refused(response, 401, "bad_webhook_id")
    assert "id.timestamp.body" in response.json()["message"]
    assert_unchanged(post)


def test_a_bearer_callback_with_a_period_in_its_webhook_id_is_refused(client, post):
    bearer = WebhookFactory(callback_auth="bearer", target_platforms=["tiktok"])
    headers = {"Authorization": f"Bearer {bearer.secret}", "webhook-id": "msg.1"}

    response = post_raw(client, body_bytes(published(post)), headers)

    assert_refused(response, 401, "bad_webhook_id")
    assert_unchanged(post)


def test_a_body_that_is_not_utf8_is_refused_as_unsigned(client, webhook, post):
    body = b'{"task_id": 1, "x": "\xff\xfe"}'
    headers = signature_headers(webhook.secret, b'{"task_id": 1}')

    assert_refused(post_raw(client, body, headers), 401)


def test_no_credentials_at_all_is_refused_by_default(client, webhook, post):
    response = post_raw(client, body_bytes(published(post)))

    assert_refused(response, 401, "not_authenticated")
    assert "Signature" in response.headers["WWW-Authenticate"]
    assert_unchanged(post)


def test_unsigned_callbacks_pass_only_when_the_development_setting_allows(client, settings, post):
    settings.SOCIAL_MEDIA_CALLBACK_ALLOW_UNSIGNED = True

    response = post_raw(client, body_bytes(published(post)))

    assert response.status_code == 200, response.content
    post.refresh_from_db()
    assert post.status == "published"


def test_an_inactive_webhook_secret_no_longer_verifies(client, webhook, post):
    webhook.is_active = False
    webhook.save()

    assert_refused(post_signed(client, webhook.secret, published(post)), 401)
    assert_unchanged(post)


# --- replays -------------------------------------------------------------------


def test_a_replayed_webhook_id_changes_nothing(client, webhook, post):
    body = body_bytes(published(post))
    headers = signature_headers(webhook.secret, body, message_id="msg_replayed")
    assert post_raw(client, body, headers).status_code == 200
    # Staff reset the post to try again; an attacker replays the captured callback.
    SocialMediaPost.objects.filter(pk=post.pk).update(status="processing", post_url="")

    response = post_raw(client, body, headers)

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert "msg_replayed" in response.json()["message"]
    post.refresh_from_db()
    assert post.status == "processing"
    assert post.post_url == ""
    assert CallbackReceipt.objects.count() == 1


def test_the_same_webhook_id_from_two_scenarios_is_not_a_replay(client, webhook, post):
    other = WebhookFactory(target_platforms=["youtube_shorts"])
    other_post = SocialMediaPost.objects.create(
        task=post.task, platform="youtube_shorts", status="processing", webhook=other
    )

    first = post_signed(client, webhook.secret, published(post), message_id="msg_1")
    second = post_signed(client, other.secret, published(other_post), message_id="msg_1")

    assert first.status_code == second.status_code == 200
    assert SocialMediaPost.objects.get(pk=other_post.pk).status == "published"
    assert CallbackReceipt.objects.count() == 2


def test_a_refused_callback_leaves_no_receipt(client, webhook, post):
    data = published(post) | {"task_id": post.task_id + 1000}

    response = post_signed(client, webhook.secret, data, message_id="msg_404")

    assert_refused(response, 404, "post_not_found")
    assert not CallbackReceipt.objects.exists()


def test_repeated_identical_callbacks_with_new_ids_are_harmless(client, webhook, post):
    for _ in range(3):
        assert post_signed(client, webhook.secret, published(post)).status_code == 200

    post.refresh_from_db()
    assert post.status == "published"
    assert post.retry_count == 0


# --- rotation ------------------------------------------------------------------


def test_old_and_new_secrets_both_verify_during_the_overlap(client, webhook, post):
    old = webhook.secret
    new = webhook.rotate_secret(overlap=timedelta(hours=1))
    assert new != old

    processing = published(post) | {"status": "processing"}
    assert post_signed(client, old, processing).status_code == 200
    assert post_signed(client, new, published(post)).status_code == 200


def test_the_old_secret_is_refused_after_the_overlap(client, webhook, post):
    old = webhook.secret
    webhook.rotate_secret(overlap=timedelta(hours=1))
    webhook.previous_secret_expires_at = timezone.now() - timedelta(seconds=1)
    webhook.save()

    assert_refused(post_signed(client, old, published(post)), 401, "bad_signature")
    assert_unchanged(post)


def test_each_webhook_gets_its_own_secret_on_creation(db):
    first, second = WebhookFactory(), WebhookFactory()

    assert first.secret.startswith("whsec_")
    assert first.secret != second.secret


# --- bearer tokens -----------------------------------------------------------------


@pytest.fixture
def bearer_webhook(db):
    return WebhookFactory(target_platforms=["tiktok"], callback_auth="bearer")


def tiktok_post(webhook) -> SocialMediaPost:
    return SocialMediaPost.objects.create(
        task=TaskFactory(published=True), platform="tiktok", status="processing", webhook=webhook
    )


def test_a_bearer_webhook_accepts_its_token(client, bearer_webhook):
    target = tiktok_post(bearer_webhook)
    response = post_raw(
        client,
        body_bytes(published(target)),
        headers={"Authorization": f"Bearer {bearer_webhook.secret}"},
    )

    assert response.status_code == 200, response.content
    target.refresh_from_db()
    assert target.status == "published"


@pytest.mark.parametrize("header", ["Bearer whsec_wrong", "Basic dXNlcjpwYXNz", "Bearer "])
def test_a_wrong_bearer_token_is_refused(client, bearer_webhook, header):
    target = tiktok_post(bearer_webhook)
    response = post_raw(client, body_bytes(published(target)), headers={"Authorization": header})

    assert_refused(response, 401, "bad_token")
    target.refresh_from_db()
    assert target.status == "processing"


def test_a_signature_webhook_secret_is_not_a_bearer_token(client, webhook, post):
    response = post_raw(
        client,
        body_bytes(published(post)),
        headers={"Authorization": f"Bearer {webhook.secret}"},
    )

    assert_refused(response, 401, "bad_token")
    assert_unchanged(post)


# --- the webhook must carry the platform ---------------------------------------------


def test_a_webhook_cannot_update_a_platform_it_does_not_carry(client, post):
    stranger = WebhookFactory(target_platforms=["yandex_dzen"])

    response = post_signed(client, stranger.secret, published(post))

    assert_refused(response, 403, "wrong_webhook")
    assert_unchanged(post)


def test_a_webhook_cannot_update_a_post_another_webhook_delivered(client, post):
    other = WebhookFactory(target_platforms=["instagram"])

    response = post_signed(client, other.secret, published(post))

    assert_refused(response, 403, "wrong_webhook")
    assert_unchanged(post)
