"""Outgoing webhooks to Make.com / Zapier: who gets a POST, what it holds, how answers end."""

from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import timedelta

import pytest
import requests
import time_machine
from responses import matchers
from standardwebhooks import Webhook as StandardWebhook

from social_media import delivery
from social_media.tests.contract import SITE_URL, START, all_log_text, load_fixture, publish
from tasks.models import SocialMediaPost
from tests.factories import TaskFactory, WebhookFactory

pytestmark = pytest.mark.django_db

MAKE = "https://hook.eu1.make.com/abc123"
ZAPIER = "https://hooks.zapier.com/hooks/catch/123/abc/"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE_URL


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def save_published(django_capture_on_commit_callbacks, **fields) -> dict[str, SocialMediaPost]:
    """Save a published task and run what the commit hands to the (eager) worker."""
    with django_capture_on_commit_callbacks(execute=True):
        task = TaskFactory(published=True, **fields)
    return {p.platform: p for p in task.social_posts.all()}


def sent_json(call) -> dict:
    return json.loads(call.request.body)


def test_one_post_per_target_platform_of_each_active_social_webhook(
    mocked_responses, django_capture_on_commit_callbacks
):
    make = WebhookFactory(url=MAKE, target_platforms=["instagram", "tiktok"])
    zapier = WebhookFactory(url=ZAPIER, service_name="Zapier", target_platforms=["yandex_dzen"])
    WebhookFactory(url="https://hook.eu1.make.com/off", target_platforms=["youtube_shorts"],
                   is_active=False)  # fmt: skip
    WebhookFactory(url="https://hook.eu1.make.com/events", webhook_type="task_events",
                   target_platforms=["youtube_shorts"])  # fmt: skip
    mocked_responses.post(MAKE, body="Accepted")
    mocked_responses.post(ZAPIER, json=load_fixture("webhook", "zapier_success"))

    posts = save_published(django_capture_on_commit_callbacks)

    assert set(posts) == {"instagram", "tiktok", "yandex_dzen"}  # youtube_shorts: no one serves it
    calls = [(c.request.url, sent_json(c)["platform"]) for c in mocked_responses.calls]
    assert sorted(calls) == sorted([(MAKE, "instagram"), (MAKE, "tiktok"), (ZAPIER, "yandex_dzen")])
    for platform, webhook in [("instagram", make), ("tiktok", make), ("yandex_dzen", zapier)]:
        post = posts[platform]
        assert post.status == "processing"
        assert post.webhook_id == webhook.pk
        assert post.delivered_at is not None
        assert post.callback_deadline is not None
        assert post.callback_deadline > post.delivered_at


def test_a_platform_on_two_webhooks_is_sent_once_by_the_oldest(
    mocked_responses, django_capture_on_commit_callbacks
):
    first = WebhookFactory(url=MAKE, target_platforms=["instagram"])
    WebhookFactory(url=ZAPIER, service_name="Zapier", target_platforms=["instagram"])
    mocked_responses.post(MAKE, body="Accepted")  # no Zapier stub: a call there is unmatched

    posts = save_published(django_capture_on_commit_callbacks)

    assert [c.request.url for c in mocked_responses.calls] == [MAKE]
    assert posts["instagram"].webhook_id == first.pk


def test_nested_payload_is_the_documented_shape(
    mocked_responses, django_capture_on_commit_callbacks, clock
):
    WebhookFactory(url=MAKE, target_platforms=["instagram"], payload_format="nested")
    mocked_responses.post(MAKE, body="Accepted")
    group = uuid.UUID("6f1c8d2e-4b7a-4e39-9a51-2f0d3c4b5a69")

    posts = save_published(
        django_capture_on_commit_callbacks,
        question="What will print(2 ** 3) output?",
        answers=["6", "8", "9"],
        correct_answer="8",
        explanation="2 ** 3 is 8.",
        image_url="https://cdn.quiz.example.com/tasks/8.png",
        topic="Python",
        difficulty="hard",
        language="en",
        translation_group_id=group,
    )

    task_id = posts["instagram"].task_id
    link = f"{SITE_URL}/task/{task_id}"
    sent = sent_json(mocked_responses.calls[0])
    media = sent["content"].pop("media")  # the seed's fields are unchanged beside it
    assert sent == {
        "task_id": task_id,
        "platform": "instagram",
        "content": {
            "image_url": "https://cdn.quiz.example.com/tasks/8.png",
            "title": "Python Quiz: What will print(2 ** 3) output?",
            "description": (
                "What will print(2 ** 3) output?\n\nOptions:\nA) 6\nB) 8\nC) 9"
                f"\n\nAnswer and explanation: {link}\n\n#python #programming #coding #quiz"
            ),
            "explanation": "2 ** 3 is 8.",
            "link": link,
            "hashtags": ["#python", "#programming", "#coding", "#quiz"],
            "topic": "Python",
            "difficulty": "hard",
        },
        "metadata": {
            "language": "en",
            "translation_group_id": str(group),
            "publish_date": "2026-03-02T09:00:00Z",
        },
    }
    # Instagram gets its two 4:5 JPEG cards and the vertical H.264 video (small in tests).
    assert set(media) == {"image", "answer_image", "video"}
    for key in ("image", "answer_image"):
        assert_stored(media[key], "image/jpeg", (216, 270))
    assert_stored(media["video"], "video/mp4", (216, 384))
    assert media["video"]["duration"] == pytest.approx(2.0, abs=0.1)
    assert media["image"]["url"] != media["answer_image"]["url"]


def assert_stored(item: dict, mime_type: str, size: tuple[int, int]) -> None:
    """The payload's description of a medium matches the stored file (pixels / streams)."""
    import av
    from django.conf import settings
    from django.core.files.storage import default_storage
    from PIL import Image

    assert set(item) >= {"url", "width", "height", "mime_type", "bytes"}
    assert item["mime_type"] == mime_type
    assert (item["width"], item["height"]) == size
    name = item["url"].removeprefix(settings.MEDIA_PUBLIC_URL)
    assert item["url"] == settings.MEDIA_PUBLIC_URL + name
    assert default_storage.size(name) == item["bytes"]
    with default_storage.open(name, "rb") as handle:
        if mime_type == "video/mp4":
            with av.open(handle) as container:
                stream = container.streams.video[0]
                assert stream.codec_context.name == "h264"
                assert (stream.codec_context.width, stream.codec_context.height) == size
        else:
            with Image.open(handle) as image:
                assert image.format == "JPEG" and image.size == size


def test_flat_payload_is_the_yandex_dzen_shape(
    mocked_responses, django_capture_on_commit_callbacks, clock
):
    WebhookFactory(url=ZAPIER, target_platforms=["yandex_dzen"], payload_format="flat")
    mocked_responses.post(ZAPIER, json=load_fixture("webhook", "zapier_success"))

    posts = save_published(
        django_capture_on_commit_callbacks,
        question="Что выведет print(2 ** 3)?",
        answers=["6", "8"],
        correct_answer="8",
        explanation="2 ** 3 = 8.",
        image_url="https://cdn.quiz.example.com/tasks/8.png",
        language="ru",
        publish_date=START - timedelta(hours=1),
    )

    task_id = posts["yandex_dzen"].task_id
    sent = sent_json(mocked_responses.calls[0])
    media = sent.pop("media")
    assert sent == {
        "task_id": task_id,
        "platform": "yandex_dzen",
        "image_url": "https://cdn.quiz.example.com/tasks/8.png",
        "question": "Что выведет print(2 ** 3)?",
        "answers": ["6", "8"],
        "correct_answer": "8",
        "explanation": "2 ** 3 = 8.",
        "external_link": f"{SITE_URL}/task/{task_id}",
        "language": "ru",
        "created_at": "2026-03-02T09:00:00Z",
        "published_at": "2026-03-02T08:00:00Z",
    }
    assert media["video"] is None  # Dzen is sent no video
    assert_stored(media["image"], "image/jpeg", (216, 270))
    assert_stored(media["answer_image"], "image/jpeg", (216, 270))
    # Cyrillic travels as UTF-8, not \u escapes, and the signature covers those bytes.
    assert "Что выведет".encode() in mocked_responses.calls[0].request.body


def test_deliveries_carry_verifiable_standard_webhooks_headers(
    mocked_responses, django_capture_on_commit_callbacks
):
    WebhookFactory(url=MAKE, target_platforms=["instagram"], secret=SECRET)
    mocked_responses.post(MAKE, body="Accepted")

    posts = save_published(django_capture_on_commit_callbacks)

    request = mocked_responses.calls[0].request
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["webhook-id"] == f"msg_{posts['instagram'].delivery_id.hex}"
    payload = StandardWebhook(SECRET).verify(request.body, dict(request.headers))
    assert payload["platform"] == "instagram"
    assert SECRET not in str(request.headers)


def test_the_webhook_id_is_a_uuid_without_a_period(
    mocked_responses, django_capture_on_commit_callbacks
):
    # Standard Webhooks signs "{id}.{timestamp}.{body}": the id must never contain ".".
    WebhookFactory(url=MAKE, target_platforms=["instagram", "tiktok"], secret=SECRET)
    mocked_responses.post(MAKE, body="Accepted")

    save_published(django_capture_on_commit_callbacks)

    ids = [call.request.headers["webhook-id"] for call in mocked_responses.calls]
    assert len(ids) == 2
    for message_id in ids:
        assert "." not in message_id
        assert re.fullmatch(r"msg_[0-9a-f]{32}", message_id)
        uuid.UUID(message_id.removeprefix("msg_"))


API_KEY = "make-apikey-Q7wZ3nV9xK2pL5sT"


def test_a_configured_make_api_key_is_sent_as_x_make_apikey(
    mocked_responses, django_capture_on_commit_callbacks
):
    WebhookFactory(url=MAKE, target_platforms=["instagram"], secret=SECRET, make_api_key=API_KEY)
    mocked_responses.post(
        MAKE, body="Accepted", match=[matchers.header_matcher({"x-make-apikey": API_KEY})]
    )

    posts = save_published(django_capture_on_commit_callbacks)

    assert posts["instagram"].status == "processing"
    request = mocked_responses.calls[0].request
    StandardWebhook(SECRET).verify(request.body, dict(request.headers))  # still signed
    assert API_KEY not in request.body.decode()


def test_without_an_api_key_no_x_make_apikey_header_is_sent(
    mocked_responses, django_capture_on_commit_callbacks
):
    WebhookFactory(url=MAKE, target_platforms=["instagram"], secret=SECRET)
    mocked_responses.post(MAKE, body="Accepted")

    posts = save_published(django_capture_on_commit_callbacks)

    assert posts["instagram"].status == "processing"
    headers = {name.lower() for name in mocked_responses.calls[0].request.headers}
    assert "x-make-apikey" not in headers


def test_the_api_key_is_in_no_log_message_or_attempt(
    mocked_responses, django_capture_on_commit_callbacks, caplog
):
    WebhookFactory(url=MAKE, target_platforms=["instagram"], make_api_key=API_KEY)
    # A receiver that quotes the key back in its refusal.
    mocked_responses.post(
        MAKE, status=401, body=f"Invalid API key {API_KEY} (header x-make-apikey: {API_KEY})"
    )

    with caplog.at_level(logging.DEBUG):
        posts = save_published(django_capture_on_commit_callbacks)

    post = posts["instagram"]
    assert post.status == "failed"
    assert "API key" in post.error_message
    stored = [post.error_message] + [
        f"{a.error_message} {a.response_excerpt}" for a in post.attempts.all()
    ]
    assert all(API_KEY not in text for text in stored)
    assert "***" in post.attempts.get().response_excerpt
    assert API_KEY not in all_log_text(caplog)


def test_webhook_id_is_stable_across_retries(mocked_responses, clock):
    WebhookFactory(url=MAKE, target_platforms=["tiktok"], secret=SECRET)
    mocked_responses.post(MAKE, status=502, body="Bad Gateway")
    post = TaskFactory(published=True).social_posts.get()

    post = publish(post)
    assert post.status == "pending"
    mocked_responses.replace("POST", MAKE, body="Accepted")
    clock.shift(timedelta(seconds=60))
    post = publish(post)

    assert post.status == "processing"
    first, second = (c.request for c in mocked_responses.calls)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.headers["webhook-id"] == f"msg_{post.delivery_id.hex}"
    assert int(second.headers["webhook-timestamp"]) - int(first.headers["webhook-timestamp"]) == 60
    StandardWebhook(SECRET).verify(second.body, dict(second.headers))


def test_make_plain_text_accepted_waits_for_the_callback(mocked_responses, clock, settings):
    settings.SOCIAL_MEDIA_CALLBACK_TIMEOUT = 1800
    WebhookFactory(url=MAKE, target_platforms=["instagram"])
    mocked_responses.post(MAKE, body="Accepted", content_type="text/plain")

    post = publish(TaskFactory(published=True).social_posts.get())

    assert post.status == "processing"
    assert post.delivered_at == START
    assert post.callback_deadline == START + timedelta(seconds=1800)
    assert post.error_message == ""
    assert post.retry_count == 0
    assert post.attempts.get().outcome == "accepted"


def test_gone_webhook_fails_with_a_clear_message(mocked_responses):
    WebhookFactory(url=MAKE, target_platforms=["instagram"])
    mocked_responses.post(MAKE, status=410, body="")

    post = publish(TaskFactory(published=True).social_posts.get())

    assert post.status == "failed"
    assert post.failure_kind == "permanent"
    assert "HTTP 410" in post.error_message
    assert "no longer exists" in post.error_message


def test_scenario_off_answer_fails_permanently(mocked_responses):
    WebhookFactory(url=MAKE, target_platforms=["instagram"])
    mocked_responses.post(MAKE, status=400, body="There is no scenario listening for this webhook.")

    post = publish(TaskFactory(published=True).social_posts.get())

    assert post.status == "failed"
    assert "There is no scenario listening" in post.attempts.get().response_excerpt


def test_throttled_webhook_waits_for_retry_after(mocked_responses, clock):
    WebhookFactory(url=ZAPIER, target_platforms=["tiktok"])
    mocked_responses.post(ZAPIER, status=429, headers={"Retry-After": "300"})

    post = publish(TaskFactory(published=True).social_posts.get())

    assert post.status == "pending"
    assert post.failure_kind == "rate_limited"
    assert post.next_attempt_at == START + timedelta(seconds=300)
    clock.shift(timedelta(seconds=299))
    assert delivery.post_publish(post_id=post.pk) is None


@pytest.mark.parametrize(
    "answer", [{"status": 500}, {"status": 503}, {"body": requests.ReadTimeout("x")}]
)
def test_server_errors_and_timeouts_are_resent_later(mocked_responses, answer):  # fmt: skip
    WebhookFactory(url=MAKE, target_platforms=["tiktok"])
    mocked_responses.post(MAKE, **answer)

    post = publish(TaskFactory(published=True).social_posts.get())

    assert post.status == "pending"
    assert post.failure_kind == "transient"
    assert post.needs_reconcile is False  # the receiver de-duplicates on webhook-id


def test_unsafe_webhook_url_is_refused_without_a_request(mocked_responses):
    WebhookFactory(url="http://hook.eu1.make.com/plain", target_platforms=["tiktok"])

    post = publish(TaskFactory(published=True).social_posts.get())

    assert post.status == "failed"
    assert "https" in post.error_message
    assert len(mocked_responses.calls) == 0


def test_unknown_payload_format_fails_clearly_without_a_request(mocked_responses):
    webhook = WebhookFactory(url=MAKE, target_platforms=["tiktok"])
    type(webhook).objects.filter(pk=webhook.pk).update(payload_format="xml")

    post = publish(TaskFactory(published=True).social_posts.get())

    assert post.status == "failed"
    assert "Unknown payload format 'xml'" in post.error_message
    assert len(mocked_responses.calls) == 0
