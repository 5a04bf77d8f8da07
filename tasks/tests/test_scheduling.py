"""Scheduled publishing under an injected clock: posts wait, move with the date, cancel."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from social_media.delivery import post_claim, posts_relay
from social_media.scheduling import CANCELLED_MESSAGE
from social_media.tests.contract import PINTEREST_API, SITE_URL
from tasks.models import PostStatus, SocialMediaPost, Task
from tests.factories import PinterestCredentialsFactory, TaskFactory

pytestmark = pytest.mark.django_db

PINS = f"{PINTEREST_API}/pins"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture(autouse=True)
def pinterest(settings, mocked_responses):
    settings.SITE_URL = SITE_URL
    settings.PINTEREST_API_BASE_URL = PINTEREST_API
    settings.SOCIAL_MEDIA_AUTO_PUBLISH = True
    PinterestCredentialsFactory()  # no stub: a request a test does not expect fails it


@pytest.fixture
def pins(mocked_responses):
    """Pinterest accepts the pin (for tests that expect it to be sent)."""
    mocked_responses.post(PINS, status=201, json={"id": "813744"})
    return mocked_responses


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run the on-commit callbacks of what happens inside, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def pin_calls(mocked_responses) -> int:
    return len([c for c in mocked_responses.calls if c.request.url == PINS])


def save(task: Task, commit, **changes) -> Task:
    for name, value in changes.items():
        setattr(task, name, value)
    with commit():
        task.save()
    return task


def scheduled_task(commit, when: datetime) -> Task:
    with commit():
        return TaskFactory(published=True, publish_date=when)


def relay(commit) -> dict[str, int]:
    with commit():
        return posts_relay()


def test_scheduled_post_is_not_sent_before_its_date(clock, commit, mocked_responses):
    task = scheduled_task(commit, START + HOUR)

    post = task.social_posts.get()
    assert post.status == PostStatus.PENDING
    assert post.next_attempt_at == START + HOUR
    clock.move_to(START + HOUR - timedelta(seconds=1))
    assert relay(commit)["due"] == 0
    assert pin_calls(mocked_responses) == 0


def test_relay_sends_the_scheduled_post_once_it_is_due(clock, commit, pins):
    task = scheduled_task(commit, START + HOUR)

    clock.move_to(START + HOUR + timedelta(seconds=1))
    assert relay(commit)["enqueued"] == 1

    post = task.social_posts.get()
    assert post.status == PostStatus.PUBLISHED
    assert post.post_id == "813744"
    assert pin_calls(pins) == 1
    assert relay(commit)["due"] == 0
    assert pin_calls(pins) == 1


def test_moving_the_date_later_moves_the_posts(clock, commit, pins, caplog):
    task = scheduled_task(commit, START + HOUR)

    with caplog.at_level(logging.INFO, logger="social_media"):
        save(task, commit, publish_date=START + 3 * HOUR)

    assert task.social_posts.get().next_attempt_at == START + 3 * HOUR
    assert f"Задача {task.pk}: дата публикации перенесена" in caplog.text
    clock.move_to(START + 2 * HOUR)
    relay(commit)
    assert pin_calls(pins) == 0
    clock.move_to(START + 3 * HOUR)
    relay(commit)
    assert pin_calls(pins) == 1
    assert task.social_posts.get().status == PostStatus.PUBLISHED


def test_moving_the_date_into_the_past_sends_at_once(clock, commit, pins):
    task = scheduled_task(commit, START + HOUR)

    save(task, commit, publish_date=START - HOUR)

    assert task.social_posts.get().status == PostStatus.PUBLISHED
    assert pin_calls(pins) == 1


def test_clearing_the_date_means_publish_now(clock, commit, pins):
    task = scheduled_task(commit, START + HOUR)

    save(task, commit, publish_date=None)

    assert task.social_posts.get().status == PostStatus.PUBLISHED
    assert pin_calls(pins) == 1


def test_date_moved_with_auto_publish_off_still_moves_and_sends(clock, commit, pins, settings):
    task = scheduled_task(commit, START + HOUR)
    settings.SOCIAL_MEDIA_AUTO_PUBLISH = False

    save(task, commit, publish_date=START)

    assert task.social_posts.get().status == PostStatus.PUBLISHED
    assert pin_calls(pins) == 1


def test_unpublishing_deletes_unsent_posts(clock, commit, mocked_responses, caplog):
    task = scheduled_task(commit, START + HOUR)

    with caplog.at_level(logging.INFO, logger="social_media"):
        save(task, commit, published=False)

    assert not SocialMediaPost.objects.filter(task=task).exists()
    assert "снята с публикации" in caplog.text
    clock.move_to(START + 2 * HOUR)
    relay(commit)
    assert pin_calls(mocked_responses) == 0


def test_unpublishing_fails_a_post_waiting_for_its_retry(clock, commit, mocked_responses):
    task = scheduled_task(commit, START + HOUR)
    SocialMediaPost.objects.filter(task=task).update(
        attempt_count=1, retry_count=1, next_attempt_at=START + 2 * HOUR, error_message="HTTP 503"
    )

    save(task, commit, published=False)

    post = task.social_posts.get()
    assert post.status == PostStatus.FAILED
    assert post.error_message == CANCELLED_MESSAGE
    assert post.next_attempt_at is None
    clock.move_to(START + 3 * HOUR)
    relay(commit)
    assert pin_calls(mocked_responses) == 0


def test_a_claimed_post_is_not_cancelled(clock, commit, mocked_responses):
    task = scheduled_task(commit, START + HOUR)
    clock.move_to(START + HOUR)
    post = task.social_posts.get()
    claimed = post_claim(post.pk)  # a worker has just taken it
    assert claimed is not None

    save(task, commit, published=False)

    post.refresh_from_db()
    assert post.status == PostStatus.PROCESSING
    assert post.claim_token == claimed[1]
    assert post.error_message == ""


def test_moving_the_date_leaves_posts_already_attempted(clock, commit, mocked_responses):
    task = scheduled_task(commit, START + HOUR)
    retry_at = START + 90 * timedelta(minutes=1)
    SocialMediaPost.objects.filter(task=task).update(attempt_count=1, next_attempt_at=retry_at)

    save(task, commit, publish_date=START + 5 * HOUR)

    assert task.social_posts.get().next_attempt_at == retry_at


def test_republishing_restores_cancelled_posts_at_the_date(clock, commit, pins):
    task = scheduled_task(commit, START + HOUR)
    SocialMediaPost.objects.filter(task=task).update(attempt_count=1)
    save(task, commit, published=False)

    save(task, commit, published=True, publish_date=START + 2 * HOUR)

    post = task.social_posts.get()
    assert post.status == PostStatus.PENDING
    assert post.next_attempt_at == START + 2 * HOUR
    assert post.error_message == ""
    clock.move_to(START + 2 * HOUR)
    relay(commit)
    assert task.social_posts.get().status == PostStatus.PUBLISHED


def test_task_list_shows_and_filters_scheduled_and_due_tasks(clock, commit, admin_client, pins):
    from django.urls import reverse

    later = scheduled_task(commit, START + HOUR)
    later.question = "scheduled one"
    later.save()
    with commit():
        due = TaskFactory(published=True, question="due one")
    SocialMediaPost.objects.filter(task=due).update(status=PostStatus.PENDING, attempt_count=0)
    with commit():
        sent = TaskFactory(published=True, question="sent one")
    TaskFactory(published=False, question="draft one")
    changelist = reverse("admin:tasks_task_changelist")

    html = admin_client.get(changelist, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Scheduled" in html and "Due, posts not sent yet" in html

    def listed(value: str) -> set[int]:
        response = admin_client.get(changelist, {"schedule": value})
        return {task.pk for task in response.context["cl"].result_list}

    assert listed("scheduled") == {later.pk}
    assert listed("due") == {due.pk}
    assert sent.social_posts.get().status == PostStatus.PUBLISHED
