"""The retry schedule and the attempt log, driven by a moving clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from quiz_backend.env import env_int_list
from social_media import delivery
from social_media.tests.contract import PINTEREST_API, SITE_URL, START, new_post, publish
from tests.factories import PinterestCredentialsFactory

pytestmark = pytest.mark.django_db

TOKEN = "pina_TESTTOKENpinterest0123456789"
PINS = f"{PINTEREST_API}/pins"


@pytest.fixture(autouse=True)
def credential(settings):
    settings.SITE_URL = SITE_URL
    settings.PINTEREST_API_BASE_URL = PINTEREST_API
    settings.SOCIAL_MEDIA_RETRY_DELAYS = [30, 120, 600]
    return PinterestCredentialsFactory(access_token=TOKEN)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def answers(rsps, *statuses: int) -> None:
    """The pins endpoint answers these statuses, in order (success bodies carry a pin id)."""
    for status in statuses:
        if status < 300:
            rsps.post(PINS, status=status, json={"id": "9001"})
        else:
            rsps.post(PINS, status=status, json={"code": 0, "message": f"upstream {status}"})


def wait_until_due(clock, post) -> None:
    clock.move_to(post.next_attempt_at + timedelta(seconds=1))


def test_500_500_201_ends_with_one_pin_and_two_retries(mocked_responses, clock):
    answers(mocked_responses, 500, 500, 201)

    post = publish(new_post("pinterest"))
    assert (post.status, post.retry_count) == ("pending", 1)
    assert "upstream 500" in post.error_message and "Retry 1 of 3" in post.error_message
    wait_until_due(clock, post)
    post = publish(post)
    assert (post.status, post.retry_count) == ("pending", 2)
    assert "Retry 2 of 3" in post.error_message
    wait_until_due(clock, post)
    post = publish(post)

    assert post.status == "published"
    assert post.retry_count == 2
    assert post.post_id == "9001"
    assert post.error_message == ""
    assert len(mocked_responses.calls) == 3
    rows = list(post.attempts.values_list("number", "http_status", "outcome"))
    assert rows == [(1, 500, "transient"), (2, 500, "transient"), (3, 201, "success")]


def test_the_relay_sends_a_retry_when_it_is_due(mocked_responses, clock):
    answers(mocked_responses, 503, 201)
    post = publish(new_post("pinterest"))

    clock.shift(timedelta(seconds=10))
    assert delivery.posts_relay()["enqueued"] == 0  # not due yet
    wait_until_due(clock, post)
    assert delivery.posts_relay()["enqueued"] == 1

    post.refresh_from_db()
    assert post.status == "published"
    assert len(mocked_responses.calls) == 2


def test_retries_exhausted_end_failed_with_the_reason(mocked_responses, clock):
    answers(mocked_responses, 500, 500, 502, 503)
    post = publish(new_post("pinterest"))
    for _ in range(3):
        wait_until_due(clock, post)
        post = publish(post)

    assert post.status == "failed"
    assert post.retry_count == 4
    assert post.next_attempt_at is None
    assert "upstream 503" in post.error_message
    assert post.error_message.endswith("Gave up after 4 attempts.")
    assert post.failure_kind == "transient"
    assert post.attempts.count() == 4
    clock.shift(timedelta(days=1))
    assert delivery.post_publish(post_id=post.pk) is None  # a failed post is never picked up
    assert len(mocked_responses.calls) == 4


def test_each_delay_follows_the_schedule_with_jitter(mocked_responses, clock):
    answers(mocked_responses, 500, 500, 500)
    post = new_post("pinterest")
    for delay in (30, 120, 600):
        attempted_at = timezone.now()
        post = publish(post)
        assert post.next_attempt_at is not None
        wait = post.next_attempt_at - attempted_at
        assert timedelta(seconds=delay * 0.8) <= wait <= timedelta(seconds=delay * 1.2)
        clock.move_to(post.next_attempt_at - timedelta(seconds=1))
        assert delivery.post_publish(post_id=post.pk) is None  # not before it is due
        wait_until_due(clock, post)


@pytest.mark.parametrize(("delays", "attempts"), [([5], 2), ([], 1), ([1, 1, 1, 1, 1], 6)])
def test_configured_retry_delays_are_respected(mocked_responses, clock, settings, delays, attempts):
    settings.SOCIAL_MEDIA_RETRY_DELAYS = delays
    answers(mocked_responses, *[500] * attempts)

    post = publish(new_post("pinterest"))
    if delays:
        assert post.next_attempt_at is not None
        wait = post.next_attempt_at - START
        assert timedelta(seconds=delays[0] * 0.8) <= wait <= timedelta(seconds=delays[0] * 1.2)
    while post.status == "pending":
        wait_until_due(clock, post)
        post = publish(post)

    assert post.status == "failed"
    assert post.error_message.endswith(f"Gave up after {attempts} attempts.")
    assert len(mocked_responses.calls) == attempts


def test_retry_delays_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("SOCIAL_MEDIA_RETRY_DELAYS", " 10, 60 ,300,")
    assert env_int_list("SOCIAL_MEDIA_RETRY_DELAYS", [1]) == [10, 60, 300]

    monkeypatch.setenv("SOCIAL_MEDIA_RETRY_DELAYS", "10,soon")
    with pytest.raises(ImproperlyConfigured, match="SOCIAL_MEDIA_RETRY_DELAYS"):
        env_int_list("SOCIAL_MEDIA_RETRY_DELAYS", [1])


def test_retry_after_longer_than_the_schedule_wins(mocked_responses, clock):
    mocked_responses.post(PINS, status=429, headers={"Retry-After": "3600"})

    post = publish(new_post("pinterest"))

    assert post.next_attempt_at == START + timedelta(hours=1)


def test_attempts_record_status_duration_outcome_and_a_redacted_excerpt(mocked_responses, clock):
    long_tail = "z" * 5000
    mocked_responses.post(
        PINS,
        status=500,
        json={"code": 0, "message": f"token {TOKEN} rejected", "detail": long_tail},
    )

    post = publish(new_post("pinterest"))

    attempt = post.attempts.get()
    assert attempt.number == 1
    assert attempt.kind == "publish"
    assert attempt.started_at == START
    assert attempt.finished_at == START
    assert attempt.duration_ms == 0  # the clock is frozen
    assert attempt.http_status == 500
    assert attempt.outcome == "transient"
    assert TOKEN not in attempt.response_excerpt
    assert "token *** rejected" in attempt.response_excerpt
    assert len(attempt.response_excerpt) <= 2000
    assert TOKEN not in attempt.error_message


def test_attempt_without_an_http_answer_has_no_status(mocked_responses, monkeypatch):
    from quiz_media.specs import MediaSpec
    from social_media.platforms.registry import PLATFORMS

    # A card the renderer cannot make: the post fails before any request.
    impossible = (MediaSpec("question_card", 10, 10, "png", 1000),)
    monkeypatch.setattr(PLATFORMS["pinterest"], "media_requirements", impossible)
    post = publish(new_post("pinterest"))

    attempt = post.attempts.get()
    assert attempt.http_status is None
    assert attempt.outcome == "permanent"
    assert attempt.error_message == post.error_message


def test_a_publish_stopped_by_the_soft_time_limit_is_looked_up_before_any_resend(
    mocked_responses, clock
):
    # The worker's soft time limit fires while it waits for Pinterest's answer.
    mocked_responses.post(PINS, body=SoftTimeLimitExceeded())

    post = publish(new_post("pinterest"))

    assert (post.status, post.failure_kind, post.needs_reconcile) == ("pending", "unknown", True)
    assert "soft time limit" in post.error_message
    assert post.attempts.get().outcome == "unknown"
    # The pin did reach the board: the next attempt finds it instead of pinning again.
    mocked_responses.get(
        f"{PINTEREST_API}/boards/549755885175/pins",
        json={"items": [{"id": "9001", "link": f"{SITE_URL}/task/{post.task_id}"}]},
    )
    wait_until_due(clock, post)
    post = publish(post)

    assert (post.status, post.post_id) == ("published", "9001")
    assert [c.request.method for c in mocked_responses.calls] == ["POST", "GET"]
