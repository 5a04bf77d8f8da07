"""A save does not wait for the broker: its posts leave from the process's sender thread."""

from __future__ import annotations

import threading
import time

import pytest

from social_media import background
from social_media import tasks as celery_tasks
from tasks.models import SocialMediaPost
from tests.factories import PinterestCredentialsFactory, TaskFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def in_background(settings):
    settings.SOCIAL_MEDIA_ENQUEUE_IN_BACKGROUND = True
    yield
    assert background.SENDER.flush(timeout=10), "the sender thread must drain"


@pytest.fixture
def slow_broker(monkeypatch):
    """``publish_post.delay`` blocks until released, as a broker that is slow to answer."""
    release = threading.Event()
    sent: list[tuple[int, str]] = []

    def delay(post_id: int) -> None:
        release.wait(timeout=10)
        sent.append((post_id, threading.current_thread().name))

    monkeypatch.setattr(celery_tasks.publish_post, "delay", delay)
    return release, sent


def test_a_save_returns_before_the_broker_answers(in_background, slow_broker):
    release, sent = slow_broker
    PinterestCredentialsFactory()

    started = time.monotonic()
    task = TaskFactory(published=True)
    saved_in = time.monotonic() - started

    assert sent == [], "the save did not wait for the broker"
    assert saved_in < 5, "the save was not held by the blocked broker"
    post = SocialMediaPost.objects.get(task=task)
    assert post.enqueued_at is not None, "handed over: the relay leaves it alone"
    release.set()
    assert background.SENDER.flush(timeout=10)
    assert sent == [(post.pk, "outbox-sender")]


def test_a_failing_job_is_logged_and_the_next_one_still_runs(in_background, caplog):
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("broker exploded")

    background.SENDER.submit(broken)
    background.SENDER.submit(lambda: ran.append("next"))

    assert background.SENDER.flush(timeout=10)
    assert ran == ["next"]
    assert "релей" in caplog.text


def test_a_broker_failure_in_the_thread_leaves_the_post_to_the_relay(in_background, monkeypatch):
    def refuse(post_id: int) -> None:
        raise ConnectionError("redis is down")

    monkeypatch.setattr(celery_tasks.publish_post, "delay", refuse)
    PinterestCredentialsFactory()
    task = TaskFactory(published=True)

    assert background.SENDER.flush(timeout=10)
    post = SocialMediaPost.objects.get(task=task)
    assert post.enqueued_at is None, "not handed over: the relay sends it on its next run"


def test_a_forked_process_starts_its_own_sender(in_background):
    background.SENDER.submit(lambda: None)
    assert background.SENDER.flush(timeout=10)
    first = background.SENDER._thread
    background.SENDER._pid = -1  # what a child process sees after fork: not its thread

    names: list[str] = []
    background.SENDER.submit(lambda: names.append(threading.current_thread().name))

    assert background.SENDER.flush(timeout=10)
    assert background.SENDER._thread is not first
    assert names == ["outbox-sender"]


def test_with_the_setting_off_the_save_sends_itself(settings, monkeypatch):
    settings.SOCIAL_MEDIA_ENQUEUE_IN_BACKGROUND = False
    threads: list[str] = []
    monkeypatch.setattr(
        celery_tasks.publish_post,
        "delay",
        lambda post_id: threads.append(threading.current_thread().name),
    )
    PinterestCredentialsFactory()

    TaskFactory(published=True)

    assert threads == [threading.current_thread().name]


def _recording(monkeypatch) -> list[int]:
    sent: list[int] = []
    monkeypatch.setattr(celery_tasks.publish_post, "delay", sent.append)
    return sent


def test_inside_a_request_the_message_leaves_once_the_response_is_finished(
    in_background, monkeypatch
):
    from django.core.signals import request_finished, request_started

    sent = _recording(monkeypatch)
    PinterestCredentialsFactory()
    request_started.send(sender=None, environ={})
    try:
        task = TaskFactory(published=True)
        assert background.SENDER.flush(timeout=10)
        assert sent == [], "the response is not finished yet: nothing competes with it"
    finally:
        request_finished.send(sender=None)
    assert background.SENDER.flush(timeout=10)
    assert sent == [SocialMediaPost.objects.get(task=task).pk]


def test_a_request_that_never_finished_hands_its_messages_over_at_the_next_one(
    in_background, monkeypatch
):
    from django.core.signals import request_finished, request_started

    sent = _recording(monkeypatch)
    PinterestCredentialsFactory()
    request_started.send(sender=None, environ={})
    task = TaskFactory(published=True)
    request_started.send(sender=None, environ={})  # no request_finished in between
    try:
        assert background.SENDER.flush(timeout=10)
        assert sent == [SocialMediaPost.objects.get(task=task).pk]
    finally:
        request_finished.send(sender=None)


def test_an_admin_save_hands_its_message_over_when_the_response_is_closed(
    in_background, monkeypatch, admin_client
):
    sent = _recording(monkeypatch)
    PinterestCredentialsFactory()
    response = admin_client.post(
        "/admin/tasks/task/add/",
        {
            "question": "What does len('abc') return?",
            "answers": '["3", "6"]',
            "correct_answer": "3",
            "language": "en",
            "difficulty": "easy",
            "published": "on",
            "social_posts-TOTAL_FORMS": "0",
            "social_posts-INITIAL_FORMS": "0",
            "social_posts-MIN_NUM_FORMS": "0",
            "social_posts-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert background.SENDER.flush(timeout=10)
    post = SocialMediaPost.objects.get(task__question="What does len('abc') return?")
    assert sent == [post.pk]


def test_under_asgi_the_message_is_not_held(in_background, monkeypatch):
    from django.core.signals import request_finished, request_started

    sent = _recording(monkeypatch)
    PinterestCredentialsFactory()
    request_started.send(sender=None, scope={"type": "http"})
    try:
        task = TaskFactory(published=True)
        assert background.SENDER.flush(timeout=10)
        assert sent == [SocialMediaPost.objects.get(task=task).pk]
    finally:
        request_finished.send(sender=None)
